// Checkpoint import on the real UI, on WebGPU: every loadable fixture written by
// tools/make_checkpoint_fixtures.py gives PyTorch's logits, every bad one shows its message and
// leaves the previous model working, and imported models survive a reload until removed.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { expect, test, type Browser, type Page } from '@playwright/test';

import type { CheckpointLayoutKind } from '../src/checkpoint';
import { nchwToNhwc } from '../src/model/layout';
import { parseSafetensors } from '../src/model/safetensors';
import type { RawTensorMap } from '../src/model/tensors';
import { encodeSafetensors } from '../src/storage/safetensorsBlob';
import {
  CLASSIFY_TIMEOUT_MS, interpolate, openApp, readClassifyCount, readPrediction, switchLanguage, UI_TEXT,
  waitForClassification, type Language,
} from './helpers/app';
import { encodeRgbaPng } from './helpers/png';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, 'tests', 'fixtures', 'checkpoints');
const BUNDLED_DIR = join(ROOT, 'public', 'models', 'fashion-coatnet');
const BUNDLED_WEIGHTS = join(BUNDLED_DIR, 'model.safetensors');

interface Manifest {
  models: Record<string, { config: { imageSize: [number, number]; numClasses: number; blockTypes: string[] } }>;
  labels: string[];
  pwnedMarkers: Record<string, string>;
}

const MANIFEST = JSON.parse(readFileSync(join(FIXTURES, 'manifest.json'), 'utf8')) as Manifest;
const EXPECTED: RawTensorMap = (() => {
  const bytes = readFileSync(join(FIXTURES, 'expected.safetensors'));
  return parseSafetensors(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, 'expected').tensors;
})();

/** Build, warm-up (shader compilation on SwiftShader) and IndexedDB write of one small model. */
const ADD_TIMEOUT_MS = 180_000;
const LOGITS_TOLERANCE = 1e-4;

interface LoadableCase {
  file: string;
  model: string;
  logits: string;
  layout: CheckpointLayoutKind;
  weightsKey: string;
  strippedPrefix: string;
  converted: string;
}

const LOADABLE: LoadableCase[] = [
  { file: 'cctt_bare.pth', model: 'cctt', logits: 'logits_cctt', layout: 'state-dict', weightsKey: '', strippedPrefix: '', converted: '' },
  { file: 'cctt_wrapped.pth', model: 'cctt', logits: 'logits_cctt', layout: 'wrapped-state-dict', weightsKey: 'state_dict', strippedPrefix: '', converted: '' },
  { file: 'cctt_model_state_dict.pth', model: 'cctt', logits: 'logits_cctt', layout: 'wrapped-state-dict', weightsKey: 'model_state_dict', strippedPrefix: '', converted: '' },
  { file: 'cctt_module_prefix.pth', model: 'cctt', logits: 'logits_cctt', layout: 'state-dict', weightsKey: '', strippedPrefix: 'module.', converted: '' },
  { file: 'cctt_orig_mod_prefix.pth', model: 'cctt', logits: 'logits_cctt', layout: 'state-dict', weightsKey: '', strippedPrefix: '_orig_mod.', converted: '' },
  { file: 'cctt_whole_model.pth', model: 'cctt', logits: 'logits_cctt', layout: 'whole-model', weightsKey: '', strippedPrefix: '', converted: '' },
  { file: 'cctt_float16.pth', model: 'cctt', logits: 'logits_cctt_float16', layout: 'state-dict', weightsKey: '', strippedPrefix: '', converted: 'float16' },
  { file: 'cctt_bfloat16.pth', model: 'cctt', logits: 'logits_cctt_bfloat16', layout: 'state-dict', weightsKey: '', strippedPrefix: '', converted: 'bfloat16' },
  { file: 'cctt.safetensors', model: 'cctt', logits: 'logits_cctt', layout: 'safetensors', weightsKey: '', strippedPrefix: '', converted: '' },
  { file: 'cctt_legacy.pth', model: 'cctt', logits: 'logits_cctt', layout: 'state-dict', weightsKey: '', strippedPrefix: '', converted: '' },
  { file: 'cttt_64.pth', model: 'cttt_64', logits: 'logits_cttt_64', layout: 'state-dict', weightsKey: '', strippedPrefix: '', converted: '' },
  { file: 'ccct_64x96.pth', model: 'ccct_64x96', logits: 'logits_ccct_64x96', layout: 'state-dict', weightsKey: '', strippedPrefix: '', converted: '' },
];

