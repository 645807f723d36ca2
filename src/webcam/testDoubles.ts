// Test doubles for camera streams, canvases and frame schedulers, shared by the webcam unit tests.

import type { CanvasLike, Context2D } from './frameCapture';
import type { FrameScheduler } from './frameClock';

export class FakeTrack extends EventTarget {
  readyState: MediaStreamTrackState = 'live';
  stopCalls = 0;

  constructor(readonly kind: 'video' | 'audio', private readonly deviceId = 'camera-1') {
    super();
  }

  stop(): void {
    this.stopCalls += 1;
    this.readyState = 'ended';
  }

  getSettings(): MediaTrackSettings {
    return { deviceId: this.deviceId };
  }

  /** Simulate an unplugged camera: the browser ends the track and fires 'ended'. */
  unplug(): void {
    this.readyState = 'ended';
    this.dispatchEvent(new Event('ended'));
  }
}

export class FakeStream {
  constructor(readonly tracks: FakeTrack[]) {}

  getTracks(): FakeTrack[] {
    return this.tracks;
  }

  getVideoTracks(): FakeTrack[] {
    return this.tracks.filter((track) => track.kind === 'video');
  }
}

export function fakeStream(deviceId = 'camera-1', withAudio = false): MediaStream {
  const tracks = [new FakeTrack('video', deviceId), ...(withAudio ? [new FakeTrack('audio', deviceId)] : [])];
  return new FakeStream(tracks) as unknown as MediaStream;
}

export function tracksOf(stream: MediaStream): FakeTrack[] {
  return (stream as unknown as FakeStream).tracks;
}

/** A scheduler whose frames arrive only when the test calls present(). */
export class ManualScheduler implements FrameScheduler {
  private callbacks = new Map<number, () => void>();
  private nextHandle = 1;

  request(callback: () => void): number {
    const handle = this.nextHandle;
    this.nextHandle += 1;
    this.callbacks.set(handle, callback);
    return handle;
  }

  cancel(handle: number): void {
    this.callbacks.delete(handle);
  }

  get pending(): number {
    return this.callbacks.size;
  }

  /** Present `count` frames, one callback round each. */
  present(count = 1): void {
    for (let i = 0; i < count; i += 1) {
      const callbacks = [...this.callbacks.values()];
      this.callbacks.clear();
      for (const callback of callbacks) callback();
    }
  }
}

export interface DrawCall {
  args: number[];
  image: unknown;
}

/** A 2D canvas that records its calls and returns RGBA filled with `fill` from getImageData. */
export class FakeCanvas implements CanvasLike {
  draws: DrawCall[] = [];
  fills: Array<{ rect: number[]; style: unknown }> = [];
  contextOptions: CanvasRenderingContext2DSettings | null = null;
  fill = 0;
  readonly context: Context2D;

  constructor(public width: number, public height: number) {
    const canvas = this;
    // Only the listed members exist, so a call to scale() or setTransform() (mirroring) would throw.
    const context = {
      fillStyle: '#fff' as unknown,
      imageSmoothingEnabled: false,
      imageSmoothingQuality: 'high',
      drawImage(image: unknown, ...args: number[]) {
        canvas.draws.push({ image, args });
      },
      fillRect(...rect: number[]) {
        canvas.fills.push({ rect, style: context.fillStyle });
      },
      getImageData(_x: number, _y: number, width: number, height: number) {
        const data = new Uint8ClampedArray(width * height * 4).fill(canvas.fill);
        return { data, width, height, colorSpace: 'srgb' } as ImageData;
      },
    };
    this.context = context as unknown as Context2D;
  }

  getContext(_kind: '2d', options: CanvasRenderingContext2DSettings): Context2D {
    this.contextOptions = options;
    return this.context;
  }

  toBlob(callback: (blob: Blob | null) => void, type?: string): void {
    callback(new Blob([new Uint8Array([this.width, this.height])], { type }));
  }
}
