// Live classification of Chromium's fake camera playing Fashion-MNIST test images with known labels,
// on the default backend (WebGPU on SwiftShader here).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';

import { decodeGrayPng, FASHION_DIR, scaleGray } from '../scripts/make-webcam-video.mjs';
import {
  AUTO_ACCEPT_FLAG,
  collectPageErrors,
  FAKE_DEVICE_FLAG,
  fakeVideoFlag,
  launchBrowser,
  makeWebcamVideo,
  openAppWithModel,
  readWebcamStats,
  RECORD_STREAMS_SCRIPT,
  waitForFrames,
  type WebcamVideo,
} from './webcam.config';

/**
 * Each item stays on screen for FRAMES_PER_ITEM / FPS = 8 s. That is several times the per-frame
 * latency of SwiftShader's software WebGPU (1-4 s measured on 2 busy cores), so no item passes
 * without at least one classification.
 */
const FPS = 10;
const FRAMES_PER_ITEM = 80;
const ITEMS = 4;
/** Side of the square video frame, in pixels. */
const FRAME_SIZE = 112;

let video: WebcamVideo;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];

test.describe.configure({ mode: 'serial' });

test.beforeAll(async ({}, testInfo) => {
  video = makeWebcamVideo({ items: ITEMS, framesPerItem: FRAMES_PER_ITEM, fps: FPS, size: FRAME_SIZE });
  browser = await launchBrowser(testInfo, [FAKE_DEVICE_FLAG, AUTO_ACCEPT_FLAG, fakeVideoFlag(video.path)]);
});

test.afterAll(async () => {
  await browser?.close();
  video?.remove();
});

test.beforeEach(async ({}, testInfo) => {
  context = await browser.newContext();
  await context.addInitScript(RECORD_STREAMS_SCRIPT);
  page = await context.newPage();
  pageErrors = collectPageErrors(page);
  await openAppWithModel(page, testInfo);
});

test.afterEach(async () => {
  await context?.close();
});

/** Collapse consecutive repeats: [1, 1, 2, 2, 2, 1] -> [1, 2, 1]. */
function runsOf(values: number[]): number[] {
  return values.filter((value, index) => index === 0 || values[index - 1] !== value);
}

/** Record the top-1 class and time of every classified frame into window.__top1Log. */
async function recordTop1(target: Page): Promise<void> {
  await target.evaluate(() => {
    const log: Array<{ label: number; ms: number }> = [];
    (window as unknown as { __top1Log: typeof log }).__top1Log = log;
    let lastFrames = -1;
    const sample = () => {
      const stats = window.__webcamStats;
      const top1 = document.querySelector('[data-testid="webcam-top1"]');
      if (stats && top1 && stats.frames !== lastFrames) {
        lastFrames = stats.frames;
        log.push({ label: Number(top1.getAttribute('data-index')), ms: Math.round(performance.now()) });
      }
    };
    new MutationObserver(sample).observe(document.body, { subtree: true, attributes: true, childList: true });
  });
}

test('live top-1 follows the label of each shown item', async () => {
  const labels = video.manifest.items.map((item) => item.label);
  await page.getByTestId('webcam-start').click();
  await expect(page.getByTestId('webcam-top1')).toBeVisible({ timeout: 60_000 });
  await recordTop1(page);

  // One pass through the video plus one item, so every item is on screen for its whole time at least once.
  const itemMs = (FRAMES_PER_ITEM * 1000) / FPS;
  await page.waitForTimeout((ITEMS + 1) * itemMs);
  const entries = await page.evaluate(() => (window as unknown as { __top1Log: Array<{ label: number; ms: number }> }).__top1Log);
  const log = entries.map((entry) => entry.label);
  const runs = runsOf(log);
  test.info().annotations.push({ type: 'top-1 log', description: JSON.stringify({ labels, runs, entries }) });

  expect(log.filter((label) => !labels.includes(label)), `top-1 outside the shown labels ${JSON.stringify(labels)}`).toEqual([]);
  for (const label of labels) {
    expect(log.filter((value) => value === label).length, `frames classified as label ${label}`).toBeGreaterThan(0);
  }
  // The video loops through the items in order, so each run of one label is followed by the next item's.
  for (let i = 1; i < runs.length; i += 1) {
    const expectedNext = labels[(labels.indexOf(runs[i - 1]) + 1) % labels.length];
    expect(runs[i], `label after ${runs[i - 1]} in runs ${JSON.stringify(runs)}`).toBe(expectedNext);
  }
  expect(await page.getByTestId('webcam-fps').getAttribute('data-fps')).toMatch(/^\d+(\.\d+)?$/);
  expect(Number(await page.getByTestId('webcam-latency').getAttribute('data-ms'))).toBeGreaterThan(0);
  expect(pageErrors).toEqual([]);
});

