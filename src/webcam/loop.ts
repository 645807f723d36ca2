// The live classification loop. It never queues frames: one inference runs at a time, and when
// it finishes the loop takes the newest frame, skipping every frame presented in between.

import type { RgbaImage } from '../model/preprocess';
import type { ClassifyResult } from '../model/session';
import { FpsMeter } from './fpsMeter';

export interface FrameSource {
  /** Resolve with the newest serial once a frame newer than `after` is presented. */
  frameAfter(after: number): Promise<number>;
  /** Pixels of the frame on screen now, reduced to the network input size. */
  capture(): RgbaImage;
}

export interface LoopFrame {
  /** Frames classified since start(), this one included. */
  count: number;
  result: ClassifyResult;
  /** From taking the frame to the result on the CPU: reduction, preprocessing, inference and read-back. */
  latencyMs: number;
  /** Classified frames per second over the last seconds, or null after fewer than two frames. */
  fps: number | null;
}

export interface FrameLoopOptions {
  source: FrameSource;
  classify(image: RgbaImage): Promise<ClassifyResult>;
  onFrame(frame: LoopFrame): void;
  /** Called once when capture or classification throws; the loop has stopped by then. */
  onError(error: unknown): void;
  now?: () => number;
  /** Resolve after the browser had a chance to render and handle input; tests replace it. */
  yieldToBrowser?: () => Promise<void>;
}

/**
 * Resolve in a new task. A MessageChannel message, unlike setTimeout(0), is not clamped to 4 ms
 * when nested, and the browser can render and handle input before it arrives.
 */
export function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      channel.port2.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

type LoopState = 'stopped' | 'running' | 'paused';

export class FrameLoop {
  private state: LoopState = 'stopped';
  /** Incremented by start() and stop(), so a run that outlives its stop() exits quietly. */
  private generation = 0;
  private count = 0;
  private inferring = false;
  private readonly fps = new FpsMeter();
  /** Resolves the current wait early when the loop is paused, resumed or stopped. */
  private interrupt: (() => void) | null = null;
  private readonly now: () => number;
  private readonly yieldToBrowser: () => Promise<void>;

  constructor(private readonly options: FrameLoopOptions) {
    this.now = options.now ?? (() => performance.now());
    this.yieldToBrowser = options.yieldToBrowser ?? yieldToBrowser;
  }

  get running(): boolean {
    return this.state !== 'stopped';
  }

  get paused(): boolean {
    return this.state === 'paused';
  }

  /** True while an inference runs. */
  get busy(): boolean {
    return this.inferring;
  }

  start(): void {
    if (this.state !== 'stopped') return;
    this.state = 'running';
    this.generation += 1;
    this.count = 0;
    this.fps.reset();
    void this.run(this.generation);
  }

  /** Take no new frame until resume(). An inference already running finishes and is reported. */
  pause(): void {
    if (this.state !== 'running') return;
    this.state = 'paused';
    this.wake();
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'running';
    this.fps.reset();
    this.wake();
  }

  /** Stop taking frames; the result of an inference still running is dropped. */
  stop(): void {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.generation += 1;
    this.wake();
  }

  private wake(): void {
    const interrupt = this.interrupt;
    this.interrupt = null;
    interrupt?.();
  }

  /** Wait for `promise` or for the next pause, resume or stop, whichever comes first. */
  private interruptible<T>(promise: Promise<T>): Promise<T | null> {
    const interrupted = new Promise<null>((resolve) => {
      this.interrupt = () => resolve(null);
    });
    return Promise.race([promise, interrupted]);
  }

  private async run(generation: number): Promise<void> {
    let lastFrame = 0;
    while (generation === this.generation) {
      if (this.state === 'paused') {
        await this.interruptible(new Promise<never>(() => {}));
        continue;
      }

      const frame = await this.interruptible(this.options.source.frameAfter(lastFrame));
      if (frame === null || generation !== this.generation || this.state !== 'running') continue;

      const completed = await this.classifyFrame(generation);
      if (!completed) return;
      lastFrame = frame;

      // A backend that finishes within microtasks (WASM, CPU) would otherwise keep the main thread
      // busy from one frame to the next, and the result would never be painted.
      await this.yieldToBrowser();
    }
  }

  /** Classify the frame on screen and report it. Returns false when the run has to end. */
  private async classifyFrame(generation: number): Promise<boolean> {
    const started = this.now();
    let result: ClassifyResult;
    this.inferring = true;
    try {
      result = await this.options.classify(this.options.source.capture());
    } catch (error) {
      if (generation === this.generation) {
        this.stop();
        this.options.onError(error);
      }
      return false;
    } finally {
      this.inferring = false;
    }
    if (generation !== this.generation) return false;

    const finished = this.now();
    this.count += 1;
    this.options.onFrame({ count: this.count, result, latencyMs: finished - started, fps: this.fps.record(finished) });
    return true;
  }
}
