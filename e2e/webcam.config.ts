// Browser set-up for the webcam specs. Chromium's fake camera is configured by command-line flags,
// which can only be set at launch, so each spec launches its own browser with the flags and the
// executable of its Playwright project plus the camera flags below.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { chromium, expect, type Browser, type Page, type TestInfo } from '@playwright/test';

import { writeWebcamVideo, type VideoManifest, type VideoOptions } from '../scripts/make-webcam-video.mjs';

/**
 * Replace real cameras with Chromium's fake device. Without a file it shows a generated test
 * pattern; with --use-file-for-fake-video-capture it plays that Y4M file in a loop.
 */
export const FAKE_DEVICE_FLAG = '--use-fake-device-for-media-stream';

/** Grant every camera permission prompt without showing it. */
export const AUTO_ACCEPT_FLAG = '--use-fake-ui-for-media-stream';

export function fakeVideoFlag(videoPath: string): string {
  return `--use-file-for-fake-video-capture=${videoPath}`;
}

export interface WebcamVideo {
  path: string;
  manifest: VideoManifest;
  remove(): void;
}

/** Write the Fashion-MNIST test video into a fresh temporary folder. */
export function makeWebcamVideo(options: VideoOptions = {}): WebcamVideo {
  const folder = mkdtempSync(join(tmpdir(), 'coatnet-webcam-'));
  const path = join(folder, 'fashion.y4m');
  const manifest = writeWebcamVideo(path, options);
  return { path, manifest, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

/** Launch Chromium with the project's executable and flags plus `extraFlags`. */
export async function launchBrowser(testInfo: TestInfo, extraFlags: string[]): Promise<Browser> {
  const launchOptions = testInfo.project.use.launchOptions ?? {};
  return chromium.launch({ ...launchOptions, args: [...(launchOptions.args ?? []), ...extraFlags] });
}

export function baseUrl(testInfo: TestInfo): string {
  const url = testInfo.project.use.baseURL;
  if (!url) throw new Error('The Playwright project has no use.baseURL: the webcam specs need the Vite server of playwright.config.ts');
  return url;
}

/** Collect uncaught page errors, so a test can check that nothing else on the page broke. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** Open the app and wait until the model is ready. */
export async function openAppWithModel(page: Page, testInfo: TestInfo, query = ''): Promise<void> {
  await page.goto(`${baseUrl(testInfo)}/${query}`);
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-state', 'ready', { timeout: 240_000 });
}

export interface WebcamStatsSnapshot {
  frames: number;
  tensors: number;
  bytes: number;
  liveTracks: number;
}

export function readWebcamStats(page: Page): Promise<WebcamStatsSnapshot | null> {
  return page.evaluate(() => window.__webcamStats ?? null);
}

/** Wait until the loop has classified at least `frames` frames; returns the stats at that point. */
export async function waitForFrames(page: Page, frames: number, timeout: number): Promise<WebcamStatsSnapshot> {
  const handle = await page.waitForFunction((count) => {
    const stats = window.__webcamStats;
    return stats && stats.frames >= count ? { ...stats } : null;
  }, frames, { timeout, polling: 'raf' });
  return (await handle.jsonValue()) as WebcamStatsSnapshot;
}

/**
 * Record every stream getUserMedia returns in window.__testStreams, independently of the app's
 * own bookkeeping, so tests can check that stopping really ended every track.
 */
export const RECORD_STREAMS_SCRIPT = `(() => {
  const devices = navigator.mediaDevices;
  if (!devices) return;
  const original = devices.getUserMedia.bind(devices);
  window.__testStreams = [];
  devices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    window.__testStreams.push(stream);
    return stream;
  };
})();`;

declare global {
  interface Window {
    __testStreams?: MediaStream[];
  }
}