interface BadCase {
  file: string;
  code: string;
  /** Message placeholders besides the file name. */
  params?: Record<string, string>;
  /** File that the pickle's payload would create if it ever ran. */
  marker?: string;
}

const BAD: BadCase[] = [
  { file: 'malicious_os_system.pth', code: 'unsafe-global', params: { global: 'posix.system' }, marker: MANIFEST.pwnedMarkers['malicious_os_system.pth'] },
  { file: 'malicious_exec.pth', code: 'unsafe-global', params: { global: '__builtin__.exec' }, marker: MANIFEST.pwnedMarkers['malicious_exec.pth'] },
  { file: 'malicious_legacy.pth', code: 'unsafe-global', params: { global: 'posix.system' }, marker: MANIFEST.pwnedMarkers['malicious_legacy.pth'] },
  { file: 'cctt_timm_style.pth', code: 'foreign-architecture', params: { expectedKeys: 's0.0.0.weight, s0.0.1.weight, s0.0.1.running_mean, s1.0.proj.weight' } },
  { file: 'cctt_truncated.pth', code: 'corrupt-archive' },
  { file: 'random_bytes.bin', code: 'not-a-checkpoint' },
];

test.use({ locale: 'en-US' });

function fixturePath(name: string): string {
  return join(FIXTURES, name);
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length, 'logit count').toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i += 1) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

async function activeModelId(page: Page): Promise<string> {
  return (await page.getByTestId('model-library').getAttribute('data-active-id')) ?? '';
}

/** Count TF.js tensors once the background classification of the current image has finished. */
async function countTensors(page: Page): Promise<number> {
  await page.evaluate(() => window.__coatnetTest!.waitForIdle());
  return page.evaluate(() => window.__coatnetTest!.numTensors());
}

async function currentModelName(page: Page): Promise<string | null> {
  return page.evaluate(() => window.__coatnetTest!.modelName());
}

/** Drop a file on the import panel's drop zone, as a user dragging it from the desktop. */
async function dropFile(page: Page, file: string, content: Uint8Array = readFileSync(fixturePath(file))): Promise<void> {
  const bytes = Array.from(content);
  const dataTransfer = await page.evaluateHandle(({ values, name }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(values)], name));
    return transfer;
  }, { values: bytes, name: file });
  await page.getByTestId('import-drop-zone').dispatchEvent('drop', { dataTransfer });
  await dataTransfer.dispose();
}

/**
 * Drop a checkpoint on the import panel, or choose it with the file picker, and wait until it is
 * read (review) or rejected (error).
 */
async function chooseCheckpoint(page: Page, file: string, via: 'drop' | 'picker' = 'drop'): Promise<void> {
  if (via === 'drop') await dropFile(page, file);
  else await page.getByTestId('import-input').setInputFiles(fixturePath(file));
  await expect(page.getByTestId('import-review').or(page.getByTestId('import-error'))).toBeVisible();
}

/** Add the reviewed import and wait until it is the current model. */
async function addReviewedModel(page: Page): Promise<void> {
  const before = await activeModelId(page);
  await page.getByTestId('import-add').click();
  await expect(page.getByTestId('import-added').or(page.getByTestId('import-error'))).toBeVisible({ timeout: ADD_TIMEOUT_MS });
  await expect(page.getByTestId('import-error')).toHaveCount(0);
  await expect(page.getByTestId('model-library')).not.toHaveAttribute('data-active-id', before);
  await expect(page.getByTestId('model-status')).toHaveAttribute('data-state', 'ready');
}

