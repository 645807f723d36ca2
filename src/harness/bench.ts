// Measurements the benchmark script requests from the browser: load, first inference, median latency
// and tf.memory() after many runs, for the bundled model or a preset with random weights.

import * as tf from '@tensorflow/tfjs-core';

import { CoAtNet } from '../model/coatnet';
import { PRESETS } from '../model/config';
import { randomStateDict } from '../model/randomWeights';
import { loadModelFromUrl } from '../model/session';

export interface BenchRequest {
  /** 'bundled' loads the model card at cardUrl; otherwise a PRESETS name with random weights. */
  model: string;
  cardUrl: string;
  runs: number;
  memoryRuns: number;
}

export interface BenchReport {
  model: string;
  backend: string;
  loadMs: number;
  firstInferenceMs: number;
  medianMs: number;
  runs: number;
  memoryRuns: number;
  tensorsAfterLoad: number;
  bytesAfterLoad: number;
  tensorsAfterRuns: number;
  bytesAfterRuns: number;
}

async function timeInference(net: CoAtNet): Promise<number> {
  const [h, w] = net.config.imageSize;
  const started = performance.now();
  const input = tf.randomNormal([1, h, w, net.config.inChannels]) as tf.Tensor4D;
  const { logits } = net.forward(input);
  await logits.data();
  tf.dispose([input, logits]);
  return performance.now() - started;
}

async function loadNet(request: BenchRequest): Promise<{ net: CoAtNet; dispose: () => void }> {
  if (request.model === 'bundled') {
    // Without warm-up, so the first timed inference includes shader compilation.
    const model = await loadModelFromUrl(request.cardUrl, undefined, { warmup: false });
    return { net: model.net, dispose: () => model.dispose() };
  }
  const config = PRESETS[request.model];
  if (!config) throw new Error(`Unknown model "${request.model}"; use bundled or ${Object.keys(PRESETS).join(', ')}`);
  const net = new CoAtNet(config, randomStateDict(config));
  return { net, dispose: () => net.dispose() };
}

export async function benchmark(request: BenchRequest): Promise<BenchReport> {
  const loadStarted = performance.now();
  const { net, dispose } = await loadNet(request);
  const loadMs = performance.now() - loadStarted;
  const afterLoad = tf.memory();

  const firstInferenceMs = await timeInference(net);
  const latencies: number[] = [];
  for (let run = 0; run < request.runs; run += 1) {
    latencies.push(await timeInference(net));
  }
  for (let run = request.runs + 1; run < request.memoryRuns; run += 1) {
    await timeInference(net);
  }
  const afterRuns = tf.memory();
  latencies.sort((a, b) => a - b);
  dispose();

  return {
    model: request.model,
    backend: tf.getBackend(),
    loadMs,
    firstInferenceMs,
    medianMs: latencies[Math.floor(latencies.length / 2)],
    runs: request.runs,
    memoryRuns: Math.max(request.memoryRuns, request.runs + 1),
    tensorsAfterLoad: afterLoad.numTensors,
    bytesAfterLoad: afterLoad.numBytes,
    tensorsAfterRuns: afterRuns.numTensors,
    bytesAfterRuns: afterRuns.numBytes,
  };
}
