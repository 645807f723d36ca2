import '@tensorflow/tfjs-backend-cpu';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { ModelCard } from '../model/modelCard';
import type { RgbaImage } from '../model/preprocess';
import type { ClassifyResult, LoadedModel } from '../model/session';
import type { MediaEnvironment } from '../webcam/camera';
import { liveTrackCount } from '../webcam/camera';
import { deferred } from '../../tests/helpers/deferred';
import { FakeCanvas, fakeStream, ManualScheduler, tracksOf } from '../webcam/testDoubles';
import { resetAppStore, selectImage, selectResult, useAppStore } from './store';
import {
  chooseCamera,
  LIVE_TOP_K,
  resetWebcamStore,
  selectLivePrediction,
  setMirror,
  snapshotWebcam,
  startWebcam,
  stopWebcam,
  toggleFacingMode,
  useWebcamStore,
} from './webcamStore';

// The real session module loads the WebGPU and WASM backends, which need a browser.
vi.mock('../model/session', () => ({
  initBackend: vi.fn(),
  loadModelFromUrl: vi.fn(),
}));

const SPEC: ModelCard['preprocessing'] = {
  size: [64, 64], resize: 'stretch', interpolation: 'bilinear', channels: 'grayscale', scale: 1 / 255, mean: [0.3], std: [0.3],
};

class FakeVideo {
  muted = false;
  playsInline = false;
  srcObject: MediaStream | null = null;
  videoWidth = 640;
  videoHeight = 480;
  readonly frames = new ManualScheduler();
  play = vi.fn(async () => {});

  requestVideoFrameCallback(callback: () => void): number {
    return this.frames.request(callback);
  }

  cancelVideoFrameCallback(handle: number): void {
    this.frames.cancel(handle);
  }
}

class FakeVisibility extends EventTarget {
  hidden = false;

  set(hidden: boolean): void {
    this.hidden = hidden;
    this.dispatchEvent(new Event('visibilitychange'));
  }
}

function cameraDevice(deviceId: string): MediaDeviceInfo {
  return { kind: 'videoinput', deviceId, label: '', groupId: '', toJSON: () => ({}) } as MediaDeviceInfo;
}

interface FakeCamera {
  environment: MediaEnvironment;
  requests: MediaStreamConstraints[];
  streams: MediaStream[];
}

/** Build a camera that opens a new fake stream per request, or fails with `failure`. */
function fakeCamera(options: { devices?: string[]; failure?: unknown; open?: () => Promise<MediaStream> } = {}): FakeCamera {
  const camera: FakeCamera = { requests: [], streams: [], environment: { isSecureContext: true } };
  camera.environment.mediaDevices = {
    enumerateDevices: async () => (options.devices ?? ['camera-1']).map(cameraDevice),
    getUserMedia: async (constraints?: MediaStreamConstraints) => {
      camera.requests.push(constraints ?? {});
      if (options.failure) throw options.failure;
      const stream = options.open ? await options.open() : fakeStream(`camera-${camera.streams.length + 1}`, true);
      camera.streams.push(stream);
      return stream;
    },
  };
  return camera;
}

function fakeModel(spec: ModelCard['preprocessing'] = SPEC): LoadedModel & { classify: ReturnType<typeof vi.fn> } {
  const classify = vi.fn(async (image: RgbaImage, k = 5): Promise<ClassifyResult> => ({
    topK: Array.from({ length: k }, (_, index) => ({ index: (index + image.width) % 10, probability: 1 / (index + 2) })),
    probabilities: new Float32Array(10),
    logits: new Float32Array(10),
    ms: 5,
    backend: 'cpu',
  }));
  return { card: { preprocessing: spec, labels: { en: [], ja: [] } } as unknown as ModelCard, classify, dispose: vi.fn() } as unknown as LoadedModel & {
    classify: typeof classify;
  };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
  await new Promise((resolve) => setTimeout(resolve, 0));
}

let video: FakeVideo;
let visibility: FakeVisibility;
let canvases: FakeCanvas[];

function setUp(camera: FakeCamera): void {
  resetWebcamStore({ environment: camera.environment, visibility });
}

async function start(): Promise<void> {
  await startWebcam(video as unknown as HTMLVideoElement);
}

function state() {
  return useWebcamStore.getState();
}

beforeEach(() => {
  video = new FakeVideo();
  visibility = new FakeVisibility();
  canvases = [];
  vi.stubGlobal('window', {});
  vi.stubGlobal('document', {
    createElement: () => {
      const canvas = new FakeCanvas(0, 0);
      canvases.push(canvas);
      return canvas;
    },
  });
});

afterEach(() => {
  resetWebcamStore();
  resetAppStore();
  vi.unstubAllGlobals();
});

