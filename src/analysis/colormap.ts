// Scalar maps to RGBA pixels for feature-map and attention images.

export type Colormap = 'gray' | 'heat';

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/**
 * Write the color of t (0..1) into `rgba` at pixel `pixel`. 'heat' runs black -> red ->
 * yellow -> white, so brightness grows monotonically with t.
 */
function writeColor(rgba: Uint8ClampedArray, pixel: number, t: number, colormap: Colormap): void {
  const offset = pixel * 4;
  if (colormap === 'gray') {
    const level = Math.round(255 * t);
    rgba[offset] = level;
    rgba[offset + 1] = level;
    rgba[offset + 2] = level;
  } else {
    rgba[offset] = Math.round(255 * clamp01(3 * t));
    rgba[offset + 1] = Math.round(255 * clamp01(3 * t - 1));
    rgba[offset + 2] = Math.round(255 * clamp01(3 * t - 2));
  }
  rgba[offset + 3] = 255;
}

/**
 * RGBA pixels (row-major, 4 bytes per value, opaque) for `values` scaled from [low, high]
 * to [0, 1]. When high equals low every pixel gets the color of 0.
 */
export function toRgba(values: ArrayLike<number>, low: number, high: number, colormap: Colormap): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(values.length * 4);
  const range = high - low;
  for (let i = 0; i < values.length; i += 1) {
    const t = range > 0 ? clamp01((values[i] - low) / range) : 0;
    writeColor(rgba, i, t, colormap);
  }
  return rgba;
}

export function minMax(values: ArrayLike<number>): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i += 1) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  return { min, max };
}
