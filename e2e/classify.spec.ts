// The classifier UI on WebGPU: Fashion-MNIST test images uploaded through the file picker get
// PyTorch's top-1, and the result panel, samples and language switch show the right values.

import { expect, test } from '@playwright/test';

import {
  clickSampleAndClassify,
  imageCaption,
  interpolate,
  openApp,
  readPrediction,
  switchLanguage,
  UI_TEXT,
  uploadAndClassify,
  type PredictionRow,
} from './helpers/app';
import { listFashionImages, loadClassLabels, loadPyTorchPredictions, loadSampleIndex } from './helpers/fashion';

const MIN_IMAGES = 50;
const MIN_ACCURACY = 0.9;
const TOP_K = 5;

const predictions = loadPyTorchPredictions();
const classLabels = loadClassLabels();

test.use({ locale: 'en-US' });

function expectWellFormedRows(rows: PredictionRow[]): void {
  expect(rows, 'prediction rows').toHaveLength(TOP_K);
  for (const [rank, row] of rows.entries()) {
    expect(row.probability, `probability of rank ${rank + 1}`).toBeGreaterThan(0);
    expect(row.probability, `probability of rank ${rank + 1}`).toBeLessThanOrEqual(1);
  }
  for (let rank = 1; rank < rows.length; rank += 1) {
    expect(rows[rank].probability, `probability of rank ${rank + 1} vs rank ${rank}`).toBeLessThanOrEqual(rows[rank - 1].probability);
  }
}

test.describe('classifier on WebGPU', () => {
  test.beforeEach(async ({ page }) => {
    await openApp(page);
  });

  test('uploaded test images match PyTorch top-1', async ({ page }) => {
    test.setTimeout(900_000);
    const images = listFashionImages();
    expect(images.length, 'exported Fashion-MNIST test images').toBeGreaterThanOrEqual(MIN_IMAGES);

    const results: { testIndex: number; displayed: number; pytorch: number; label: number }[] = [];
    for (const image of images) {
      const rows = await uploadAndClassify(page, image.path);
      await expect(imageCaption(page), 'caption of the uploaded image')
        .toContainText(`${String(image.testIndex).padStart(5, '0')}.png`);
      results.push({
        testIndex: image.testIndex,
        displayed: rows[0].index,
        pytorch: predictions.pytorchTop1[image.testIndex],
        label: predictions.labels[image.testIndex],
      });
    }

    const mismatches = results.filter((result) => result.displayed !== result.pytorch);
    expect(mismatches, 'test images whose displayed top-1 differs from PyTorch').toEqual([]);

    const correct = results.filter((result) => result.displayed === result.label).length;
    const accuracy = correct / results.length;
    test.info().annotations.push({ type: 'accuracy', description: `${correct} / ${results.length}` });
    expect(accuracy, `accuracy against true labels (${correct} of ${results.length})`).toBeGreaterThanOrEqual(MIN_ACCURACY);
  });

  test('result shows top-5, backend and time', async ({ page }) => {
    const [image] = listFashionImages();
    const rows = await uploadAndClassify(page, image.path);

    expectWellFormedRows(rows);
    expect(rows.map((row) => row.label), 'class names of the rows').toEqual(rows.map((row) => classLabels.en[row.index]));
    await expect(page.getByTestId('backend-name')).toHaveAttribute('data-backend', 'webgpu');
    await expect(page.getByTestId('backend-name')).toHaveText(UI_TEXT.en.backend.names.webgpu);
    // SwiftShader is a fallback adapter, so the note offers the WebAssembly backend.
    const useWasm = new URL(await page.getByTestId('use-wasm').getAttribute('href') ?? '', page.url());
    expect(useWasm.searchParams.get('backend'), 'backend of the software-adapter link').toBe('wasm');

    const milliseconds = Number(await page.getByTestId('inference-ms').getAttribute('data-ms'));
    expect(milliseconds, 'inference time in ms').toBeGreaterThan(0);
    expect(Number.isFinite(milliseconds), `inference time ${milliseconds} is finite`).toBe(true);
  });

  test('sample buttons show true label and top-1', async ({ page }) => {
    const samples = loadSampleIndex();
    const buttons = page.getByTestId('sample-button');
    await expect(buttons).toHaveCount(samples.length);

    let correct = 0;
    for (const sample of samples) {
      const button = page.locator(`[data-testid="sample-button"][data-file="${sample.file}"]`);
      await expect(button, `button of ${sample.file}`).toHaveAttribute('data-label', String(sample.label));

      const rows = await clickSampleAndClassify(page, button);
      expectWellFormedRows(rows);
      expect(rows[0].index, `top-1 of sample ${sample.file}`).toBe(predictions.pytorchTop1[sample.testIndex]);

      const trueLabel = page.locator('.true-label');
      await expect(trueLabel, `true label of ${sample.file}`).toContainText(classLabels.en[sample.label]);
      const verdict = rows[0].index === sample.label ? UI_TEXT.en.result.correct : UI_TEXT.en.result.incorrect;
      await expect(trueLabel, `verdict for ${sample.file}`).toContainText(verdict);
      if (rows[0].index === sample.label) correct += 1;
    }

    // The verdict check above covers both texts only if the "correct" one appeared at least once.
    expect(correct, 'samples whose top-1 is the true label').toBeGreaterThan(0);
  });

  test('language switch translates class names', async ({ page }) => {
    const [image] = listFashionImages();
    const rows = await uploadAndClassify(page, image.path);
    const indices = rows.map((row) => row.index);

    await switchLanguage(page, 'ja');
    const japanese = await readPrediction(page);
    expect(japanese.map((row) => row.index), 'class order after switching to Japanese').toEqual(indices);
    expect(japanese.map((row) => row.label), 'Japanese class names').toEqual(indices.map((index) => classLabels.ja[index]));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(UI_TEXT.ja.app.title);
    await expect(imageCaption(page))
      .toContainText(interpolate(UI_TEXT.ja.input.size, { width: 28, height: 28 }));

    await switchLanguage(page, 'en');
    const english = await readPrediction(page);
    expect(english.map((row) => row.label), 'English class names').toEqual(indices.map((index) => classLabels.en[index]));
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(UI_TEXT.en.app.title);
  });
});
