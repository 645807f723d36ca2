// Random weights with the reference's key names and shapes, for exploring presets and benchmarks.

import { stageGrid, type CoAtNetConfig } from './config';
import { expectedStateDict, relativeIndex } from './stateDict';
import type { RawTensor, RawTensorMap } from './tensors';

/** Mulberry32: a small seeded generator, so the same seed gives the same weights. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fanIn(shape: number[]): number {
  return shape.length <= 1 ? 1 : shape.slice(1).reduce((product, size) => product * size, 1);
}

function floatTensor(shape: number[], fill: (i: number) => number): RawTensor {
  const size = shape.reduce((product, dim) => product * dim, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i += 1) data[i] = fill(i);
  return { shape, sourceDtype: 'float32', data };
}

/**
 * Build a complete state_dict for `config`: He-uniform weights, BatchNorm running statistics
 * away from the identity (mean ±0.1, variance 0.5..1.5), and the reference's relative_index.
 */
export function randomStateDict(config: CoAtNetConfig, seed = 0): RawTensorMap {
  const random = createRandom(seed);
  const uniform = (low: number, high: number) => low + (high - low) * random();
  const weights: RawTensorMap = new Map();

  for (const [key, spec] of expectedStateDict(config)) {
    const shape = spec.shape;
    if (key.endsWith('relative_index')) {
      const grid = stageGrid(config, Number(key[1]));
      weights.set(key, { shape, sourceDtype: 'int64', data: BigInt64Array.from(relativeIndex(grid), (v) => BigInt(v)) });
    } else if (key.endsWith('num_batches_tracked')) {
      weights.set(key, { shape, sourceDtype: 'int64', data: new BigInt64Array([0n]) });
    } else if (key.endsWith('running_mean') || key.endsWith('bias')) {
      weights.set(key, floatTensor(shape, () => uniform(-0.1, 0.1)));
    } else if (key.endsWith('running_var')) {
      weights.set(key, floatTensor(shape, () => uniform(0.5, 1.5)));
    } else if (key.endsWith('.weight') && shape.length === 1) {
      // 1-D weights are BatchNorm and LayerNorm scales.
      weights.set(key, floatTensor(shape, () => uniform(0.8, 1.2)));
    } else {
      const bound = Math.sqrt(6 / fanIn(shape)) * 0.5;
      weights.set(key, floatTensor(shape, () => uniform(-bound, bound)));
    }
  }
  return weights;
}