/** Run the current model on the fixture input of `model` and return its logits. */
async function runFixtureInput(page: Page, model: string): Promise<{ logits: number[]; backend: string; modelName: string }> {
  const input = EXPECTED.get(`input_${model}`)!;
  const nhwc = Array.from(nchwToNhwc(input));
  return page.evaluate((values) => window.__coatnetTest!.runLogits(values), nhwc);
}

async function expectPyTorchLogits(page: Page, model: string, logitsKey: string): Promise<void> {
  const result = await runFixtureInput(page, model);
  const expected = EXPECTED.get(logitsKey)!.data as Float32Array;
  const difference = maxAbsDifference(result.logits, expected);
  test.info().annotations.push({ type: `${logitsKey} max abs difference`, description: String(difference) });
  console.log(`${result.modelName}: max abs difference from ${logitsKey} ${difference.toExponential(2)} on ${result.backend}`);

  expect(result.backend, 'backend of the imported model').toBe('webgpu');
  expect(result.logits, 'logit count').toHaveLength(MANIFEST.models[model].config.numClasses);
  expect(difference, `max abs difference from PyTorch's ${logitsKey}`).toBeLessThanOrEqual(LOGITS_TOLERANCE);
}

/** Encode a 48 x 40 RGBA gradient, an image any model can classify after its own resize. */
function gradientPng(): { name: string; mimeType: string; buffer: Buffer } {
  const width = 48;
  const height = 40;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const offset = (y * width + x) * 4;
      rgba.set([(x * 5) % 256, (y * 6) % 256, ((x + y) * 3) % 256, 255], offset);
    }
  }
  return { name: 'gradient.png', mimeType: 'image/png', buffer: encodeRgbaPng(width, height, rgba) };
}

/** Classify an uploaded image with the current model and return the top-1 class name. */
async function classifySample(page: Page): Promise<string> {
  const before = await readClassifyCount(page);
  await page.getByTestId('file-input').setInputFiles(gradientPng());
  await waitForClassification(page, before, CLASSIFY_TIMEOUT_MS);
  const rows = await readPrediction(page);
  expect(rows.length, 'prediction rows').toBeGreaterThan(0);
  return rows[0].label;
}

function expectedError(language: Language, bad: BadCase): string {
  const template = (UI_TEXT[language].import.errors as Record<string, string>)[bad.code];
  return interpolate(template, { name: bad.file, ...bad.params });
}

async function dismissImportError(page: Page): Promise<void> {
  const error = page.getByTestId('import-error');
  if (await error.count() === 0) return;
  await error.getByRole('button', { name: UI_TEXT.en.import.dismiss }).click();
  await expect(error).toHaveCount(0);
}

async function openAppPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ locale: 'en-US' });
  page.on('pageerror', (error) => console.log(`page error: ${error.message}`));
  await openApp(page);
  return page;
}

