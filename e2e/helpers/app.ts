// Page actions and readings for the classifier UI (index.html), shared by the browser tests.

import { expect, type Locator, type Page } from '@playwright/test';

import { en } from '../../src/app/i18n/en';
import { ja } from '../../src/app/i18n/ja';

export type Language = 'en' | 'ja';

/** The app's own message catalogs, so the tests check the text users see in each language. */
export const UI_TEXT = { en, ja } as const;

/**
 * Model download, network build and warm-up. On SwiftShader the warm-up compiles every WebGPU
 * shader on the CPU, which takes minutes on a busy 2-core machine.
 */
export const MODEL_READY_TIMEOUT_MS = 240_000;

/** One upload, from decode to the result on screen. The first inference of a new input size can compile shaders. */
export const CLASSIFY_TIMEOUT_MS = 120_000;

/** A file built in the test, in the form Playwright's setInputFiles takes. */
export interface UploadFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

export interface PredictionRow {
  /** Class index. */
  index: number;
  probability: number;
  /** Class name as shown. */
  label: string;
}

/** Replace i18next `{{name}}` placeholders, failing on any placeholder without a value. */
export function interpolate(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (placeholder, key: string) => {
    if (!(key in values)) throw new Error(`No value for ${placeholder} in "${template}"`);
    return String(values[key]);
  });
}

/** Load the app and wait until the model has loaded and warmed up. */
export async function openApp(page: Page): Promise<void> {
  await page.goto('/');
  const status = page.getByTestId('model-status');
  await expect(status).not.toHaveAttribute('data-state', 'loading', { timeout: MODEL_READY_TIMEOUT_MS });

  const shownError = await page.getByTestId('error-message').allTextContents();
  expect(await status.getAttribute('data-state'), `model failed to load: ${shownError.join(' ')}`).toBe('ready');
}

export async function readClassifyCount(page: Page): Promise<number> {
  return page.evaluate(() => Number(document.body.dataset.classifyCount ?? '0'));
}

/** Wait until the number of completed classifications exceeds `before`. */
export async function waitForClassification(page: Page, before: number, timeout = CLASSIFY_TIMEOUT_MS): Promise<void> {
  try {
    await page.waitForFunction(
      (count) => Number(document.body.dataset.classifyCount ?? '0') > count,
      before,
      { timeout },
    );
  } catch (error) {
    const shownError = await page.getByTestId('error-message').allTextContents();
    throw new Error(`No classification finished within ${timeout} ms (classifyCount stayed at ${before}); `
      + `error shown: ${shownError.join(' ') || 'none'}`, { cause: error });
  }
}

/** Read the prediction rows, top-1 first. */
export async function readPrediction(page: Page): Promise<PredictionRow[]> {
  return page.getByTestId('prediction-row').evaluateAll((rows) => rows.map((row) => ({
    index: Number((row as HTMLElement).dataset.index),
    probability: Number((row as HTMLElement).dataset.probability),
    label: row.querySelector('.prediction__label')?.textContent ?? '',
  })));
}

/** Choose `file` in the file picker and return the prediction once it is on screen. */
export async function uploadAndClassify(page: Page, file: string | UploadFile, timeout = CLASSIFY_TIMEOUT_MS): Promise<PredictionRow[]> {
  const before = await readClassifyCount(page);
  await page.getByTestId('file-input').setInputFiles(file);
  await waitForClassification(page, before, timeout);
  return readPrediction(page);
}

/** Click a sample and return the prediction once it is on screen. */
export async function clickSampleAndClassify(page: Page, sample: Locator): Promise<PredictionRow[]> {
  const before = await readClassifyCount(page);
  await sample.click();
  await waitForClassification(page, before);
  return readPrediction(page);
}

export async function switchLanguage(page: Page, language: Language): Promise<void> {
  await page.getByTestId('language-switch').locator(`button[data-language="${language}"]`).click();
  await expect(page.locator('html')).toHaveAttribute('lang', language);
}

/** Locate the translated sentence of the error on screen, without the technical details. */
export function errorText(page: Page): Locator {
  return page.getByTestId('error-message').locator('p').first();
}

/** Close the error on screen, if any, with its dismiss button. */
export async function dismissError(page: Page): Promise<void> {
  const error = page.getByTestId('error-message');
  if (await error.count() === 0) return;
  await error.getByRole('button').click();
  await expect(error).toHaveCount(0);
}

/** Locate the caption under the current image: file name, then "width × height px". */
export function imageCaption(page: Page): Locator {
  return page.getByTestId('drop-zone').locator('figcaption');
}

/** Intrinsic size of the displayed image, which Chromium reports after EXIF orientation. */
export async function readNaturalSize(page: Page): Promise<{ width: number; height: number }> {
  return page.getByTestId('current-image').evaluate(async (element) => {
    const image = element as HTMLImageElement;
    await image.decode();
    return { width: image.naturalWidth, height: image.naturalHeight };
  });
}
