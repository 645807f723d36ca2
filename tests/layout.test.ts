import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CoAtNet } from '../src/model/coatnet';
import { parseSafetensors } from '../src/model/safetensors';
import { expectedStateDict } from '../src/model/stateDict';
import type { RawTensor, RawTensorMap } from '../src/model/tensors';
import { WeightValidationError } from '../src/model/validate';
import {
  convertWeights, type CoAtNetWeights, type MBConvBlockWeights, type StemBlockWeights, type TransformerBlockWeights,
} from '../src/model/weights';
import { loadParityFixture, maxAbsDifference, nchwToNhwc } from './helpers/fixtures';

// Written by tools/make_preprocess_fixture.py: single layers of the reference model for the
// c_nonsquare_64x96 config, with random weights under their state_dict keys and the
// PyTorch input and output of each layer under `input:KEY` and `output:KEY`.
const LAYERS = (() => {
  const bytes = readFileSync(join(__dirname, 'fixtures', 'preprocess', 'layers.safetensors'));
  return parseSafetensors(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, 'layers.safetensors');
})();
const FIXTURE = loadParityFixture('c_nonsquare_64x96');
const TOLERANCE = 1e-5;

/** Copy the parity weights and replace each layer weight that layers.safetensors contains. */
function weightsWithLayers(): RawTensorMap {
  const raw = new Map(FIXTURE.weights);
  for (const [key, tensor] of LAYERS.tensors) {
    if (!key.startsWith('input:') && !key.startsWith('output:')) raw.set(key, tensor);
  }
  return raw;
}

function layerInput(key: string): RawTensor {
  return LAYERS.tensors.get(`input:${key}`)!;
}

function layerOutput(key: string): RawTensor {
  return LAYERS.tensors.get(`output:${key}`)!;
}

/** NCHW fixture tensor -> NHWC TF.js tensor. */
function nhwcTensor(tensor: RawTensor): tf.Tensor4D {
  const [n, c, h, w] = tensor.shape;
  return tf.tensor4d(nchwToNhwc(tensor), [n, h, w, c]);
}

