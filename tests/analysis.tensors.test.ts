import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { describeArchitecture } from '../src/analysis/architecture';
import type { Shape3 } from '../src/analysis/blocks';
import {
  attentionBlockKeys, attentionForPosition, attentionGrid, queryTokenForPoint, visualizerForwardOptions,
} from '../src/analysis/attention';
import { featureMapThumbnails } from '../src/analysis/featureMaps';
import { compareStageShapes, measuredStageShapes } from '../src/analysis/shapes';
import { CoAtNet, type ForwardResult } from '../src/model/coatnet';
import { STAGE_NAMES, type CoAtNetConfig, type StageName } from '../src/model/config';
import { randomStateDict } from '../src/model/randomWeights';
import type { RawTensorMap } from '../src/model/tensors';

const NON_SQUARE: CoAtNetConfig = {
  imageSize: [64, 96], inChannels: 3, numBlocks: [1, 2, 2, 2, 1],
  channels: [16, 24, 32, 48, 64], numClasses: 7, blockTypes: ['C', 'C', 'T', 'T'],
};

const CTTT: CoAtNetConfig = {
  imageSize: [64, 64], inChannels: 1, numBlocks: [1, 2, 2, 2, 1],
  channels: [18, 30, 44, 60, 76], numClasses: 5, blockTypes: ['C', 'T', 'T', 'T'],
};

interface Run {
  net: CoAtNet;
  input: tf.Tensor4D;
  result: ForwardResult;
}

function disposeRun(run: Run): void {
  tf.dispose([run.input, run.result.logits, ...Object.values(run.result.stages ?? {}), ...Object.values(run.result.attention ?? {})]);
  run.net.dispose();
}

function runModel(config: CoAtNetConfig, weights: RawTensorMap = randomStateDict(config, 7)): Run {
  const net = new CoAtNet(config, weights);
  const input = tf.randomNormal([1, config.imageSize[0], config.imageSize[1], config.inChannels], 0, 1, 'float32', 3) as tf.Tensor4D;
  return { net, input, result: net.forward(input, visualizerForwardOptions(config)) };
}

/** Values of channel `channel` of image 0 of an NHWC tensor, computed here without the helper. */
function channelValues(tensor: tf.Tensor4D, channel: number | 'mean'): number[] {
  const [, h, w, c] = tensor.shape;
  const data = tensor.dataSync();
  return Array.from({ length: h * w }, (_, pixel) => {
    if (channel !== 'mean') return data[pixel * c + channel];
    let total = 0;
    for (let k = 0; k < c; k += 1) total += data[pixel * c + k];
    return total / c;
  });
}

let baseline = 0;

beforeAll(async () => {
  await tf.setBackend('cpu');
  baseline = tf.memory().numTensors;
});

afterAll(() => {
  expect(tf.memory().numTensors).toBe(baseline);
});

describe('measuredStageShapes', () => {
  it.each([['non-square 64x96', NON_SQUARE], ['C,T,T,T', CTTT]])('%s forward equals the config math', (_, config) => {
    const run = runModel(config);
    const architecture = describeArchitecture(config);
    const before = tf.memory().numTensors;

    const measured = measuredStageShapes(run.result.stages!);
    const comparison = compareStageShapes(measured, architecture);

    for (const stage of architecture.stages) {
      expect(measured[stage.name], stage.name).toEqual(stage.outputShape);
    }
    expect(comparison.map((c) => c.matches)).toEqual([true, true, true, true, true]);
    expect(tf.memory().numTensors).toBe(before);
    disposeRun(run);
  });

  it('compareStageShapes flags a wrong stage', () => {
    const measured: Record<StageName, Shape3> = {
      s0: [32, 48, 16], s1: [16, 24, 24], s2: [8, 12, 32], s3: [4, 6, 48], s4: [3, 2, 64],
    };

    const comparison = compareStageShapes(measured, describeArchitecture(NON_SQUARE));

    expect(comparison.map((c) => c.matches)).toEqual([true, true, true, true, false]);
    expect(comparison[4].expected).toEqual([2, 3, 64]);
  });

  it('rejects a forward result without stages', () => {
    expect(() => measuredStageShapes({})).toThrow(/Stage s0 is missing.*stages: true/);
  });
});

