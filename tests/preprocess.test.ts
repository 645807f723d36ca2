import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import type { PreprocessingSpec } from '../src/model/modelCard';
import { preprocess, type RgbaImage } from '../src/model/preprocess';
import { parseSafetensors } from '../src/model/safetensors';
import { maxAbsDifference } from './helpers/fixtures';

// Written by tools/make_preprocess_fixture.py: random uint8 images [H, W, C] and the
// network input PyTorch computes from them (bilinear interpolate, then (x - mean) / std).
const FIXTURE_DIR = join(__dirname, 'fixtures', 'preprocess');

interface PreprocessCase {
  name: string;
  description: string;
  spec: PreprocessingSpec;
}

const CASES = JSON.parse(readFileSync(join(FIXTURE_DIR, 'cases.json'), 'utf8')) as PreprocessCase[];
const IMAGES = (() => {
  const bytes = readFileSync(join(FIXTURE_DIR, 'images.safetensors'));
  return parseSafetensors(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer).tensors;
})();

/** Convert HWC uint8 with 1 (gray, copied to R, G and B) or 3 channels to opaque RGBA. */
function toRgba(hwc: Uint8Array, height: number, width: number, channels: number): RgbaImage {
  const data = new Uint8ClampedArray(height * width * 4);
  for (let i = 0; i < height * width; i += 1) {
    for (let c = 0; c < 3; c += 1) {
      data[i * 4 + c] = hwc[i * channels + (channels === 1 ? 0 : c)];
    }
    data[i * 4 + 3] = 255;
  }
  return { data, width, height };
}

/** Build a width x height image with every pixel set to `rgba`. */
function solidImage(width: number, height: number, rgba: [number, number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i += 1) data.set(rgba, i * 4);
  return { data, width, height };
}

/** Build a spec that keeps raw pixel values: scale 1, mean 0, std 1. */
function identitySpec(size: [number, number], resize: PreprocessingSpec['resize'], channels: PreprocessingSpec['channels']): PreprocessingSpec {
  const count = channels === 'grayscale' ? 1 : 3;
  return {
    size, resize, channels, interpolation: 'bilinear', scale: 1,
    mean: new Array(count).fill(0), std: new Array(count).fill(1),
  };
}

describe('preprocess matches PyTorch', () => {
  it('covers stretch, center-crop and letterbox', () => {
    expect(CASES.map((item) => item.spec.resize).sort()).toEqual(['center-crop', 'letterbox', 'stretch', 'stretch', 'stretch']);
  });

  it.each(CASES.map((item) => [item.name, item] as const))('%s', (_, { name, spec }) => {
    const image = IMAGES.get(`${name}.image`)!;
    const expected = IMAGES.get(`${name}.expected`)!;
    const [height, width, channels] = image.shape;

    const actual = preprocess(toRgba(image.data as Uint8Array, height, width, channels), spec);

    expect(expected.shape).toEqual([1, spec.size[0], spec.size[1], channels]);
    expect(actual).toHaveLength(expected.data.length);
    expect(maxAbsDifference(actual, expected.data as Float32Array)).toBeLessThanOrEqual(1e-5);
  });
});