/** Max abs difference between a NHWC TF.js result and a NCHW PyTorch output. */
function differenceFromNchw(actual: tf.Tensor4D, expected: RawTensor): number {
  const [n, c, h, w] = expected.shape;
  expect(actual.shape).toEqual([n, h, w, c]);
  return maxAbsDifference(actual.dataSync(), nchwToNhwc(expected));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('weight layout conversion', () => {
  let converted: { weights: CoAtNetWeights; tensors: tf.Tensor[] };
  let stem: StemBlockWeights;
  let mbconv: MBConvBlockWeights;

  beforeAll(() => {
    converted = convertWeights(FIXTURE.config, weightsWithLayers());
    stem = converted.weights.stages[0][0] as StemBlockWeights;
    mbconv = converted.weights.stages[1][0] as MBConvBlockWeights;
  });

  afterAll(() => {
    tf.dispose(converted.tensors);
  });

  it('layer fixture matches the parity config', () => {
    expect(JSON.parse(LAYERS.metadata.config)).toEqual(FIXTURE.config);

    for (const [key, tensor] of LAYERS.tensors) {
      if (key.startsWith('input:') || key.startsWith('output:')) continue;
      expect(tensor.shape, key).toEqual(FIXTURE.weights.get(key)!.shape);
    }
  });

  it('stem 3x3 conv OIHW -> HWIO, stride 2, padding 1', () => {
    const key = 's0.0.0';
    expect(stem.convHWIO.shape).toEqual([3, 3, 3, 16]);

    const difference = tf.tidy(() => differenceFromNchw(
      tf.conv2d(nhwcTensor(layerInput(key)), stem.convHWIO, stem.stride, 1), layerOutput(key)));

    expect(stem.stride).toBe(2);
    expect(difference).toBeLessThanOrEqual(TOLERANCE);
  });

  it('MBConv 1x1 expansion with stride 2', () => {
    const key = 's1.0.conv.fn.0';
    expect(mbconv.expandHWIO.shape).toEqual([1, 1, 16, 64]);

    const difference = tf.tidy(() => differenceFromNchw(
      tf.conv2d(nhwcTensor(layerInput(key)), mbconv.expandHWIO, 2, 'valid'), layerOutput(key)));

    expect(difference).toBeLessThanOrEqual(TOLERANCE);
  });

  it('depthwise 3x3 [C, 1, kh, kw] -> [kh, kw, C, 1]', () => {
    const key = 's1.0.conv.fn.3';
    expect(mbconv.depthwiseHWC1.shape).toEqual([3, 3, 64, 1]);

    const difference = tf.tidy(() => differenceFromNchw(
      tf.depthwiseConv2d(nhwcTensor(layerInput(key)), mbconv.depthwiseHWC1, 1, 1), layerOutput(key)));

    expect(difference).toBeLessThanOrEqual(TOLERANCE);
  });

  it('BatchNorm folds into scale and shift', () => {
    const key = 's1.0.conv.norm';

    const difference = tf.tidy(() => differenceFromNchw(
      tf.add(tf.mul(nhwcTensor(layerInput(key)), mbconv.preNorm.scale), mbconv.preNorm.shift), layerOutput(key)));

    expect(difference).toBeLessThanOrEqual(TOLERANCE);
  });

  it('linear without bias [out, in] -> [in, out]', () => {
    const key = 's1.0.conv.fn.6.fc.0';
    const input = layerInput(key);
    expect(mbconv.seReduce.weightInOut.shape).toEqual([64, 4]);
    expect(mbconv.seReduce.bias).toBeUndefined();

    const actual = tf.tidy(() => tf.matMul(tf.tensor2d(input.data as Float32Array, input.shape as [number, number]), mbconv.seReduce.weightInOut).dataSync());

    expect(maxAbsDifference(actual, layerOutput(key).data as Float32Array)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('linear with bias', () => {
    const key = 's3.0.ff.1.fn.net.0';
    const ff1 = (converted.weights.stages[3][0] as TransformerBlockWeights).ff1;
    const input = layerInput(key);
    expect(ff1.weightInOut.shape).toEqual([48, 128]);

    const actual = tf.tidy(() => tf.add(
      tf.matMul(tf.tensor2d(input.data as Float32Array, input.shape as [number, number]), ff1.weightInOut), ff1.bias!,
    ).dataSync());

    expect(maxAbsDifference(actual, layerOutput(key).data as Float32Array)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('relative bias gathers a non-square 2x3 grid', () => {
    const block = converted.weights.stages[4][0] as TransformerBlockWeights;
    const expected = layerOutput('s4.0.attn.1.fn.relative_bias');

    expect(block.grid).toEqual([2, 3]);
    expect(block.relativeBias.shape).toEqual(expected.shape);
    expect(Array.from(block.relativeBias.dataSync())).toEqual(Array.from(expected.data as Float32Array));
  });
});

describe('CoAtNet tensor ownership', () => {
  const input = FIXTURE.io.get('input')!;

  it('creates one tensor per converted weight', () => {
    const expected = expectedStateDict(FIXTURE.config);
    const floatKeys = [...expected.values()].filter((spec) => spec.kind === 'float').length;
    const batchNorms = [...expected.keys()].filter((key) => key.endsWith('.running_var')).length;
    const before = tf.memory().numTensors;

    const net = new CoAtNet(FIXTURE.config, FIXTURE.weights);

    // Each BatchNorm's four tensors fold into two (scale, shift); every other float tensor maps 1:1.
    expect(net.weightTensorCount).toBe(floatKeys - 2 * batchNorms);
    expect(tf.memory().numTensors - before).toBe(net.weightTensorCount);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('forward leaks no tensors once its outputs are disposed', () => {
    const net = new CoAtNet(FIXTURE.config, FIXTURE.weights);
    const inputNHWC = nhwcTensor(input);
    const loaded = tf.memory().numTensors;

    for (let run = 0; run < 2; run += 1) {
      const result = net.forward(inputNHWC, { stages: true, attentionBlocks: ['s3.0', 's4.1'] });
      const outputs = [result.logits, ...Object.values(result.stages!), ...Object.values(result.attention!)];

      expect(outputs).toHaveLength(1 + 5 + 2);
      expect(tf.memory().numTensors).toBe(loaded + outputs.length);
      tf.dispose(outputs);
      expect(tf.memory().numTensors, `after run ${run}`).toBe(loaded);
    }

    tf.dispose(inputNHWC);
    net.dispose();
  });

  it('dispose releases every weight tensor once', () => {
    const before = tf.memory().numTensors;
    const net = new CoAtNet(FIXTURE.config, FIXTURE.weights);

    net.dispose();
    net.dispose();

    expect(tf.memory().numTensors).toBe(before);
  });

  it('forward after dispose throws', () => {
    const net = new CoAtNet(FIXTURE.config, FIXTURE.weights);
    net.dispose();
    const inputNHWC = nhwcTensor(input);

    expect(() => net.forward(inputNHWC)).toThrow('This CoAtNet was disposed; load the model again');
    inputNHWC.dispose();
  });

  it('rejects a wrong input shape without leaking', () => {
    const net = new CoAtNet(FIXTURE.config, FIXTURE.weights);
    const wrong = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
    const before = tf.memory().numTensors;

    expect(() => net.forward(wrong)).toThrow('Input shape [1, 64, 64, 3] is invalid: expected NHWC [batch, 64, 96, 3]');
    expect(tf.memory().numTensors).toBe(before);
    wrong.dispose();
    net.dispose();
  });

  it('invalid weights create no tensors', () => {
    const raw = new Map(FIXTURE.weights);
    raw.delete('fc.weight');
    const before = tf.memory().numTensors;

    expect(() => new CoAtNet(FIXTURE.config, raw)).toThrow(WeightValidationError);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('CoAtNet forward details', () => {
  it('attention weights are [batch, heads, N, N] rows summing to 1', () => {
    const net = new CoAtNet(FIXTURE.config, FIXTURE.weights);
    const inputNHWC = nhwcTensor(FIXTURE.io.get('input')!);

    const result = net.forward(inputNHWC, { attentionBlocks: ['s3.0'] });
    const attention = result.attention!['s3.0'];
    const rowSums = tf.tidy(() => tf.sum(attention, -1).dataSync());

    expect(Object.keys(result.attention!)).toEqual(['s3.0']);
    expect(attention.shape).toEqual([1, 8, 24, 24]);
    expect(maxAbsDifference(rowSums, new Float32Array(8 * 24).fill(1))).toBeLessThanOrEqual(1e-5);
    tf.dispose([inputNHWC, result.logits, attention]);
    net.dispose();
  });

  it('weights without optional buffers give the PyTorch logits', () => {
    const raw = new Map([...FIXTURE.weights].filter(([key]) => !key.endsWith('.relative_index') && !key.endsWith('.num_batches_tracked')));
    const net = new CoAtNet(FIXTURE.config, raw);
    const inputNHWC = nhwcTensor(FIXTURE.io.get('input')!);

    const { logits } = net.forward(inputNHWC);
    const difference = maxAbsDifference(logits.dataSync(), FIXTURE.io.get('logits')!.data as Float32Array);

    expect(difference).toBeLessThanOrEqual(1e-4);
    tf.dispose([inputNHWC, logits]);
    net.dispose();
  });
});
