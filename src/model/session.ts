// Loading a model (card + weights) and classifying images with it: the API the UI uses.

import * as tf from '@tensorflow/tfjs-core';

import { activeBackend, type BackendName } from './backend';
import { CoAtNet } from './coatnet';
import { parseModelCard, type ModelCard } from './modelCard';
import { preprocess, type RgbaImage } from './preprocess';
import { parseSafetensors } from './safetensors';
import type { RawTensorMap } from './tensors';

export { BACKEND_ORDER, backendOrderFromQuery, initBackend } from './backend';
export type { BackendFallback, BackendName, BackendStatus } from './backend';

export interface LoadProgress {
  phase: 'download' | 'build' | 'warmup';
  /** 0..1 within the phase. */
  fraction: number;
}

export interface TopKEntry {
  index: number;
  probability: number;
}

export interface ClassifyResult {
  topK: TopKEntry[];
  probabilities: Float32Array;
  logits: Float32Array;
  /** Wall time of the forward pass and read-back, in milliseconds (preprocessing excluded). */
  ms: number;
  backend: BackendName;
}

export interface LoadedModel {
  card: ModelCard;
  cardUrl: string;
  net: CoAtNet;
  classify(image: RgbaImage, k?: number): Promise<ClassifyResult>;
  /** Run the network on an already preprocessed NHWC input [1, H, W, C]. */
  classifyInput(inputNHWC: Float32Array, k?: number): Promise<ClassifyResult>;
  dispose(): void;
}

type ProgressCallback = (progress: LoadProgress) => void;

export interface LoadOptions {
  /** Run one inference at load so shaders compile before the first image (default true). */
  warmup?: boolean;
}

/** Let the browser paint and handle input between long steps. */
function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function fetchOk(url: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`Download of ${url} failed: HTTP ${response.status} ${response.statusText}`);
  }
  return response;
}

/** Download `url` into memory, reporting progress when the server sends Content-Length. */
export async function downloadWithProgress(url: string, onFraction: (fraction: number) => void): Promise<ArrayBuffer> {
  const response = await fetchOk(url);
  const total = Number(response.headers.get('Content-Length')) || 0;
  if (!response.body || total === 0) {
    const buffer = await response.arrayBuffer();
    onFraction(1);
    return buffer;
  }
  const bytes = new Uint8Array(total);
  const reader = response.body.getReader();
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.byteLength > total) {
      throw new Error(`Download of ${url} returned more than its Content-Length of ${total} bytes`);
    }
    bytes.set(value, received);
    received += value.byteLength;
    onFraction(received / total);
  }
  if (received !== total) {
    throw new Error(`Download of ${url} stopped at ${received} of ${total} bytes; reload to try again`);
  }
  return bytes.buffer;
}

export function topK(probabilities: Float32Array, k: number): TopKEntry[] {
  return Array.from(probabilities, (probability, index) => ({ index, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, k);
}

async function runClassification(net: CoAtNet, inputNHWC: Float32Array, k: number): Promise<ClassifyResult> {
  const [h, w] = net.config.imageSize;
  const started = performance.now();
  const input = tf.tensor4d(inputNHWC, [1, h, w, net.config.inChannels]);
  const { logits } = net.forward(input);
  const probabilitiesTensor = tf.softmax(logits);
  try {
    const [logitValues, probabilities] = await Promise.all([logits.data(), probabilitiesTensor.data()]) as [Float32Array, Float32Array];
    const ms = performance.now() - started;
    return { topK: topK(probabilities, k), probabilities, logits: logitValues, ms, backend: activeBackend() };
  } finally {
    tf.dispose([input, logits, probabilitiesTensor]);
  }
}

/** Build a model from a card and weights already in memory, then warm it up. */
export async function createLoadedModel(
  card: ModelCard, cardUrl: string, weights: RawTensorMap, onProgress?: ProgressCallback, options: LoadOptions = {},
): Promise<LoadedModel> {
  onProgress?.({ phase: 'build', fraction: 0 });
  await yieldToBrowser();
  const net = new CoAtNet(card.config, weights);
  onProgress?.({ phase: 'build', fraction: 1 });

  // The first run compiles the backend's shaders; doing it here keeps the first click fast.
  onProgress?.({ phase: 'warmup', fraction: 0 });
  await yieldToBrowser();
  const [h, w] = card.config.imageSize;
  try {
    if (options.warmup !== false) await runClassification(net, new Float32Array(h * w * card.config.inChannels), 1);
  } catch (error) {
    net.dispose();
    throw error;
  }
  onProgress?.({ phase: 'warmup', fraction: 1 });

  const classifyInput = (inputNHWC: Float32Array, k = 5) => runClassification(net, inputNHWC, k);
  return {
    card,
    cardUrl,
    net,
    classifyInput,
    classify: (image: RgbaImage, k = 5) => classifyInput(preprocess(image, card.preprocessing), k),
    dispose: () => net.dispose(),
  };
}

/** Load a model card from `cardUrl` and the safetensors weights it names, relative to it. */
export async function loadModelFromUrl(cardUrl: string, onProgress?: ProgressCallback, options: LoadOptions = {}): Promise<LoadedModel> {
  onProgress?.({ phase: 'download', fraction: 0 });
  const absoluteCardUrl = new URL(cardUrl, globalThis.location?.href).href;
  const card = parseModelCard(await (await fetchOk(absoluteCardUrl)).json(), absoluteCardUrl);

  const weightsUrl = new URL(card.weights, absoluteCardUrl).href;
  const buffer = await downloadWithProgress(weightsUrl, (fraction) => onProgress?.({ phase: 'download', fraction }));
  const { tensors } = parseSafetensors(buffer, weightsUrl);
  return createLoadedModel(card, absoluteCardUrl, tensors, onProgress, options);
}
