// Activation layout conversion between PyTorch (NCHW) and TF.js (NHWC).

import type { RawTensor } from './tensors';

/** Reorder a float32 NCHW [N, C, H, W] tensor's data into NHWC order. */
export function nchwToNhwc(tensor: RawTensor): Float32Array {
  const [n, c, h, w] = tensor.shape;
  const source = tensor.data as Float32Array;
  const out = new Float32Array(source.length);
  for (let b = 0; b < n; b += 1) {
    for (let ch = 0; ch < c; ch += 1) {
      for (let y = 0; y < h; y += 1) {
        for (let x = 0; x < w; x += 1) {
          out[((b * h + y) * w + x) * c + ch] = source[((b * c + ch) * h + y) * w + x];
        }
      }
    }
  }
  return out;
}