describe('preprocess geometry', () => {
  it('letterboxes a tall image with bars at left and right', () => {
    // 10x40 into 32x32: scale 0.8 gives 8x32, centered at columns 12..19.
    const output = preprocess(solidImage(10, 40, [255, 255, 255, 255]), identitySpec([32, 32], 'letterbox', 'grayscale'));

    for (let y = 0; y < 32; y += 1) {
      const row = Array.from(output.subarray(y * 32, (y + 1) * 32));
      expect(row.slice(0, 12), `row ${y} left bar`).toEqual(new Array(12).fill(0));
      expect(row.slice(12, 20), `row ${y} image`).toEqual(new Array(8).fill(255));
      expect(row.slice(20), `row ${y} right bar`).toEqual(new Array(12).fill(0));
    }
  });

  it('letterboxes a wide image with bars at top and bottom', () => {
    // 64x16 into 32x32: scale 0.5 gives 32x8, centered at rows 12..19.
    const output = preprocess(solidImage(64, 16, [255, 255, 255, 255]), identitySpec([32, 32], 'letterbox', 'grayscale'));
    const rowMeans = Array.from({ length: 32 }, (_, y) => output.subarray(y * 32, (y + 1) * 32).reduce((a, b) => a + b) / 32);

    expect(rowMeans.slice(0, 12)).toEqual(new Array(12).fill(0));
    expect(rowMeans.slice(12, 20)).toEqual(new Array(8).fill(255));
    expect(rowMeans.slice(20)).toEqual(new Array(12).fill(0));
  });

  it('letterbox bars are black after normalization', () => {
    const spec: PreprocessingSpec = { ...identitySpec([32, 32], 'letterbox', 'rgb'), scale: 1 / 255, mean: [0.5, 0.4, 0.3], std: [0.25, 0.2, 0.1] };

    const output = preprocess(solidImage(10, 40, [255, 255, 255, 255]), spec);

    // Pixel (0, 0) is in the left bar, pixel (0, 16) in the image.
    expect(output[0]).toBeCloseTo(-0.5 / 0.25, 6);
    expect(output[1]).toBeCloseTo(-0.4 / 0.2, 6);
    expect(output[2]).toBeCloseTo(-0.3 / 0.1, 6);
    expect(output[16 * 3]).toBeCloseTo(0.5 / 0.25, 6);
  });

  it('center-crop keeps the middle of a wide image', () => {
    // 96x32 into 32x32: scale 1, so the crop is columns 32..63, which hold 200.
    const image = solidImage(96, 32, [10, 10, 10, 255]);
    for (let y = 0; y < 32; y += 1) {
      for (let x = 32; x < 64; x += 1) image.data.set([200, 200, 200], (y * 96 + x) * 4);
    }

    const output = preprocess(image, identitySpec([32, 32], 'center-crop', 'grayscale'));

    expect(Array.from(output)).toEqual(new Array(32 * 32).fill(200));
  });

  it('center-crop keeps the middle of a tall image', () => {
    // 16x48 into 32x32: scale 2, so the crop is rows 16..31 of the source, which hold 90.
    const image = solidImage(16, 48, [30, 30, 30, 255]);
    for (let y = 16; y < 32; y += 1) {
      for (let x = 0; x < 16; x += 1) image.data.set([90, 90, 90], (y * 16 + x) * 4);
    }

    const output = preprocess(image, identitySpec([32, 32], 'center-crop', 'grayscale'));
    const inner = Array.from(output.subarray(32, 31 * 32));

    // The first and last output rows sample half a source pixel outside the crop.
    expect(inner).toEqual(new Array(30 * 32).fill(90));
    expect(output[0]).toBeCloseTo(75, 4);
  });

  it('stretch output is NHWC with channels interleaved', () => {
    const output = preprocess(solidImage(3, 2, [1, 2, 3, 255]), identitySpec([4, 5], 'stretch', 'rgb'));

    expect(output).toHaveLength(4 * 5 * 3);
    expect(Array.from(output.subarray(0, 6))).toEqual([1, 2, 3, 1, 2, 3]);
  });
});

describe('preprocess pixels', () => {
  it('grayscale uses BT.601 luma for color pixels', () => {
    const output = preprocess(solidImage(2, 2, [200, 100, 50, 255]), identitySpec([2, 2], 'stretch', 'grayscale'));

    expect(output[0]).toBeCloseTo(0.299 * 200 + 0.587 * 100 + 0.114 * 50, 4);
  });

  it('grayscale keeps gray pixel values exactly', () => {
    const output = preprocess(solidImage(2, 2, [77, 77, 77, 255]), identitySpec([2, 2], 'stretch', 'grayscale'));

    expect(Array.from(output)).toEqual([77, 77, 77, 77]);
  });

  it('composites transparent pixels onto black', () => {
    const output = preprocess(solidImage(2, 2, [200, 100, 50, 51]), identitySpec([2, 2], 'stretch', 'rgb'));

    expect(output[0]).toBeCloseTo(200 * 0.2, 4);
    expect(output[1]).toBeCloseTo(100 * 0.2, 4);
    expect(output[2]).toBeCloseTo(50 * 0.2, 4);
  });

  it('fully transparent pixels become black', () => {
    const output = preprocess(solidImage(2, 2, [255, 255, 255, 0]), identitySpec([2, 2], 'stretch', 'grayscale'));

    expect(Array.from(output)).toEqual([0, 0, 0, 0]);
  });

  it('normalizes each channel with its mean and std', () => {
    const spec: PreprocessingSpec = { ...identitySpec([1, 1], 'stretch', 'rgb'), scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

    const output = preprocess(solidImage(1, 1, [255, 0, 51, 255]), spec);

    expect(output[0]).toBeCloseTo((1 - 0.485) / 0.229, 5);
    expect(output[1]).toBeCloseTo((0 - 0.456) / 0.224, 5);
    expect(output[2]).toBeCloseTo((0.2 - 0.406) / 0.225, 5);
  });

  it('rejects a 0x0 image', () => {
    const empty: RgbaImage = { data: new Uint8ClampedArray(0), width: 0, height: 0 };

    expect(() => preprocess(empty, identitySpec([32, 32], 'stretch', 'rgb'))).toThrow('Image size 0x0 is invalid: it has no pixels');
  });

  it('rejects an image with no rows', () => {
    const empty: RgbaImage = { data: new Uint8ClampedArray(0), width: 5, height: 0 };

    expect(() => preprocess(empty, identitySpec([32, 32], 'stretch', 'rgb'))).toThrow('Image size 5x0 is invalid');
  });
});