test.describe('checkpoint import on WebGPU', () => {
  let page: Page;

  test.beforeAll(async ({ browser }) => {
    test.setTimeout(600_000);
    page = await openAppPage(browser);
    await expect(page.getByTestId('backend-name')).toHaveAttribute('data-backend', 'webgpu');
  });

  test.afterAll(async () => {
    await page?.context().close();
  });

  test('own model.safetensors matches the bundled model', async () => {
    test.setTimeout(ADD_TIMEOUT_MS + 60_000);
    expect(existsSync(BUNDLED_WEIGHTS), `${BUNDLED_WEIGHTS} (written by tools/train_fashion.py)`).toBe(true);
    const card = JSON.parse(readFileSync(join(BUNDLED_DIR, 'model.json'), 'utf8')) as { name: string; config: { imageSize: [number, number]; inChannels: number } };
    const [height, width] = card.config.imageSize;
    const input = Array.from({ length: height * width * card.config.inChannels }, (_, i) => Math.sin(i * 0.37) * 2);
    expect(await activeModelId(page)).toBe('bundled');
    const bundled = await page.evaluate((values) => window.__coatnetTest!.runLogits(values), input);

    await page.getByTestId('import-input').setInputFiles(BUNDLED_WEIGHTS);
    await expect(page.getByTestId('import-found')).toHaveAttribute('data-layout', 'safetensors');
    await expect(page.getByTestId('import-preprocessing-size')).toContainText(`${height} × ${width} px`);
    await addReviewedModel(page);
    const imported = await page.evaluate((values) => window.__coatnetTest!.runLogits(values), input);

    expect(imported.modelName).toBe('model');
    expect(maxAbsDifference(imported.logits, bundled.logits), 'imported vs bundled logits').toBeLessThanOrEqual(1e-6);
  });

  for (const fixture of LOADABLE) {
    test(`${fixture.file} gives PyTorch logits`, async () => {
      test.setTimeout(ADD_TIMEOUT_MS + 60_000);
      await dismissImportError(page);
      await chooseCheckpoint(page, fixture.file);

      const found = page.getByTestId('import-found');
      await expect(found).toHaveAttribute('data-layout', fixture.layout);
      await expect(found).toHaveAttribute('data-weights-key', fixture.weightsKey);
      await expect(found).toHaveAttribute('data-stripped-prefix', fixture.strippedPrefix);
      await expect(found).toHaveAttribute('data-converted', fixture.converted);
      const { config } = MANIFEST.models[fixture.model];
      await expect(page.getByTestId('import-block-types')).toHaveAttribute('data-types', config.blockTypes.join(''));
      await expect(page.getByTestId('import-classes')).toHaveText(String(config.numClasses));
      await expect(page.getByTestId('import-image-size')).toContainText(`${config.imageSize[0]} × ${config.imageSize[1]} px`);
      if (fixture.converted) {
        await expect(page.getByTestId('import-converted')).toContainText(`stored as ${fixture.converted}`);
      } else {
        await expect(page.getByTestId('import-converted')).toHaveCount(0);
      }

      await addReviewedModel(page);
      await expectPyTorchLogits(page, fixture.model, fixture.logits);
    });
  }

  test('C,T,T,T size is inferred', async () => {
    await dismissImportError(page);
    await chooseCheckpoint(page, 'cttt_64.pth');

    await expect(page.getByTestId('import-size-source')).toHaveText(UI_TEXT.en.import.found.sizeSource['relative-index']);
    await expect(page.getByTestId('import-size'), 'size question for an inferred size').toHaveCount(0);
    await expect(page.getByTestId('import-preprocessing-size')).toContainText('64 × 64 px');
    await expect(page.getByTestId('import-preprocessing-color')).toHaveAttribute('data-channels', 'rgb');
    await page.getByTestId('import-cancel').click();
    await expect(page.getByTestId('import-review')).toHaveCount(0);
  });

  test('C,C,C,C model asks for the size', async () => {
    test.setTimeout(ADD_TIMEOUT_MS + 60_000);
    await dismissImportError(page);
    await chooseCheckpoint(page, 'cccc_32.pth', 'picker');

    const question = page.getByTestId('import-size');
    await expect(question).toBeVisible();
    await expect(question).toContainText(UI_TEXT.en.import.size.prompt);
    for (const size of ['224x224', '128x128', '96x96', '64x64', '32x32']) {
      await expect(page.getByTestId(`import-size-${size}`), `offered size ${size}`).toBeVisible();
    }
    await expect(page.getByTestId('import-add')).toBeDisabled();
    await expect(page.getByTestId('import-blocker')).toHaveAttribute('data-blocker', 'size');

    await page.getByTestId('import-size-custom').check();
    await page.getByTestId('import-size-height').fill('48');
    await page.getByTestId('import-size-width').fill('64');
    await expect(page.getByTestId('import-size-rule')).toHaveClass('import-field-error');
    await expect(page.getByTestId('import-add')).toBeDisabled();
    await page.getByTestId('import-size-height').fill('32');
    await page.getByTestId('import-size-width').fill('32');
    await expect(page.getByTestId('import-add')).toBeEnabled();

    await addReviewedModel(page);
    await expectPyTorchLogits(page, 'cccc_32', 'logits_cccc_32');
  });

  test('3-class head uses the labels file', async () => {
    test.setTimeout(ADD_TIMEOUT_MS + CLASSIFY_TIMEOUT_MS);
    await dismissImportError(page);
    await chooseCheckpoint(page, 'cctt_bare.pth');
    await expect(page.getByTestId('imagefolder-note')).toHaveText(UI_TEXT.en.import.labels.imageFolder);

    await page.getByTestId('import-labels-input').setInputFiles(fixturePath('cctt_labels.txt'));
    await expect(page.getByTestId('import-labels-chosen')).toHaveAttribute('data-count', '3');
    await page.getByTestId('import-name').fill('cctt with labels');
    await addReviewedModel(page);

    await expectPyTorchLogits(page, 'cctt', 'logits_cctt');
    const top1 = await classifySample(page);
    expect(MANIFEST.labels, 'class names of the labels file').toContain(top1);
  });

  test('numbered class names without labels', async () => {
    test.setTimeout(ADD_TIMEOUT_MS + CLASSIFY_TIMEOUT_MS);
    await dismissImportError(page);
    await chooseCheckpoint(page, 'cctt_bare.pth');
    await page.getByTestId('import-name').fill('cctt numbered');
    await addReviewedModel(page);

    const top1 = await classifySample(page);
    expect(top1, 'default class name').toMatch(/^class [0-2]$/);
    await switchLanguage(page, 'ja');
    await expect(page.getByTestId('prediction-row').first().locator('.prediction__label')).toHaveText(/^クラス [0-2]$/);
    await switchLanguage(page, 'en');
  });

  test('wrong-count labels file is rejected', async () => {
    test.setTimeout(CLASSIFY_TIMEOUT_MS + 60_000);
    await dismissImportError(page);
    const activeBefore = await activeModelId(page);
    await chooseCheckpoint(page, 'cctt_bare.pth');

    await page.getByTestId('import-labels-input').setInputFiles(fixturePath('cctt_labels_wrong_count.txt'));
    const error = page.getByTestId('import-labels-error');
    await expect(error).toHaveAttribute('data-code', 'label-count');
    await expect(error).toHaveText(interpolate(UI_TEXT.en.import.errors['label-count'], {
      name: 'cctt_labels_wrong_count.txt', labels: 4, classes: 3,
    }));
    await expect(page.getByTestId('import-add')).toBeDisabled();

    await page.getByTestId('import-cancel').click();
    expect(await activeModelId(page), 'active model after the rejected labels').toBe(activeBefore);
    await classifySample(page);
  });

  for (const bad of BAD) {
    test(`${bad.file} is rejected`, async () => {
      test.setTimeout(CLASSIFY_TIMEOUT_MS + 60_000);
      if (bad.marker) rmSync(bad.marker, { force: true });
      await dismissImportError(page);
      const activeBefore = await activeModelId(page);
      const modelBefore = await currentModelName(page);

      await chooseCheckpoint(page, bad.file);

      const error = page.getByTestId('import-error');
      await expect(error).toHaveAttribute('data-code', bad.code);
      await expect(error.locator('p').first()).toHaveText(expectedError('en', bad));
      await expect(page.getByTestId('import-review')).toHaveCount(0);
      if (bad.marker) expect(existsSync(bad.marker), `${bad.marker} created by the pickle payload`).toBe(false);

      expect(await activeModelId(page), 'active model after the rejected file').toBe(activeBefore);
      await expect(page.getByTestId('model-status')).toHaveAttribute('data-state', 'ready');
      expect(await currentModelName(page), 'current model name').toBe(modelBefore);
      await classifySample(page);
    });
  }

  test('mismatched weights list the keys', async () => {
    test.setTimeout(CLASSIFY_TIMEOUT_MS + 60_000);
    await dismissImportError(page);
    const activeBefore = await activeModelId(page);
    const bytes = readFileSync(fixturePath('cctt.safetensors'));
    const tensors = parseSafetensors(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, 'cctt').tensors;
    tensors.delete('s0.0.1.running_var');
    tensors.set('extra.weight', { shape: [2], sourceDtype: 'float32', data: new Float32Array([1, 2]) });
    const edited = new Uint8Array(await encodeSafetensors(tensors).arrayBuffer());

    await dropFile(page, 'cctt_edited.safetensors', edited);

    const error = page.getByTestId('import-error');
    await expect(error).toHaveAttribute('data-code', 'weights-mismatch');
    await expect(error.locator('p').first()).toHaveText(interpolate(UI_TEXT.en.import.errors['weights-mismatch'], { name: 'cctt_edited.safetensors', count: 2 }));
    const missing = error.locator('details[data-kind="missing"]');
    await expect(missing.locator('summary')).toHaveText(interpolate(UI_TEXT.en.import.problems.missing, { count: 1 }));
    await missing.locator('summary').click();
    await expect(missing.locator('li')).toHaveText(['s0.0.1.running_var']);
    await expect(error.locator('details[data-kind="unexpected"] li')).toHaveText(['extra.weight']);
    expect(await activeModelId(page), 'active model after the mismatched weights').toBe(activeBefore);
    await classifySample(page);
  });

  test('errors are shown in Japanese', async () => {
    await dismissImportError(page);
    await switchLanguage(page, 'ja');
    try {
      const bad = BAD[0];
      await chooseCheckpoint(page, bad.file);
      await expect(page.getByTestId('import-error').locator('p').first()).toHaveText(expectedError('ja', bad));
      await expect(page.getByTestId('import-error')).toContainText(bad.params!.global);
    } finally {
      await switchLanguage(page, 'en');
    }
  });

  test('imported model is restored after reload', async () => {
    test.setTimeout(ADD_TIMEOUT_MS * 2 + 300_000);
    await dismissImportError(page);
    await chooseCheckpoint(page, 'cttt_64.pth', 'picker');
    const name = 'kept across reloads';
    await page.getByTestId('import-name').fill(name);
    await addReviewedModel(page);
    const storedId = await activeModelId(page);
    const tensorsBefore = await countTensors(page);

    // The page loads the bundled model first, then switches to the model in use before the reload.
    await page.reload();
    const entry = page.locator(`[data-testid="library-entry"][data-id="${storedId}"]`);
    await expect(entry.getByTestId('library-entry-name')).toHaveText(name, { timeout: 300_000 });
    await expect(page.getByTestId('model-library')).toHaveAttribute('data-active-id', storedId, { timeout: 300_000 });
    await expect(page.getByTestId('model-status')).toHaveAttribute('data-state', 'ready');
    await expectPyTorchLogits(page, 'cttt_64', 'logits_cttt_64');
    expect(await countTensors(page), 'tensors of the restored model').toBe(tensorsBefore);

    await page.locator('[data-testid="library-entry"][data-id="bundled"]').getByTestId('library-use').click();
    await expect(page.getByTestId('model-library')).toHaveAttribute('data-active-id', 'bundled', { timeout: 300_000 });
    const bundledTensors = await countTensors(page);
    await entry.getByTestId('library-use').click();
    await expect(page.getByTestId('model-library')).toHaveAttribute('data-active-id', storedId, { timeout: ADD_TIMEOUT_MS });

    await entry.getByTestId('library-remove').click();
    await expect(entry).toHaveCount(0, { timeout: 300_000 });
    await expect(page.getByTestId('model-library')).toHaveAttribute('data-active-id', 'bundled');
    expect(await countTensors(page), 'tensors after switching back to bundled').toBe(bundledTensors);

    await page.reload();
    await expect(page.getByTestId('model-status')).toHaveAttribute('data-state', 'ready', { timeout: 300_000 });
    await expect(page.locator(`[data-testid="library-entry"][data-id="${storedId}"]`), 'removed model after reload').toHaveCount(0);
    await expect(page.locator('[data-testid="library-entry"][data-id="bundled"] [data-testid="library-remove"]')).toHaveCount(0);
  });
});
