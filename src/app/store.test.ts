import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { deferred } from '../../tests/helpers/deferred';
import { ImageDecodeError, type DecodedImage } from '../image/decode';
import { decodeImageFile } from '../image/decodeFile';
import type { ModelCard } from '../model/modelCard';
import type { RgbaImage } from '../model/preprocess';
import { initBackend, loadModelFromUrl, type ClassifyResult, type LoadedModel, type LoadProgress } from '../model/session';
import {
  openFile,
  openSample,
  resetAppStore,
  retryModel,
  selectResult,
  selectPredictionStatus,
  startApp,
  useAppStore,
} from './store';

vi.mock('../model/session', () => ({
  initBackend: vi.fn(),
  loadModelFromUrl: vi.fn(),
}));

vi.mock('../image/decodeFile', () => ({
  decodeImageFile: vi.fn(),
}));

const START = { cardUrl: 'http://127.0.0.1/model.json', sampleIndexUrl: 'http://127.0.0.1/samples.json', backendOrder: [] };

/** Build a decoded 1x1 image whose red value identifies the file it came from. */
function decoded(red: number): DecodedImage {
  return {
    pixels: { data: new Uint8ClampedArray([red, 0, 0, 255]), width: 1, height: 1 },
    width: 1,
    height: 1,
    format: 'png',
    displayUrl: `blob:test/${red}`,
  };
}

function fileNamed(name: string): File {
  return new File([new Uint8Array([1])], name, { type: 'image/png' });
}

/** Build a classification whose top-1 class is the image's red value, so results trace back to inputs. */
function resultFor(image: RgbaImage): ClassifyResult {
  const top = image.data[0];
  return {
    topK: [{ index: top, probability: 0.9 }],
    probabilities: new Float32Array(10),
    ms: 3,
    backend: 'webgpu',
  } as ClassifyResult;
}

function fakeModel(classify: LoadedModel['classify'] = async (image) => resultFor(image)): LoadedModel {
  return {
    card: { labels: { en: [], ja: [] } } as unknown as ModelCard,
    cardUrl: START.cardUrl,
    classify: vi.fn(classify),
    dispose: vi.fn(),
  } as unknown as LoadedModel;
}

const mockedDecode = vi.mocked(decodeImageFile);
const mockedInitBackend = vi.mocked(initBackend);
const mockedLoad = vi.mocked(loadModelFromUrl);

async function startWithModel(model: LoadedModel): Promise<void> {
  mockedLoad.mockResolvedValue(model);
  await startApp(START);
  expect(useAppStore.getState().model.status).toBe('ready');
}

beforeEach(() => {
  vi.stubGlobal('fetch', vi.fn(async () => new Response('[]', { status: 200 })));
  mockedInitBackend.mockResolvedValue({ name: 'webgpu', fallbacks: [], softwareAdapter: false });
});

afterEach(() => {
  resetAppStore();
  vi.clearAllMocks();
  vi.unstubAllGlobals();
});

