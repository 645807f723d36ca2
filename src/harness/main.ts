// Browser harness for parity tests, the benchmark and the evaluation: Playwright calls these
// functions through window.coatnetHarness on harness.html.

import * as tf from '@tensorflow/tfjs-core';

import { CoAtNet } from '../model/coatnet';
import { STAGE_NAMES, type CoAtNetConfig } from '../model/config';
import { nchwToNhwc } from '../model/layout';
import { parseSafetensors } from '../model/safetensors';
import { initBackend, type BackendName, type BackendStatus } from '../model/backend';
import { benchmark } from './bench';
import { classifyGrayBatch, loadEvalModel } from './evaluate';

export interface ParityReport {
  backend: string;
  softwareAdapter: boolean;
  stageMaxAbs: Record<string, number>;
  stageShapes: Record<string, number[]>;
  logitsMaxAbs: number;
  tensorsBefore: number;
  tensorsAfter: number;
}

async function fetchBuffer(url: string): Promise<ArrayBuffer> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} failed: HTTP ${response.status}`);
  return response.arrayBuffer();
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i += 1) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

let backendStatus: BackendStatus | null = null;

async function useBackend(name: BackendName): Promise<BackendStatus> {
  backendStatus = await initBackend([name]);
  return backendStatus;
}

/** Run a parity fixture (files under fixtureBase) and compare every stage and the logits. */
async function runParity(fixtureBase: string, name: string): Promise<ParityReport> {
  const meta = await (await fetch(`${fixtureBase}/${name}.json`)).json() as { config: CoAtNetConfig };
  const weights = parseSafetensors(await fetchBuffer(`${fixtureBase}/${name}.weights.safetensors`), name).tensors;
  const io = parseSafetensors(await fetchBuffer(`${fixtureBase}/${name}.io.safetensors`), name).tensors;

  const tensorsBefore = tf.memory().numTensors;
  const net = new CoAtNet(meta.config, weights);
  const input = io.get('input')!;
  const [, c, h, w] = input.shape;
  const inputNHWC = tf.tensor4d(nchwToNhwc(input), [1, h, w, c]);
  const result = net.forward(inputNHWC, { stages: true });

  const stageMaxAbs: Record<string, number> = {};
  const stageShapes: Record<string, number[]> = {};
  for (const stage of STAGE_NAMES) {
    const actual = result.stages![stage];
    stageShapes[stage] = actual.shape;
    stageMaxAbs[stage] = maxAbsDifference(await actual.data(), nchwToNhwc(io.get(stage)!));
  }
  const logitsMaxAbs = maxAbsDifference(await result.logits.data(), io.get('logits')!.data as Float32Array);

  tf.dispose([inputNHWC, result.logits, ...Object.values(result.stages!)]);
  net.dispose();
  return {
    backend: tf.getBackend(),
    softwareAdapter: backendStatus?.softwareAdapter ?? false,
    stageMaxAbs,
    stageShapes,
    logitsMaxAbs,
    tensorsBefore,
    tensorsAfter: tf.memory().numTensors,
  };
}

const harness = { useBackend, runParity, benchmark, loadEvalModel, classifyGrayBatch };

declare global {
  interface Window {
    coatnetHarness: typeof harness;
  }
}

window.coatnetHarness = harness;
document.body.dataset.ready = 'true';
