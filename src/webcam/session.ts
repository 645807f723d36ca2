// One camera session: the stream shown in a <video>, the classification loop on its frames, and
// the cleanup that releases the camera.

import type { PreprocessingSpec } from '../model/modelCard';
import type { RgbaImage } from '../model/preprocess';
import type { ClassifyResult } from '../model/session';
import {
  browserMediaEnvironment,
  openCamera,
  stopStream,
  watchTrackEnd,
  type CameraRequest,
  type MediaEnvironment,
} from './camera';
import { presentedFrameCounter, VideoFrameClock, videoFrameScheduler } from './frameClock';
import { captureFrame, FrameReducer, type CapturedFrame, type FrameImage } from './frameCapture';
import { FrameLoop, type LoopFrame } from './loop';

export interface WebcamSessionOptions {
  video: HTMLVideoElement;
  request: CameraRequest;
  /** A track ended without stop(): the camera was unplugged or its permission revoked. */
  onEnded(): void;
  environment?: MediaEnvironment;
}

export interface LoopCallbacks {
  classify(image: RgbaImage): Promise<ClassifyResult>;
  onFrame(frame: LoopFrame): void;
  onError(error: unknown): void;
}

export class WebcamSession {
  private loop: FrameLoop | null = null;
  private clock: VideoFrameClock | null = null;
  private unwatchTracks: () => void;
  private stopped = false;

  private constructor(readonly video: HTMLVideoElement, readonly stream: MediaStream, onEnded: () => void) {
    this.unwatchTracks = watchTrackEnd(stream, () => {
      if (!this.stopped) onEnded();
    });
  }

  /** Open the camera and start playing it in `video`. Rejects with the getUserMedia or play() error. */
  static async open(options: WebcamSessionOptions): Promise<WebcamSession> {
    const stream = await openCamera(options.environment ?? browserMediaEnvironment(), options.request);
    const session = new WebcamSession(options.video, stream, options.onEnded);
    try {
      await session.attach();
    } catch (error) {
      session.stop();
      throw error;
    }
    return session;
  }

  private async attach(): Promise<void> {
    // Muted inline playback is what autoplay policies allow without a further user gesture.
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.srcObject = this.stream;
    await this.video.play();
  }

  /** The deviceId the browser actually opened, which can differ from the one requested by facing mode. */
  get deviceId(): string | null {
    return this.stream.getVideoTracks()[0]?.getSettings().deviceId ?? null;
  }

  get loopRunning(): boolean {
    return this.loop?.running ?? false;
  }

  private frame(): FrameImage {
    return { image: this.video, width: this.video.videoWidth, height: this.video.videoHeight };
  }

  /** Start classifying frames reduced by `spec`; does nothing if the loop already runs. */
  startLoop(spec: PreprocessingSpec, callbacks: LoopCallbacks): void {
    if (this.stopped || this.loop?.running) return;
    this.clock?.dispose();
    const clock = new VideoFrameClock(videoFrameScheduler(this.video), presentedFrameCounter(this.video));
    const reducer = new FrameReducer(spec);
    this.clock = clock;
    this.loop = new FrameLoop({
      source: {
        frameAfter: (after) => clock.frameAfter(after),
        capture: () => reducer.reduce(this.frame()),
      },
      ...callbacks,
    });
    clock.start();
    this.loop.start();
  }

  /** Stop classifying but keep the camera on, so startLoop can follow with another model's spec. */
  stopLoop(): void {
    this.loop?.stop();
    this.clock?.dispose();
    this.loop = null;
    this.clock = null;
  }

  pause(): void {
    this.loop?.pause();
  }

  resume(): void {
    this.loop?.resume();
  }

  /** Copy the frame on screen at full size (up to the upload limit), unmirrored. */
  snapshot(): CapturedFrame {
    return captureFrame(this.frame());
  }

  /** Stop the loop, stop every track and detach the video. Safe to call more than once. */
  stop(): void {
    this.stopped = true;
    this.loop?.stop();
    this.clock?.dispose();
    this.unwatchTracks();
    stopStream(this.stream);
    if (this.video.srcObject === this.stream) this.video.srcObject = null;
  }
}
