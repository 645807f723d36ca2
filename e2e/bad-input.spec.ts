// Inputs that go wrong in real use. Files that are not images or cannot be decoded get a
// translated error while the previous result stays on screen. Valid but unusual images (alpha,
// EXIF orientation, 24 megapixels) get the right result without freezing the page.

import { readFileSync } from 'node:fs';

import { expect, test, type Page } from '@playwright/test';

import {
  dismissError,
  errorText,
  imageCaption,
  interpolate,
  openApp,
  readClassifyCount,
  readNaturalSize,
  readPrediction,
  switchLanguage,
  UI_TEXT,
  uploadAndClassify,
  type Language,
  type UploadFile,
} from './helpers/app';
import { HEIC_PATH, listFashionImages, loadPyTorchPredictions, readFashionImage } from './helpers/fashion';
import { expectPageResponsive, startFrameCounter } from './helpers/frames';
import { centredPhotoJpeg, orientationJpegs, renderImage, transparentBackgroundPng } from './helpers/images';
import { withGarbageAfterHeader } from './helpers/jpeg';

type ErrorCode = 'empty-file' | 'not-an-image' | 'unsupported-format' | 'decode-failed';

interface BadInput {
  title: string;
  file: UploadFile;
  code: ErrorCode;
  /** Values of the message placeholders besides the file name. */
  params?: Record<string, string>;
}

/** What was on screen after the last good classification. */
interface PreviousResult {
  imageUrl: string;
  caption: string;
  top1: number;
  classifyCount: number;
}

const predictions = loadPyTorchPredictions();

/** Test image 0, an ankle boot, as in the HEIC fixture. */
const GOOD_IMAGE_INDEX = 0;

test.use({ locale: 'en-US' });

function expectedMessage(input: BadInput, language: Language): string {
  return interpolate(UI_TEXT[language].errors[input.code], { name: input.file.name, ...input.params });
}

async function buildBadInputs(page: Page): Promise<BadInput[]> {
  const png = readFashionImage(GOOD_IMAGE_INDEX);
  const jpeg = await renderImage(page, png, {
    width: 28, height: 28, placement: { x: 0, y: 0, width: 28, height: 28 }, type: 'image/jpeg', quality: 0.9,
  });

  return [
    { title: 'zero-byte file', code: 'empty-file', file: { name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) } },
    {
      title: 'text file',
      code: 'not-an-image',
      file: { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Fashion-MNIST has 10 classes.\n'.repeat(20)) },
    },
    {
      title: 'truncated PNG',
      code: 'decode-failed',
      file: { name: 'truncated.png', mimeType: 'image/png', buffer: png.subarray(0, Math.floor(png.length / 2)) },
    },
    {
      title: 'JPEG with garbage after header',
      code: 'decode-failed',
      file: { name: 'garbage.jpg', mimeType: 'image/jpeg', buffer: withGarbageAfterHeader(jpeg, 4096) },
    },
    {
      title: 'HEIC photo',
      code: 'unsupported-format',
      params: { format: 'HEIC' },
      file: { name: 'ankle-boot.heic', mimeType: 'image/heic', buffer: readFileSync(HEIC_PATH) },
    },
  ];
}

async function classifyGoodImage(page: Page, testIndex: number): Promise<PreviousResult> {
  const image = listFashionImages().find((entry) => entry.testIndex === testIndex);
  if (!image) throw new Error(`Test image ${testIndex} is missing from tests/fixtures/fashion/images`);

  const rows = await uploadAndClassify(page, image.path);
  expect(rows[0].index, `top-1 of test image ${testIndex}`).toBe(predictions.pytorchTop1[testIndex]);
  return {
    imageUrl: await page.getByTestId('current-image').getAttribute('src') ?? '',
    caption: await imageCaption(page).textContent() ?? '',
    top1: rows[0].index,
    classifyCount: await readClassifyCount(page),
  };
}

async function expectResultKept(page: Page, previous: PreviousResult, input: string): Promise<void> {
  await expect(page.getByTestId('current-image'), `image after ${input}`).toHaveAttribute('src', previous.imageUrl);
  await expect(imageCaption(page), `caption after ${input}`).toHaveText(previous.caption);
  const rows = await readPrediction(page);
  expect(rows.length, `prediction rows after ${input}`).toBeGreaterThan(0);
  expect(rows[0].index, `top-1 after ${input}`).toBe(previous.top1);
  expect(await readClassifyCount(page), `classifications after ${input}`).toBe(previous.classifyCount);
}

async function uploadAndExpectError(page: Page, input: BadInput, language: Language): Promise<void> {
  await dismissError(page);
  await page.getByTestId('file-input').setInputFiles(input.file);

  const error = page.getByTestId('error-message');
  await expect(error, `error for ${input.title}`).toBeVisible();
  await expect(error, `error code for ${input.title}`).toHaveAttribute('data-code', input.code);
  await expect(errorText(page), `message for ${input.title}`).toHaveText(expectedMessage(input, language));
  await expect(page.getByTestId('drop-zone'), `decoding finished after ${input.title}`).toHaveAttribute('aria-busy', 'false');
}

