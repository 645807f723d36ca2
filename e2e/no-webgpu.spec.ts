// The backend fallback: this file runs in the no-webgpu project, whose Chromium starts with
// WebGPU disabled, so the app has to say so and classify on WebGL.

import { expect, test } from '@playwright/test';

import { clickSampleAndClassify, interpolate, openApp, UI_TEXT } from './helpers/app';
import { loadPyTorchPredictions, loadSampleIndex } from './helpers/fashion';

const predictions = loadPyTorchPredictions();

test.use({ locale: 'en-US' });

test('without WebGPU the app falls back to WebGL', async ({ page }) => {
  await openApp(page);

  const notice = page.getByTestId('backend-fallback');
  await expect(notice).toBeVisible();
  // The reason is the browser's own error text, so only the sentence up to it is compared.
  const [unavailableSentence] = UI_TEXT.en.backend.unavailable.split('{{reason}}');
  await expect(notice, 'names the missing backend')
    .toContainText(interpolate(unavailableSentence, { failed: UI_TEXT.en.backend.names.webgpu }));
  await expect(notice, 'names the backend in use')
    .toContainText(interpolate(UI_TEXT.en.backend.runningOn, { backend: UI_TEXT.en.backend.names.webgl }));

  const backend = page.getByTestId('backend-name');
  await expect(backend).not.toHaveAttribute('data-backend', 'webgpu');
  await expect(backend).toHaveAttribute('data-backend', 'webgl');

  // A sample PyTorch classifies correctly has to show its true label as top-1 here too.
  const sample = loadSampleIndex().find((entry) => predictions.pytorchTop1[entry.testIndex] === entry.label);
  if (!sample) throw new Error('PyTorch misclassifies every sample in public/samples/samples.json');
  const rows = await clickSampleAndClassify(page, page.locator(`[data-testid="sample-button"][data-file="${sample.file}"]`));

  expect(rows[0].index, `top-1 of sample ${sample.file}`).toBe(sample.label);
  await expect(backend, 'backend that ran the classification').toHaveAttribute('data-backend', 'webgl');
});