test('stopping leaves no live track', async () => {
  await page.getByTestId('webcam-start').click();
  await waitForFrames(page, 3, 120_000);
  expect((await readWebcamStats(page))?.liveTracks).toBe(1);

  await page.getByTestId('webcam-stop').click();
  await expect(page.getByTestId('webcam-start')).toBeVisible();
  expect((await readWebcamStats(page))?.liveTracks).toBe(0);
  const tracks = await page.evaluate(() => (window.__testStreams ?? []).flatMap((stream) => stream.getTracks().map((track) => track.readyState)));
  expect(tracks.length).toBeGreaterThan(0);
  expect(tracks.every((state) => state === 'ended'), `track states ${JSON.stringify(tracks)}`).toBe(true);
  expect(await page.getByTestId('webcam-video').evaluate((element) => (element as HTMLVideoElement).srcObject)).toBeNull();
});

/** Mean absolute difference of two equally long gray images. */
function meanAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i += 1) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

function mirrored(gray: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(gray.length);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) out[y * size + x] = gray[y * size + size - 1 - x];
  }
  return out;
}

test('snapshot sends the unmirrored frame to the prediction panel', async () => {
  await page.getByTestId('webcam-start').click();
  await waitForFrames(page, 1, 120_000);
  await expect(page.getByTestId('webcam-mirror')).toBeChecked();
  await expect(page.getByTestId('webcam-video')).toHaveCSS('transform', 'matrix(-1, 0, 0, 1, 0, 0)');

  await page.getByTestId('webcam-snapshot').click();
  const preview = page.getByTestId('current-image');
  await expect(preview).toHaveAttribute('alt', /camera-\d\d-\d\d-\d\d\.png/);
  await expect(page.getByTestId('prediction-row').first()).toBeVisible({ timeout: 120_000 });

  // The preview's red channel, which equals gray for these frames.
  const snapshot = await preview.evaluate((element) => {
    const image = element as HTMLImageElement;
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    const context = canvas.getContext('2d')!;
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    return { width: canvas.width, height: canvas.height, gray: Array.from(data.filter((_, i) => i % 4 === 0)) };
  });
  expect([snapshot.width, snapshot.height]).toEqual([FRAME_SIZE, FRAME_SIZE]);

  // Every item differs from its mirror image by over 25 gray levels on average, so the
  // orientation of the closest item shows whether the snapshot was mirrored.
  const matches = video.manifest.items.map((item) => {
    const file = join(FASHION_DIR, 'images', `${String(item.testIndex).padStart(5, '0')}.png`);
    const frame = scaleGray(decodeGrayPng(readFileSync(file), file), FRAME_SIZE);
    return {
      label: item.label,
      unmirrored: meanAbsDifference(snapshot.gray, frame),
      mirrored: meanAbsDifference(snapshot.gray, mirrored(frame, FRAME_SIZE)),
    };
  });
  const best = matches.reduce((a, b) => (Math.min(b.unmirrored, b.mirrored) < Math.min(a.unmirrored, a.mirrored) ? b : a));
  test.info().annotations.push({ type: 'snapshot match', description: JSON.stringify(matches) });
  // YUV conversion and PNG round trip: within two gray levels on average.
  expect(best.unmirrored, `difference to the unmirrored item ${JSON.stringify(best)}`).toBeLessThan(2);
  expect(best.mirrored, `difference to the mirrored item ${JSON.stringify(best)}`).toBeGreaterThan(10);
  const top1 = Number(await page.getByTestId('prediction-row').first().getAttribute('data-index'));
  expect(top1, 'classifier panel top-1 for the snapshot').toBe(best.label);
});

test('unplugged camera shows its message and the page keeps working', async () => {
  await page.getByTestId('webcam-start').click();
  await waitForFrames(page, 1, 120_000);

  // A camera that disappears ends its track and fires 'ended', which the fake device never does.
  await page.getByTestId('webcam-video').evaluate((element) => {
    const stream = (element as HTMLVideoElement).srcObject as MediaStream;
    stream.getVideoTracks()[0].dispatchEvent(new Event('ended'));
  });

  const error = page.getByTestId('webcam-error');
  await expect(error).toHaveAttribute('data-code', 'camera-disconnected');
  await expect(error).toContainText('unplugged');
  await expect(page.getByTestId('webcam-use-file')).toBeVisible();
  expect((await readWebcamStats(page))?.liveTracks).toBe(0);

  // The rest of the page still classifies images.
  await page.getByTestId('sample-button').first().click();
  await expect(page.getByTestId('prediction-row').first()).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('error-message')).toHaveCount(0);
  expect(pageErrors).toEqual([]);
});
