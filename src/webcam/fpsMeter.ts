// Frames per second over a sliding time window, so the figure follows changes within a second or two.

/** Completions older than this are dropped from the average. */
export const FPS_WINDOW_MS = 2000;

export class FpsMeter {
  private times: number[] = [];

  constructor(private readonly windowMs = FPS_WINDOW_MS) {}

  /** Record a completed frame at `time` (milliseconds) and return the rate, or null with fewer than two frames. */
  record(time: number): number | null {
    this.times.push(time);
    while (this.times.length > 2 && time - this.times[0] > this.windowMs) this.times.shift();
    return this.rate();
  }

  rate(): number | null {
    if (this.times.length < 2) return null;
    const span = this.times[this.times.length - 1] - this.times[0];
    return span > 0 ? ((this.times.length - 1) * 1000) / span : null;
  }

  /** Forget past frames, as after a pause, whose gap is not part of the loop's rate. */
  reset(): void {
    this.times = [];
  }
}
