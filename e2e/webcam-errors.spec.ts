// Camera failures: each shows its message with a way forward, and the rest of the page keeps
// working. The browser has Chromium's fake camera but no automatic permission grant, so a
// permission request is denied as a user would deny it.

import { join } from 'node:path';

import { expect, test, type Browser, type Page } from '@playwright/test';

import { FASHION_DIR } from '../scripts/make-webcam-video.mjs';
import { baseUrl, collectPageErrors, FAKE_DEVICE_FLAG, launchBrowser, readWebcamStats } from './webcam.config';

let browser: Browser;

test.beforeAll(async ({}, testInfo) => {
  browser = await launchBrowser(testInfo, [FAKE_DEVICE_FLAG]);
});

test.afterAll(async () => {
  await browser?.close();
});

/** Open the app in a fresh context, after `initScript` (if any) changed the camera API. */
async function openApp(baseURL: string, initScript?: string): Promise<{ page: Page; pageErrors: string[] }> {
  const context = await browser.newContext();
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  const pageErrors = collectPageErrors(page);
  await page.goto(`${baseURL}/`);
  return { page, pageErrors };
}

/** Check the way forward: an image file chosen from the camera error becomes the current image. */
async function expectFileFallback(page: Page): Promise<void> {
  await expect(page.getByTestId('webcam-use-file')).toBeVisible();
  await page.getByTestId('webcam-error').locator('input[type="file"]').setInputFiles(join(FASHION_DIR, 'images', '00000.png'));
  await expect(page.getByTestId('current-image')).toHaveAttribute('alt', /00000\.png/);
  await expect(page.getByTestId('webcam-error')).toHaveCount(0);
}

test('denied permission shows its message in English and Japanese', async ({}, testInfo) => {
  const { page, pageErrors } = await openApp(baseUrl(testInfo));
  await page.getByTestId('webcam-start').click();

  const error = page.getByTestId('webcam-error');
  await expect(error).toHaveAttribute('data-code', 'permission-denied');
  await expect(error).toContainText('Camera access was denied');
  await expect(error).toContainText('choose an image file instead');
  await expect(page.getByTestId('webcam-retry')).toBeVisible();

  await page.getByTestId('language-switch').getByRole('button', { name: '日本語' }).click();
  await expect(error).toContainText('カメラへのアクセスが拒否されました');

  expect((await readWebcamStats(page))?.liveTracks ?? 0).toBe(0);
  await expectFileFallback(page);
  expect(pageErrors).toEqual([]);
  await page.context().close();
});

test.describe('getUserMedia failures', () => {
  const cases = [
    { name: 'NotReadableError', code: 'camera-in-use', text: 'in use by another program' },
    { name: 'NotFoundError', code: 'no-camera', text: 'No camera was found' },
  ];
  for (const { name, code, text } of cases) {
    test(`${name} shows ${code}`, async ({}, testInfo) => {
      const { page, pageErrors } = await openApp(baseUrl(testInfo), `navigator.mediaDevices.getUserMedia = async () => {
        throw new DOMException('test failure', '${name}');
      };`);
      await page.getByTestId('webcam-start').click();

      const error = page.getByTestId('webcam-error');
      await expect(error).toHaveAttribute('data-code', code);
      await expect(error).toContainText(text);
      await expect(error).toContainText(`${name}: test failure`);
      await expectFileFallback(page);
      expect(pageErrors).toEqual([]);
      await page.context().close();
    });
  }
});

test('no video input shows no-camera without asking for permission', async ({}, testInfo) => {
  const { page, pageErrors } = await openApp(baseUrl(testInfo), `(() => {
    window.__getUserMediaCalls = 0;
    navigator.mediaDevices.enumerateDevices = async () => [];
    navigator.mediaDevices.getUserMedia = async () => {
      window.__getUserMediaCalls += 1;
      throw new Error('getUserMedia must not be called without cameras');
    };
  })();`);
  await page.getByTestId('webcam-start').click();

  await expect(page.getByTestId('webcam-error')).toHaveAttribute('data-code', 'no-camera');
  expect(await page.evaluate(() => (window as unknown as { __getUserMediaCalls: number }).__getUserMediaCalls)).toBe(0);
  expect(pageErrors).toEqual([]);
  await page.context().close();
});

test('missing mediaDevices in an insecure context is reported on load', async ({}, testInfo) => {
  // Loopback is a secure context, so an insecure page is simulated the way browsers present it.
  const { page, pageErrors } = await openApp(baseUrl(testInfo), `(() => {
    Object.defineProperty(Navigator.prototype, 'mediaDevices', { get: () => undefined, configurable: true });
    Object.defineProperty(window, 'isSecureContext', { get: () => false, configurable: true });
  })();`);

  const error = page.getByTestId('webcam-error');
  await expect(error).toHaveAttribute('data-code', 'insecure-context');
  await expect(error).toContainText('https://');
  await expect(page.getByTestId('webcam-retry')).toHaveCount(0);
  await expectFileFallback(page);
  expect(pageErrors).toEqual([]);
  await page.context().close();
});