describe('startWebcam and stopWebcam', () => {
  it('plays the stream in the video', async () => {
    const camera = fakeCamera();
    setUp(camera);
    await start();

    expect(state().status).toBe('live');
    expect(video.srcObject).toBe(camera.streams[0]);
    expect(video.muted).toBe(true);
    expect(video.play).toHaveBeenCalledTimes(1);
    expect(camera.requests).toEqual([{ video: { facingMode: { ideal: 'user' } }, audio: false }]);
    expect(window.__webcamStats).toMatchObject({ frames: 0, liveTracks: 2 });
  });

  it('stop releases every track', async () => {
    const camera = fakeCamera();
    setUp(camera);
    await start();
    stopWebcam();

    expect(state().status).toBe('idle');
    expect(tracksOf(camera.streams[0]).map((track) => track.readyState)).toEqual(['ended', 'ended']);
    expect(video.srcObject).toBeNull();
    expect(liveTrackCount()).toBe(0);
    expect(window.__webcamStats?.liveTracks).toBe(0);
  });

  it('releases a camera that opens after stop', async () => {
    let open!: (stream: MediaStream) => void;
    const stream = fakeStream();
    const camera = fakeCamera({ open: () => new Promise((resolve) => { open = resolve; }) });
    setUp(camera);
    const starting = start();
    await settle();
    expect(state().status).toBe('starting');

    stopWebcam();
    open(stream);
    await starting;
    expect(state().status).toBe('idle');
    expect(tracksOf(stream)[0].readyState).toBe('ended');
    expect(liveTrackCount()).toBe(0);
  });

  it('stops the old stream when a new camera is chosen', async () => {
    const camera = fakeCamera({ devices: ['camera-1', 'camera-2'] });
    setUp(camera);
    await start();
    chooseCamera('camera-2');
    await settle();

    expect(camera.requests[1]).toEqual({ video: { deviceId: { exact: 'camera-2' } }, audio: false });
    expect(tracksOf(camera.streams[0])[0].readyState).toBe('ended');
    expect(video.srcObject).toBe(camera.streams[1]);
    expect(liveTrackCount()).toBe(2);
  });

  it('toggles to the back camera by facing mode', async () => {
    const camera = fakeCamera();
    setUp(camera);
    await start();
    toggleFacingMode();
    await settle();

    expect(state().facingMode).toBe('environment');
    expect(camera.requests[1]).toEqual({ video: { facingMode: { ideal: 'environment' } }, audio: false });
  });
});

describe('camera errors', () => {
  it.each([
    ['NotAllowedError', 'permission-denied'],
    ['NotFoundError', 'no-camera'],
    ['NotReadableError', 'camera-in-use'],
    ['AbortError', 'camera-failed'],
  ])('getUserMedia %s shows %s', async (name, code) => {
    setUp(fakeCamera({ failure: new DOMException('failed', name) }));
    await start();

    expect(state().status).toBe('idle');
    expect(state().error).toEqual({ code, detail: `${name}: failed` });
    expect(state().session).toBeNull();
  });

  it('reports no camera before asking for permission', async () => {
    const camera = fakeCamera({ devices: [] });
    setUp(camera);
    await start();

    expect(state().error?.code).toBe('no-camera');
    expect(camera.requests).toEqual([]);
  });

  it('reports an insecure context', async () => {
    setUp({ environment: { isSecureContext: false }, requests: [], streams: [] });
    await start();
    expect(state().error?.code).toBe('insecure-context');
  });

  it('reports an unplugged camera and stops the other tracks', async () => {
    const camera = fakeCamera();
    setUp(camera);
    await start();
    const [videoTrack, audioTrack] = tracksOf(camera.streams[0]);
    videoTrack.unplug();

    expect(state().status).toBe('idle');
    expect(state().error?.code).toBe('camera-disconnected');
    expect(audioTrack.readyState).toBe('ended');
    expect(video.srcObject).toBeNull();
    expect(liveTrackCount()).toBe(0);
  });

  it('clears the error on the next start', async () => {
    const camera = fakeCamera();
    setUp(camera);
    useWebcamStore.setState({ error: { code: 'camera-in-use', detail: 'busy' } });
    await start();
    expect(state().error).toBeNull();
  });
});

