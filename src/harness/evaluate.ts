// Batch classification of raw 8-bit grayscale images for `npm run eval`, through the same
// preprocessing and network code as the app.

import * as tf from '@tensorflow/tfjs-core';

import { preprocess } from '../model/preprocess';
import { loadModelFromUrl, type LoadedModel } from '../model/session';

let model: LoadedModel | null = null;

export async function loadEvalModel(cardUrl: string): Promise<{ name: string; backend: string }> {
  model?.dispose();
  model = await loadModelFromUrl(cardUrl);
  return { name: model.card.name, backend: tf.getBackend() };
}

function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Classify `count` gray images of width x height packed in `pixelsBase64`; returns top-1 indices. */
export async function classifyGrayBatch(pixelsBase64: string, count: number, width: number, height: number): Promise<number[]> {
  if (!model) throw new Error('Call loadEvalModel first');
  const gray = base64ToBytes(pixelsBase64);
  const { card, net } = model;
  const [h, w] = card.config.imageSize;
  const channels = card.config.inChannels;
  const input = new Float32Array(count * h * w * channels);
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let n = 0; n < count; n += 1) {
    for (let i = 0; i < width * height; i += 1) {
      const value = gray[n * width * height + i];
      rgba.set([value, value, value, 255], i * 4);
    }
    input.set(preprocess({ data: rgba, width, height }, card.preprocessing), n * h * w * channels);
  }

  const batch = tf.tensor4d(input, [count, h, w, channels]);
  const { logits } = net.forward(batch);
  const top1 = tf.argMax(logits, 1);
  const values = Array.from(await top1.data());
  tf.dispose([batch, logits, top1]);
  return values;
}
