// Image pixels -> normalized network input, reproducing the training pipeline's arithmetic.

import type { PreprocessingSpec } from './modelCard';

/** 8-bit RGBA pixels, row-major, as in the DOM's ImageData. */
export interface RgbaImage {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

/** A region of the source image, in source pixels, that maps onto the destination. */
interface SourceWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * ITU-R BT.601 luma weights. PIL's convert('L') uses them too but rounds to an integer, and
 * torchvision's tensor Grayscale uses 0.2989, so colour inputs may differ by up to half a level.
 */
const LUMA = [0.299, 0.587, 0.114] as const;

function toPlanes(image: RgbaImage, channels: 'grayscale' | 'rgb', scale: number): Float32Array[] {
  const count = image.width * image.height;
  const planes = channels === 'grayscale' ? [new Float32Array(count)] : [0, 1, 2].map(() => new Float32Array(count));
  for (let i = 0; i < count; i += 1) {
    const r = image.data[i * 4];
    const g = image.data[i * 4 + 1];
    const b = image.data[i * 4 + 2];
    // Transparent pixels are composited onto black, the Fashion-MNIST background.
    const alpha = image.data[i * 4 + 3] / 255;
    if (channels === 'grayscale') {
      // Exact for gray pixels (r = g = b), so grayscale files keep their byte values.
      const luma = r === g && g === b ? r : LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
      planes[0][i] = luma * alpha * scale;
    } else {
      planes[0][i] = r * alpha * scale;
      planes[1][i] = g * alpha * scale;
      planes[2][i] = b * alpha * scale;
    }
  }
  return planes;
}

/** Return the part of the source that fills the output: the central crop for center-crop, else all of it. */
function sourceWindow(width: number, height: number, outH: number, outW: number, resize: PreprocessingSpec['resize']): SourceWindow {
  if (resize !== 'center-crop') {
    return { x: 0, y: 0, width, height };
  }
  const scale = Math.max(outW / width, outH / height);
  const cropW = outW / scale;
  const cropH = outH / scale;
  return { x: (width - cropW) / 2, y: (height - cropH) / 2, width: cropW, height: cropH };
}

/**
 * Bilinear sampling with align_corners=False (half-pixel centers, edge clamping), the rule of
 * torch.nn.functional.interpolate(mode='bilinear') without antialiasing.
 */
function resizeBilinear(plane: Float32Array, width: number, height: number, window: SourceWindow, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  const scaleY = window.height / outH;
  const scaleX = window.width / outW;
  for (let oy = 0; oy < outH; oy += 1) {
    const sy = Math.min(Math.max((oy + 0.5) * scaleY - 0.5 + window.y, 0), height - 1);
    const y0 = Math.floor(sy);
    const y1 = Math.min(y0 + 1, height - 1);
    const fy = sy - y0;
    for (let ox = 0; ox < outW; ox += 1) {
      const sx = Math.min(Math.max((ox + 0.5) * scaleX - 0.5 + window.x, 0), width - 1);
      const x0 = Math.floor(sx);
      const x1 = Math.min(x0 + 1, width - 1);
      const fx = sx - x0;
      const top = plane[y0 * width + x0] * (1 - fx) + plane[y0 * width + x1] * fx;
      const bottom = plane[y1 * width + x0] * (1 - fx) + plane[y1 * width + x1] * fx;
      out[oy * outW + ox] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Fit the image inside the output keeping its aspect ratio, padding with zeros (black). */
function letterbox(plane: Float32Array, width: number, height: number, outH: number, outW: number): Float32Array {
  const scale = Math.min(outW / width, outH / height);
  const innerW = Math.max(1, Math.round(width * scale));
  const innerH = Math.max(1, Math.round(height * scale));
  const inner = resizeBilinear(plane, width, height, { x: 0, y: 0, width, height }, innerH, innerW);
  const out = new Float32Array(outH * outW);
  const top = Math.floor((outH - innerH) / 2);
  const left = Math.floor((outW - innerW) / 2);
  for (let y = 0; y < innerH; y += 1) {
    out.set(inner.subarray(y * innerW, (y + 1) * innerW), (top + y) * outW + left);
  }
  return out;
}

/**
 * Turn RGBA pixels into the network input: NHWC float32 of shape [1, H, W, C], where
 * C is 1 (grayscale) or 3 (RGB), normalized as (pixel * scale - mean) / std.
 */
export function preprocess(image: RgbaImage, spec: PreprocessingSpec): Float32Array {
  if (image.width < 1 || image.height < 1) {
    throw new Error(`Image size ${image.width}x${image.height} is invalid: it has no pixels`);
  }
  const [outH, outW] = spec.size;
  const planes = toPlanes(image, spec.channels, spec.scale);

  const resized = planes.map((plane) => (spec.resize === 'letterbox'
    ? letterbox(plane, image.width, image.height, outH, outW)
    : resizeBilinear(plane, image.width, image.height,
      sourceWindow(image.width, image.height, outH, outW, spec.resize), outH, outW)));

  // Interleave the planes into NHWC and normalize per channel.
  const channels = resized.length;
  const nhwc = new Float32Array(outH * outW * channels);
  for (let c = 0; c < channels; c += 1) {
    const mean = spec.mean[c];
    const std = spec.std[c];
    for (let i = 0; i < outH * outW; i += 1) {
      nhwc[i * channels + c] = (resized[c][i] - mean) / std;
    }
  }
  return nhwc;
}
