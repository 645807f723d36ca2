// Counts the frames a video element presents, so the loop can tell a new frame from one it
// already classified and wait for the next one.

/** Schedules one callback per new frame; requestVideoFrameCallback in browsers that have it. */
export interface FrameScheduler {
  request(callback: () => void): number;
  cancel(handle: number): void;
}

interface VideoFrameCallbacks {
  requestVideoFrameCallback(callback: () => void): number;
  cancelVideoFrameCallback(handle: number): void;
}

/**
 * requestVideoFrameCallback fires once per frame the video presents (Chromium 83+, Safari 15.4+,
 * Firefox 132+). Elsewhere every animation frame is treated as a new video frame, which at worst
 * classifies a frame twice.
 */
export function videoFrameScheduler(video: HTMLVideoElement): FrameScheduler {
  const callbacks = video as unknown as Partial<VideoFrameCallbacks>;
  if (typeof callbacks.requestVideoFrameCallback === 'function' && typeof callbacks.cancelVideoFrameCallback === 'function') {
    return {
      request: (callback) => callbacks.requestVideoFrameCallback!.call(video, callback),
      cancel: (handle) => callbacks.cancelVideoFrameCallback!.call(video, handle),
    };
  }
  return {
    request: (callback) => requestAnimationFrame(callback),
    cancel: (handle) => cancelAnimationFrame(handle),
  };
}

/**
 * Count of frames the video has presented, read on demand. The compositor presents camera frames
 * off the main thread, so this count advances even while an inference blocks the main thread and
 * no frame callback can run. Null where getVideoPlaybackQuality() is missing.
 */
export function presentedFrameCounter(video: HTMLVideoElement): (() => number) | null {
  if (typeof video.getVideoPlaybackQuality !== 'function') return null;
  return () => video.getVideoPlaybackQuality().totalVideoFrames;
}

export class VideoFrameClock {
  /** Frame callbacks since start(), the count used without a presented-frame counter. */
  private ticks = 0;
  private waiters: Array<{ after: number; resolve: (serial: number) => void }> = [];
  private handle: number | null = null;

  constructor(private readonly scheduler: FrameScheduler, private readonly presentedFrames: (() => number) | null = null) {}

  /** Serial number of the newest presented frame; it only ever grows. */
  get latestFrame(): number {
    return this.presentedFrames?.() ?? this.ticks;
  }

  start(): void {
    if (this.handle === null) this.handle = this.scheduler.request(this.tick);
  }

  /** Stop counting. Pending frameAfter() promises never settle, so callers race them with their own stop signal. */
  dispose(): void {
    if (this.handle !== null) this.scheduler.cancel(this.handle);
    this.handle = null;
    this.waiters = [];
  }

  /** Resolve with the newest frame serial once it is greater than `after`. */
  frameAfter(after: number): Promise<number> {
    const latest = this.latestFrame;
    if (latest > after) return Promise.resolve(latest);
    return new Promise((resolve) => this.waiters.push({ after, resolve }));
  }

  private readonly tick = (): void => {
    this.ticks += 1;
    this.handle = this.scheduler.request(this.tick);
    const latest = this.latestFrame;
    const ready = this.waiters.filter((waiter) => latest > waiter.after);
    this.waiters = this.waiters.filter((waiter) => latest <= waiter.after);
    for (const waiter of ready) waiter.resolve(latest);
  };
}