describe('featureMapThumbnails', () => {
  it.each(STAGE_NAMES)('%s images have the stage resolution and range', async (stageName) => {
    const run = runModel(NON_SQUARE);
    const stage = run.result.stages![stageName];
    const [, h, w, c] = stage.shape;
    const before = tf.memory().numTensors;

    const thumbnails = await featureMapThumbnails(stage, 'first-n', 4);

    expect(tf.memory().numTensors).toBe(before);
    expect([thumbnails.height, thumbnails.width, thumbnails.channelCount]).toEqual([h, w, c]);
    expect(thumbnails.maps.map((m) => m.channel)).toEqual([0, 1, 2, 3]);
    for (const image of [...thumbnails.maps, thumbnails.mean]) {
      const values = channelValues(stage, image.channel);
      expect([image.height, image.width], `${image.channel}`).toEqual([h, w]);
      expect(image.rgba.length, `${image.channel}`).toBe(h * w * 4);
      expect(image.min, `${image.channel} min`).toBeCloseTo(Math.min(...values), 5);
      expect(image.max, `${image.channel} max`).toBeCloseTo(Math.max(...values), 5);
      expect(image.rgba[values.indexOf(Math.max(...values)) * 4], `${image.channel} brightest`).toBe(255);
      expect(image.rgba[values.indexOf(Math.min(...values)) * 4], `${image.channel} darkest`).toBe(0);
    }
    expect(stage.isDisposed).toBe(false);
    disposeRun(run);
  });

  it('draws listed channels in order', async () => {
    const run = runModel(NON_SQUARE);
    const stage = run.result.stages!.s2;

    const thumbnails = await featureMapThumbnails(stage, [31, 5]);
    const values = channelValues(stage, 31);

    expect(thumbnails.maps.map((m) => m.channel)).toEqual([31, 5]);
    expect(thumbnails.maps[0].max).toBeCloseTo(Math.max(...values), 5);
    disposeRun(run);
  });

  it('caps first-n at the channel count', async () => {
    const stage = tf.randomNormal([1, 2, 3, 5]) as tf.Tensor4D;

    const thumbnails = await featureMapThumbnails(stage, 'first-n', 99);

    expect(thumbnails.maps.length).toBe(5);
    stage.dispose();
  });

  it('rejects a channel outside the stage', async () => {
    const stage = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;

    await expect(featureMapThumbnails(stage, [3])).rejects.toThrow(/Channel 3 is invalid.*0\.\.2/);
    expect(tf.memory().numTensors).toBe(before);
    stage.dispose();
  });

  it('maps a constant channel to black', async () => {
    const stage = tf.fill([1, 2, 2, 1], 4) as tf.Tensor4D;

    const thumbnails = await featureMapThumbnails(stage, [0]);

    expect([thumbnails.maps[0].min, thumbnails.maps[0].max]).toEqual([4, 4]);
    expect(Array.from(thumbnails.maps[0].rgba.filter((_, i) => i % 4 === 0))).toEqual([0, 0, 0, 0]);
    stage.dispose();
  });
});

describe('attention blocks', () => {
  it('lists the Transformer blocks of C,T,T,T', () => {
    expect(attentionBlockKeys(CTTT)).toEqual(['s2.0', 's2.1', 's3.0', 's3.1', 's4.0']);
  });

  it('forward returns the listed blocks at their grids', () => {
    const run = runModel(NON_SQUARE);

    expect(Object.keys(run.result.attention!).sort()).toEqual(['s3.0', 's3.1', 's4.0']);
    for (const key of attentionBlockKeys(NON_SQUARE)) {
      const [h, w] = attentionGrid(NON_SQUARE, key);
      expect(run.result.attention![key].shape, key).toEqual([1, 8, h * w, h * w]);
    }
    expect(attentionGrid(NON_SQUARE, 's3.1')).toEqual([4, 6]);
    disposeRun(run);
  });

  it('rejects a block without attention', () => {
    expect(() => attentionGrid(NON_SQUARE, 's2.0')).toThrow(/"s2\.0" has no attention.*s3\.0, s3\.1, s4\.0/);
    expect(() => visualizerForwardOptions(NON_SQUARE, ['s1.0'])).toThrow(/"s1\.0" has no attention/);
  });
});

