// The bundled model's files and the PyTorch results that tools/train_fashion.py writes next to it.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The package is an ES module, where __dirname does not exist.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FASHION_DIR = join(ROOT, 'tests', 'fixtures', 'fashion');
const IMAGES_DIR = join(FASHION_DIR, 'images');
const MODEL_CARD_PATH = join(ROOT, 'public', 'models', 'fashion-coatnet', 'model.json');
const SAMPLE_INDEX_PATH = join(ROOT, 'public', 'samples', 'samples.json');

export const HEIC_PATH = join(ROOT, 'e2e', 'fixtures', 'ankle-boot.heic');

/** Labels and PyTorch top-1 classes of all 10,000 Fashion-MNIST test images, by test index. */
export interface PyTorchPredictions {
  labels: number[];
  pytorchTop1: number[];
}

export interface FashionImage {
  /** Index in the Fashion-MNIST test set, from the file name (00042.png is test image 42). */
  testIndex: number;
  path: string;
}

export interface SampleEntry {
  file: string;
  label: number;
  testIndex: number;
}

export interface ClassLabels {
  en: string[];
  ja: string[];
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function loadPyTorchPredictions(): PyTorchPredictions {
  return readJson<PyTorchPredictions>(join(FASHION_DIR, 'pytorch-top1.json'));
}

/** List the exported test images (28x28 grayscale PNGs) in test-set order. */
export function listFashionImages(): FashionImage[] {
  return readdirSync(IMAGES_DIR)
    .filter((name) => /^\d{5}\.png$/.test(name))
    .sort()
    .map((name) => ({ testIndex: Number(name.slice(0, 5)), path: join(IMAGES_DIR, name) }));
}

export function readFashionImage(testIndex: number): Buffer {
  return readFileSync(join(IMAGES_DIR, `${String(testIndex).padStart(5, '0')}.png`));
}

/** Class names in both UI languages, as the model card gives them. */
export function loadClassLabels(): ClassLabels {
  return readJson<{ labels: ClassLabels }>(MODEL_CARD_PATH).labels;
}

export function loadSampleIndex(): SampleEntry[] {
  return readJson<SampleEntry[]>(SAMPLE_INDEX_PATH);
}
