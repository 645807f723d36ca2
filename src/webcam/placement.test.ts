import { describe, expect, it } from 'vitest';

import type { PreprocessingSpec, ResizeMode } from '../model/modelCard';
import { preprocess, type RgbaImage } from '../model/preprocess';
import { drawPlacement, type DrawPlacement } from './placement';

describe('drawPlacement', () => {
  it('stretches the whole frame over the canvas', () => {
    expect(drawPlacement(640, 480, [64, 64], 'stretch')).toEqual({
      source: { x: 0, y: 0, width: 640, height: 480 },
      destination: { x: 0, y: 0, width: 64, height: 64 },
    });
  });

  it('crops the centre of a landscape frame', () => {
    expect(drawPlacement(640, 480, [64, 64], 'center-crop')).toEqual({
      source: { x: 80, y: 0, width: 480, height: 480 },
      destination: { x: 0, y: 0, width: 64, height: 64 },
    });
  });

  it('crops the centre of a portrait frame', () => {
    expect(drawPlacement(480, 640, [64, 64], 'center-crop')).toEqual({
      source: { x: 0, y: 80, width: 480, height: 480 },
      destination: { x: 0, y: 0, width: 64, height: 64 },
    });
  });

  it('letterboxes a landscape frame with bars above and below', () => {
    expect(drawPlacement(640, 480, [64, 64], 'letterbox')).toEqual({
      source: { x: 0, y: 0, width: 640, height: 480 },
      destination: { x: 0, y: 8, width: 64, height: 48 },
    });
  });

  it('letterboxes onto a non-square input', () => {
    expect(drawPlacement(100, 100, [32, 64], 'letterbox')).toEqual({
      source: { x: 0, y: 0, width: 100, height: 100 },
      destination: { x: 16, y: 0, width: 32, height: 32 },
    });
  });

  it('rejects a frame without pixels', () => {
    expect(() => drawPlacement(0, 0, [64, 64], 'stretch')).toThrow('Frame size 0x0 is invalid');
  });
});

/** Build a frame with a smooth, asymmetric pattern, so misplaced or flipped pixels change the result. */
function testFrame(width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const value = 128 + 100 * Math.sin(x / 9) * Math.cos(y / 13) + (x / width) * 20;
      data.set([value, value, value, 255], (y * width + x) * 4);
    }
  }
  return { data, width, height };
}

/**
 * Simulate drawImage with bilinear smoothing. It samples the source rectangle at the destination's
 * pixel centres (half-pixel rule) and clamps at the frame edge. Pixels outside the destination stay black.
 */
function drawBilinear(frame: RgbaImage, placement: DrawPlacement, outHeight: number, outWidth: number): RgbaImage {
  const { source, destination } = placement;
  const data = new Uint8ClampedArray(outWidth * outHeight * 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  const at = (x: number, y: number) => frame.data[(y * frame.width + x) * 4];
  for (let dy = 0; dy < destination.height; dy += 1) {
    for (let dx = 0; dx < destination.width; dx += 1) {
      const sx = Math.min(Math.max(source.x + (dx + 0.5) * (source.width / destination.width) - 0.5, 0), frame.width - 1);
      const sy = Math.min(Math.max(source.y + (dy + 0.5) * (source.height / destination.height) - 0.5, 0), frame.height - 1);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, frame.width - 1);
      const y1 = Math.min(y0 + 1, frame.height - 1);
      const fx = sx - x0;
      const fy = sy - y0;
      const value = (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
      const offset = ((destination.y + dy) * outWidth + destination.x + dx) * 4;
      data.set([value, value, value], offset);
    }
  }
  return { data, width: outWidth, height: outHeight };
}

function spec(resize: ResizeMode, size: [number, number]): PreprocessingSpec {
  return { size, resize, interpolation: 'bilinear', channels: 'grayscale', scale: 1 / 255, mean: [0.5], std: [0.25] };
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i += 1) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

describe('reduced frame through preprocess', () => {
  // The canvas stores 8-bit values, so the two paths may differ by rounding: half a level is
  // 0.5 / 255 / std = 0.0078 after normalization with std 0.25.
  const ROUNDING = 0.5 / 255 / 0.25 + 1e-6;

  it.each([
    ['stretch', 640, 480, [64, 64]],
    ['center-crop', 640, 480, [64, 64]],
    ['center-crop', 360, 640, [48, 64]],
    ['letterbox', 640, 480, [64, 64]],
    ['letterbox', 300, 500, [64, 48]],
  ] as const)('%s of %ix%i onto %j matches preprocess of the full frame', (resize, width, height, size) => {
    const frame = testFrame(width, height);
    const cardSpec = spec(resize, [...size]);
    const reduced = drawBilinear(frame, drawPlacement(width, height, cardSpec.size, resize), size[0], size[1]);

    const fromReduced = preprocess(reduced, cardSpec);
    const fromFrame = preprocess(frame, cardSpec);
    expect(fromReduced.length).toBe(size[0] * size[1]);
    expect(maxAbsDifference(fromReduced, fromFrame)).toBeLessThanOrEqual(ROUNDING);
  });
});
