// tf.memory() stays flat over a long run of the live loop. It runs on the WASM backend
// (?backend=wasm), because 500 frames on SwiftShader's software WebGPU take many minutes.

import { expect, test } from '@playwright/test';

import {
  AUTO_ACCEPT_FLAG,
  collectPageErrors,
  FAKE_DEVICE_FLAG,
  fakeVideoFlag,
  launchBrowser,
  makeWebcamVideo,
  openAppWithModel,
  waitForFrames,
} from './webcam.config';

const WARM_FRAMES = 10;
const LONG_RUN_FRAMES = 500;

test('tensors and bytes after 500 frames equal those after 10', async ({}, testInfo) => {
  test.setTimeout(900_000);
  // 60 fps, so the camera outpaces the loop and every loop turn finds a new frame.
  const video = makeWebcamVideo({ items: 3, framesPerItem: 30, fps: 60, size: 112 });
  const browser = await launchBrowser(testInfo, [FAKE_DEVICE_FLAG, AUTO_ACCEPT_FLAG, fakeVideoFlag(video.path)]);
  try {
    const page = await browser.newPage();
    const pageErrors = collectPageErrors(page);
    await openAppWithModel(page, testInfo, '?backend=wasm');
    await expect(page.getByTestId('backend-name')).toHaveAttribute('data-backend', 'wasm');

    await page.getByTestId('webcam-start').click();
    const warm = await waitForFrames(page, WARM_FRAMES, 300_000);
    const started = Date.now();
    const long = await waitForFrames(page, LONG_RUN_FRAMES, 800_000);
    const seconds = (Date.now() - started) / 1000;
    testInfo.annotations.push({
      type: 'memory',
      description: JSON.stringify({ warm, long, loopFps: (long.frames - warm.frames) / seconds }),
    });

    expect(long.tensors, `tensors after ${long.frames} frames vs after ${warm.frames}`).toBe(warm.tensors);
    expect(long.bytes, `bytes after ${long.frames} frames vs after ${warm.frames}`).toBe(warm.bytes);
    expect(long.liveTracks).toBe(1);
    expect(pageErrors).toEqual([]);
  } finally {
    await browser.close();
    video.remove();
  }
});