describe('live classification', () => {
  it('waits for the model, then classifies model-sized frames', async () => {
    setUp(fakeCamera());
    await start();
    video.frames.present();
    await settle();
    expect(selectLivePrediction(state())).toBeNull();

    const model = fakeModel();
    useAppStore.setState({ model: { status: 'ready', model } });
    video.frames.present();
    await settle();

    expect(model.classify).toHaveBeenCalledTimes(1);
    const [image, k] = model.classify.mock.calls[0] as [RgbaImage, number];
    expect([image.width, image.height, k]).toEqual([64, 64, LIVE_TOP_K]);
    const prediction = selectLivePrediction(state());
    expect(prediction?.frames).toBe(1);
    expect(prediction?.inferenceMs).toBe(5);
    expect(prediction?.topK.map((entry) => entry.index)).toEqual([4, 5, 6]);
    expect(window.__webcamStats).toMatchObject({ frames: 1, liveTracks: 2 });
  });

  it('pauses while the tab is hidden', async () => {
    const model = fakeModel();
    useAppStore.setState({ model: { status: 'ready', model } });
    setUp(fakeCamera());
    await start();
    video.frames.present();
    await settle();
    expect(model.classify).toHaveBeenCalledTimes(1);

    visibility.set(true);
    expect(state().hidden).toBe(true);
    video.frames.present(3);
    await settle();
    expect(model.classify).toHaveBeenCalledTimes(1);

    visibility.set(false);
    await settle();
    expect(model.classify).toHaveBeenCalledTimes(2);
  });

  it('starts paused in a hidden tab', async () => {
    const model = fakeModel();
    useAppStore.setState({ model: { status: 'ready', model } });
    visibility.hidden = true;
    setUp(fakeCamera());
    await start();
    video.frames.present(2);
    await settle();
    expect(model.classify).not.toHaveBeenCalled();
  });

  it('follows model switch to new size', async () => {
    const first = fakeModel();
    useAppStore.setState({ model: { status: 'ready', model: first } });
    setUp(fakeCamera());
    await start();
    video.frames.present();
    await settle();

    const second = fakeModel({ ...SPEC, size: [32, 48] });
    useAppStore.setState({ model: { status: 'ready', model: second } });
    video.frames.present();
    await settle();

    expect(first.classify).toHaveBeenCalledTimes(1);
    expect(second.classify).toHaveBeenCalledTimes(1);
    const [image] = second.classify.mock.calls[0] as [RgbaImage];
    expect([image.width, image.height]).toEqual([48, 32]);
    expect(state().status).toBe('live');
    expect(state().error).toBeNull();
  });

  it('drops result of replaced model', async () => {
    const first = fakeModel();
    const firstResult = deferred<ClassifyResult>();
    first.classify.mockImplementationOnce(() => firstResult.promise);
    useAppStore.setState({ model: { status: 'ready', model: first } });
    setUp(fakeCamera());
    await start();
    video.frames.present();
    await settle();

    useAppStore.setState({ model: { status: 'ready', model: fakeModel({ ...SPEC, size: [32, 32] }) } });
    firstResult.resolve({ topK: [{ index: 9, probability: 1 }], probabilities: new Float32Array(10), logits: new Float32Array(10), ms: 5, backend: 'cpu' });
    await settle();

    expect(selectLivePrediction(state())).toBeNull();
    expect(state().status).toBe('live');
  });

  it('stops the camera when a frame cannot be classified', async () => {
    const model = fakeModel();
    model.classify.mockRejectedValueOnce(new Error('WebGPU device lost'));
    useAppStore.setState({ model: { status: 'ready', model } });
    const camera = fakeCamera();
    setUp(camera);
    await start();
    video.frames.present();
    await settle();

    expect(state().error).toEqual({ code: 'classify-failed', detail: 'Classifying a camera frame failed: WebGPU device lost' });
    expect(state().status).toBe('idle');
    expect(liveTrackCount()).toBe(0);
  });
});

describe('snapshotWebcam', () => {
  it('makes the unmirrored full frame the current image and classifies it', async () => {
    const model = fakeModel();
    useAppStore.setState({ model: { status: 'ready', model } });
    setUp(fakeCamera());
    setMirror(true);
    await start();
    await snapshotWebcam();
    await settle();

    const image = selectImage(useAppStore.getState());
    expect(image?.fileName).toMatch(/^camera-\d\d-\d\d-\d\d\.png$/);
    expect([image?.width, image?.height, image?.pixels.width, image?.pixels.height]).toEqual([640, 480, 640, 480]);
    expect(image?.displayUrl).toMatch(/^blob:/);
    const snapshotCanvas = canvases.find((canvas) => canvas.width === 640);
    expect(snapshotCanvas?.draws[0].args).toEqual([0, 0, 640, 480, 0, 0, 640, 480]);
    expect(model.classify).toHaveBeenCalledWith(image?.pixels, 5);
    expect(selectResult(useAppStore.getState())?.topK[0].index).toBe((0 + 640) % 10);
  });

  it('does nothing without a camera', async () => {
    setUp(fakeCamera());
    await snapshotWebcam();
    expect(selectImage(useAppStore.getState())).toBeNull();
  });
});