describe('app store', () => {
  it('shows a classified image and counts it', async () => {
    await startWithModel(fakeModel());
    mockedDecode.mockResolvedValueOnce(decoded(3));

    await openFile(fileNamed('three.png'));
    await vi.waitFor(() => expect(useAppStore.getState().classifyCount).toBe(1));

    const state = useAppStore.getState();
    expect(state.image?.fileName).toBe('three.png');
    expect(selectResult(state)?.topK[0].index).toBe(3);
    expect(state.error).toBeNull();
  });

  it('keeps the previous image and result after a bad input', async () => {
    await startWithModel(fakeModel());
    mockedDecode.mockResolvedValueOnce(decoded(3));
    await openFile(fileNamed('three.png'));
    await vi.waitFor(() => expect(useAppStore.getState().classifyCount).toBe(1));
    const before = useAppStore.getState();

    mockedDecode.mockRejectedValueOnce(new ImageDecodeError('not-an-image', { name: 'notes.txt' }, 'not an image'));
    await openFile(fileNamed('notes.txt'));

    const after = useAppStore.getState();
    expect(after.error?.code).toBe('not-an-image');
    expect(after.error?.params.name).toBe('notes.txt');
    expect(after.image).toBe(before.image);
    expect(selectResult(after)).toBe(selectResult(before));
    expect(after.decoding).toBe(false);
  });

  it('reports a drop without a file', async () => {
    await openFile(null);
    expect(useAppStore.getState().error?.code).toBe('no-file');
    expect(mockedDecode).not.toHaveBeenCalled();
  });

  it('queues an image until the model is ready', async () => {
    const load = deferred<LoadedModel>();
    mockedLoad.mockReturnValue(load.promise);
    const started = startApp(START);
    await vi.waitFor(() => expect(mockedLoad).toHaveBeenCalled());

    mockedDecode.mockResolvedValueOnce(decoded(4));
    await openFile(fileNamed('four.png'));
    expect(selectPredictionStatus(useAppStore.getState())).toBe('waiting-for-model');
    expect(useAppStore.getState().classifyCount).toBe(0);

    const model = fakeModel();
    load.resolve(model);
    await started;

    expect(model.classify).toHaveBeenCalledTimes(1);
    expect(selectResult(useAppStore.getState())?.topK[0].index).toBe(4);
    expect(useAppStore.getState().classifyCount).toBe(1);
  });

  it('classifies only the newest image that arrived during inference', async () => {
    const first = deferred<ClassifyResult>();
    const model = fakeModel(async (image) => (image.data[0] === 1 ? first.promise : resultFor(image)));
    await startWithModel(model);

    mockedDecode.mockResolvedValueOnce(decoded(1));
    await openFile(fileNamed('one.png'));
    mockedDecode.mockResolvedValueOnce(decoded(2));
    await openFile(fileNamed('two.png'));
    mockedDecode.mockResolvedValueOnce(decoded(5));
    await openFile(fileNamed('five.png'));

    first.resolve(resultFor({ data: new Uint8Array([1, 0, 0, 255]), width: 1, height: 1 }));
    await vi.waitFor(() => expect(useAppStore.getState().classifying).toBe(false));

    const classified = vi.mocked(model.classify).mock.calls.map(([image]) => image.data[0]);
    expect(classified).toEqual([1, 5]);
    expect(selectResult(useAppStore.getState())?.topK[0].index).toBe(5);
    expect(useAppStore.getState().classifyCount).toBe(1);
  });

  it('drops a decode that finishes after a newer input', async () => {
    await startWithModel(fakeModel());
    const revoke = vi.spyOn(URL, 'revokeObjectURL');
    const slow = deferred<DecodedImage>();
    mockedDecode.mockReturnValueOnce(slow.promise);
    mockedDecode.mockResolvedValueOnce(decoded(7));

    const slowOpen = openFile(fileNamed('slow.png'));
    await openFile(fileNamed('seven.png'));
    slow.resolve(decoded(6));
    await slowOpen;

    expect(useAppStore.getState().image?.fileName).toBe('seven.png');
    expect(revoke).toHaveBeenCalledWith('blob:test/6');
  });

  it('does not retry a classification that failed', async () => {
    const model = fakeModel(async () => {
      throw new Error('GPU device was lost');
    });
    await startWithModel(model);
    mockedDecode.mockResolvedValueOnce(decoded(2));

    await openFile(fileNamed('two.png'));
    await vi.waitFor(() => expect(useAppStore.getState().error?.code).toBe('classify-failed'));

    expect(useAppStore.getState().error?.detail).toBe('GPU device was lost');
    expect(selectPredictionStatus(useAppStore.getState())).toBe('failed');
    expect(model.classify).toHaveBeenCalledTimes(1);
    expect(useAppStore.getState().classifyCount).toBe(0);
  });

  it('reports a model load failure and recovers on retry', async () => {
    mockedLoad.mockRejectedValueOnce(new Error('Download of model.safetensors failed: HTTP 404 Not Found'));
    await startApp(START);

    let state = useAppStore.getState();
    expect(state.model.status).toBe('error');
    expect(selectPredictionStatus(state)).toBe('empty');
    expect(state.error?.code).toBe('model-load-failed');
    expect(state.error?.detail).toContain('HTTP 404');

    mockedLoad.mockResolvedValueOnce(fakeModel());
    await retryModel();
    state = useAppStore.getState();
    expect(state.model.status).toBe('ready');
    expect(state.error).toBeNull();
  });

  it('reports a backend failure without loading the model', async () => {
    mockedInitBackend.mockRejectedValueOnce(new Error('No TF.js backend could start'));
    await startApp(START);

    expect(useAppStore.getState().model.status).toBe('error');
    expect(useAppStore.getState().error?.code).toBe('backend-failed');
    expect(mockedLoad).not.toHaveBeenCalled();
  });

  it('shows load progress and ignores progress after the load', async () => {
    let report: ((progress: LoadProgress) => void) | undefined;
    const load = deferred<LoadedModel>();
    mockedLoad.mockImplementation((_url, onProgress) => {
      report = onProgress;
      return load.promise;
    });
    const started = startApp(START);
    await vi.waitFor(() => expect(report).toBeDefined());

    report?.({ phase: 'download', fraction: 0.25 });
    expect(useAppStore.getState().model).toEqual({ status: 'loading', phase: 'download', fraction: 0.25 });

    load.resolve(fakeModel());
    await started;
    report?.({ phase: 'warmup', fraction: 1 });
    expect(useAppStore.getState().model.status).toBe('ready');
  });

  it('starts only once', async () => {
    mockedLoad.mockResolvedValue(fakeModel());
    await Promise.all([startApp(START), startApp(START)]);
    expect(mockedInitBackend).toHaveBeenCalledTimes(1);
    expect(mockedLoad).toHaveBeenCalledTimes(1);
  });

  it('opens a sample with its true label', async () => {
    await startWithModel(fakeModel());
    vi.stubGlobal('fetch', vi.fn(async () => new Response(new Uint8Array([0x89]), { status: 200, headers: { 'Content-Type': 'image/png' } })));
    mockedDecode.mockResolvedValueOnce(decoded(8));

    await openSample({ file: 'fashion-00008.png', label: 8, testIndex: 8 }, 'http://127.0.0.1/samples/fashion-00008.png');

    const image = useAppStore.getState().image;
    expect(image?.fileName).toBe('fashion-00008.png');
    expect(image?.trueLabel).toBe(8);
  });

  it('reports a sample that cannot be fetched', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('missing', { status: 404, statusText: 'Not Found' })));
    await openSample({ file: 'fashion-00008.png', label: 8, testIndex: 8 }, 'http://127.0.0.1/samples/fashion-00008.png');

    const error = useAppStore.getState().error;
    expect(error?.code).toBe('sample-failed');
    expect(error?.params.name).toBe('fashion-00008.png');
    expect(error?.detail).toContain('HTTP 404');
  });
});
