// A requestAnimationFrame counter in the page: if the main thread blocks, frames stop and the
// longest gap between them grows.

import { expect, test, type Page } from '@playwright/test';

export interface FrameStats {
  frames: number;
  /** Maximum time between two consecutive frames since the counter started, in milliseconds. */
  maxGapMs: number;
}

interface FrameCounter extends FrameStats {
  last: number;
}

declare global {
  interface Window {
    e2eFrameCounter?: FrameCounter;
  }
}

/**
 * Maximum gap between animation frames that still counts as responsive. Headless Chromium paints
 * at about 60 frames per second when idle, but software WebGPU, image decoding and other processes
 * share the CPU with the page. With a load average of 15-19 on 2 cores, a 6000x4000 JPEG upload
 * gave gaps of up to 1.9 s while it was decoded on the main thread. With the decode worker and an
 * otherwise idle machine, the longest gap was 83-117 ms (267-383 ms on the main thread).
 * NOTE: 5 s is an estimate that separates a hung page from scheduling noise on such a machine. It
 * does not prove smooth animation.
 */
export const MAX_FRAME_GAP_MS = 5_000;

/** Frames that must follow an action to show the page is still painting. */
const FRAMES_AFTER_ACTION = 10;

/** Start counting frames, or restart from zero if the counter runs already. */
export async function startFrameCounter(page: Page): Promise<void> {
  await page.evaluate(() => {
    if (window.e2eFrameCounter) {
      Object.assign(window.e2eFrameCounter, { frames: 0, maxGapMs: 0, last: performance.now() });
      return;
    }
    const counter: FrameCounter = { frames: 0, maxGapMs: 0, last: performance.now() };
    window.e2eFrameCounter = counter;
    const tick = (now: number) => {
      counter.frames += 1;
      counter.maxGapMs = Math.max(counter.maxGapMs, now - counter.last);
      counter.last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

export async function readFrameStats(page: Page): Promise<FrameStats> {
  return page.evaluate(() => {
    const counter = window.e2eFrameCounter;
    if (!counter) throw new Error('The frame counter is not running: call startFrameCounter first');
    return { frames: counter.frames, maxGapMs: counter.maxGapMs };
  });
}

/**
 * Check that frames kept coming since startFrameCounter, with no gap over MAX_FRAME_GAP_MS, and
 * that more frames follow now.
 */
export async function expectPageResponsive(page: Page, action: string): Promise<FrameStats> {
  const before = await readFrameStats(page);
  await page.waitForFunction(
    (minimum) => (window.e2eFrameCounter?.frames ?? 0) >= minimum,
    before.frames + FRAMES_AFTER_ACTION,
    { timeout: 10_000 },
  );
  const after = await readFrameStats(page);
  test.info().annotations.push({
    type: 'animation frames',
    description: `${action}: ${after.frames} frames, longest gap ${after.maxGapMs.toFixed(0)} ms`,
  });
  expect(after.maxGapMs, `longest gap between animation frames during ${action}, in ms`).toBeLessThan(MAX_FRAME_GAP_MS);
  return after;
}