test.describe('bad input', () => {
  test.beforeEach(async ({ page }) => {
    await openApp(page);
  });

  test('bad files show error and keep result', async ({ page }) => {
    const previous = await classifyGoodImage(page, GOOD_IMAGE_INDEX);
    const inputs = await buildBadInputs(page);

    for (const input of inputs) {
      await startFrameCounter(page);
      await uploadAndExpectError(page, input, 'en');
      await expectResultKept(page, previous, input.title);
      await expectPageResponsive(page, input.title);
    }

    // The errors left the app able to classify the next good file.
    const next = await classifyGoodImage(page, 1);
    expect(next.classifyCount, 'classifications after the good file').toBe(previous.classifyCount + 1);
    await expect(page.getByTestId('error-message'), 'error after a good file').toHaveCount(0);
  });

  test('error message follows language', async ({ page }) => {
    const previous = await classifyGoodImage(page, GOOD_IMAGE_INDEX);
    const inputs = await buildBadInputs(page);
    const heic = inputs.find((input) => input.code === 'unsupported-format');
    const empty = inputs.find((input) => input.code === 'empty-file');
    if (!heic || !empty) throw new Error('The bad input table lacks the HEIC or the zero-byte file');

    await uploadAndExpectError(page, heic, 'en');

    // The error on screen is translated again when the language changes.
    await switchLanguage(page, 'ja');
    await expect(errorText(page), 'HEIC message after switching to Japanese').toHaveText(expectedMessage(heic, 'ja'));

    await uploadAndExpectError(page, empty, 'ja');
    await expectResultKept(page, previous, 'the zero-byte file in Japanese');

    await switchLanguage(page, 'en');
    await expect(errorText(page), 'zero-byte message after switching back').toHaveText(expectedMessage(empty, 'en'));
  });

  test('PNG with alpha composites onto black', async ({ page }) => {
    const original = await classifyGoodImage(page, GOOD_IMAGE_INDEX);
    const originalRows = await readPrediction(page);

    const png = await transparentBackgroundPng(page, readFashionImage(GOOD_IMAGE_INDEX));
    const rows = await uploadAndClassify(page, { name: 'transparent.png', mimeType: 'image/png', buffer: png });

    expect(rows[0].index, 'top-1 of the transparent-background PNG').toBe(original.top1);
    // Opaque pixels keep their value and transparent ones become black, so the input is the same.
    expect(rows[0].probability, 'top-1 probability').toBeCloseTo(originalRows[0].probability, 5);
  });

  test('EXIF orientation 6 is shown upright', async ({ page }) => {
    // A 32x64 portrait. A viewer that ignores EXIF shows the stored 64x32 landscape instead.
    const jpegs = await orientationJpegs(page, readFashionImage(GOOD_IMAGE_INDEX), 32, 64);

    const uprightRows = await uploadAndClassify(page, jpegs.upright);
    expect(await readNaturalSize(page), 'size of the upright JPEG').toEqual({ width: 32, height: 64 });

    const sidewaysRows = await uploadAndClassify(page, jpegs.sideways);
    expect(await readNaturalSize(page), 'size of the sideways JPEG without EXIF').toEqual({ width: 64, height: 32 });

    const exifRows = await uploadAndClassify(page, jpegs.sidewaysWithExif);
    expect(await readNaturalSize(page), 'displayed size of the EXIF-rotated JPEG').toEqual({ width: 32, height: 64 });
    await expect(imageCaption(page), 'decoded size of the EXIF-rotated JPEG')
      .toContainText(interpolate(UI_TEXT.en.input.size, { width: 32, height: 64 }));
    expect(exifRows[0].index, 'top-1 of the EXIF-rotated JPEG').toBe(uprightRows[0].index);
    expect(exifRows[0].probability, 'top-1 probability of the EXIF-rotated JPEG').toBeCloseTo(uprightRows[0].probability, 2);

    test.info().annotations.push({
      type: 'top-5 probabilities',
      description: JSON.stringify({ upright: uprightRows, sideways: sidewaysRows, exif: exifRows }),
    });

    // The control shows that orientation matters to the network, so the check above can fail.
    const sidewaysProbability = sidewaysRows.find((row) => row.index === uprightRows[0].index)?.probability ?? 0;
    expect(Math.abs(sidewaysProbability - uprightRows[0].probability), 'upright vs sideways top-1 probability')
      .toBeGreaterThan(0.05);
  });

  test('6000x4000 photo classifies without freezing', async ({ page }) => {
    test.setTimeout(600_000);
    const source = readFashionImage(GOOD_IMAGE_INDEX);
    const small = await centredPhotoJpeg(page, source, 600, 400);
    const smallRows = await uploadAndClassify(page, small);

    const large = await centredPhotoJpeg(page, source, 6000, 4000);
    await startFrameCounter(page);
    const rows = await uploadAndClassify(page, large, 300_000);
    await expectPageResponsive(page, 'the 6000x4000 JPEG');
    // The decode and its downscale ran in the decode worker, not on the page's main thread.
    expect(page.workers().map((worker) => worker.url()).filter((url) => url.includes('decode.worker')), 'decode workers').toHaveLength(1);

    await expect(imageCaption(page), 'decoded size').toContainText(interpolate(UI_TEXT.en.input.size, { width: 6000, height: 4000 }));
    expect(await readNaturalSize(page), 'displayed size').toEqual({ width: 6000, height: 4000 });
    expect(rows.length, 'prediction rows').toBeGreaterThan(0);
    test.info().annotations.push({ type: 'top-5 probabilities', description: JSON.stringify({ small: smallRows, large: rows }) });
    // Downscaled to the network input, the large photo and the same picture at 600x400 agree.
    expect(rows[0].index, 'top-1 of the 6000x4000 photo vs the 600x400 one').toBe(smallRows[0].index);
  });
});