describe('queryTokenForPoint', () => {
  it.each([
    [{ x: 0, y: 0 }, 0],
    [{ x: 1, y: 1 }, 23],
    [{ x: 0.9, y: 0.3 }, 11],
    [{ x: 0.2, y: 0.99 }, 19],
  ])('%o on a 4x6 grid is token %i', (point, index) => {
    expect(queryTokenForPoint([4, 6], point).index).toBe(index);
  });

  it('rejects a point outside the image', () => {
    expect(() => queryTokenForPoint([4, 6], { x: 1.5, y: 0 })).toThrow(/x = 1\.5 is invalid/);
  });
});

describe('attentionForPosition', () => {
  it.each([
    ['non-square s3.0', NON_SQUARE, 's3.0'],
    ['non-square s4.0', NON_SQUARE, 's4.0'],
    ['C,T,T,T s2.1', CTTT, 's2.1'],
  ] as const)('%s rows sum to 1', async (_, config, key) => {
    const run = runModel(config);
    const attention = run.result.attention![key];
    const grid = attentionGrid(config, key);
    const full = attention.dataSync();
    const tokens = grid[0] * grid[1];
    const before = tf.memory().numTensors;

    for (const point of [{ x: 0, y: 0 }, { x: 0.7, y: 0.4 }, { x: 1, y: 1 }]) {
      const result = await attentionForPosition(attention, grid, point);
      expect(result.heads.length).toBe(8);
      for (const head of result.heads) {
        const sum = head.weights.reduce((total, v) => total + v, 0);
        expect(Math.abs(sum - 1), `head ${head.head} at ${JSON.stringify(point)}`).toBeLessThanOrEqual(1e-5);
        expect(head.weights.length).toBe(tokens);
        expect(head.rgba.length).toBe(tokens * 4);
        const offset = (head.head * tokens + result.query.index) * tokens;
        expect(Array.from(head.weights)).toEqual(Array.from(full.slice(offset, offset + tokens)));
      }
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(attention.isDisposed).toBe(false);
    disposeRun(run);
  });

  it('relative bias steers head 0 to the query token', async () => {
    // Zero the s3.0 bias table of head 0 except the zero-offset entry, so softmax must put
    // nearly all of head 0's weight on the query token itself.
    const weights = randomStateDict(NON_SQUARE, 7);
    const [h, w] = attentionGrid(NON_SQUARE, 's3.0');
    const table = weights.get('s3.0.attn.1.fn.relative_bias_table')!.data as Float32Array;
    const heads = 8;
    for (let row = 0; row < (2 * h - 1) * (2 * w - 1); row += 1) table[row * heads] = 0;
    table[((h - 1) * (2 * w - 1) + (w - 1)) * heads] = 60;
    const run = runModel(NON_SQUARE, weights);

    const result = await attentionForPosition(run.result.attention!['s3.0'], [h, w], { x: 0.9, y: 0.3 });
    const head0 = result.heads[0];

    expect(result.query).toEqual({ row: 1, column: 5, index: 11 });
    expect(head0.weights[11]).toBeGreaterThan(0.99);
    expect(head0.rgba[11 * 4]).toBe(255);
    expect(result.heads[1].weights[11]).toBeLessThan(0.99);
    disposeRun(run);
  });

  it('rejects a grid that does not fit the tensor', async () => {
    const attention = tf.zeros([1, 8, 24, 24]) as tf.Tensor4D;

    await expect(attentionForPosition(attention, [4, 4], { x: 0, y: 0 })).rejects.toThrow(/\[1, 8, 24, 24\] does not fit grid 4x4/);
    attention.dispose();
  });
});
