import { describe, expect, it } from 'vitest';

import { relativeIndex } from '../src/model/stateDict';
import type { RawTensor, RawTensorMap } from '../src/model/tensors';
import { findWeightProblems, validateWeights, WeightValidationError } from '../src/model/validate';
import { loadParityFixture } from './helpers/fixtures';

// C,C,T,T on 64x96: MBConv keys in s1/s2 and relative_index buffers for the 4x6 and 2x3 grids.
const FIXTURE = loadParityFixture('c_nonsquare_64x96');

function copyWeights(): RawTensorMap {
  return new Map(FIXTURE.weights);
}

function validationError(tensors: RawTensorMap): WeightValidationError {
  try {
    validateWeights(FIXTURE.config, tensors);
  } catch (error) {
    if (error instanceof WeightValidationError) return error;
    throw error;
  }
  throw new Error('validateWeights accepted the weights');
}

function floatTensor(shape: number[]): RawTensor {
  const count = shape.reduce((product, size) => product * size, 1);
  return { shape, sourceDtype: 'float32', data: new Float32Array(count) };
}

describe('validateWeights', () => {
  it('accepts the PyTorch state_dict', () => {
    expect(() => validateWeights(FIXTURE.config, FIXTURE.weights)).not.toThrow();
  });

  it('lists two dropped keys', () => {
    const tensors = copyWeights();
    tensors.delete('s1.0.conv.fn.3.weight');
    tensors.delete('fc.weight');

    const error = validationError(tensors);

    expect(error.name).toBe('WeightValidationError');
    expect(error.problems.missing.sort()).toEqual(['fc.weight', 's1.0.conv.fn.3.weight']);
    expect(error.problems.unexpected).toEqual([]);
    expect(error.problems.mismatched).toEqual([]);
    expect(error.message).toContain('Missing keys (2):');
    expect(error.message).toContain('s1.0.conv.fn.3.weight');
    expect(error.message).toContain('fc.weight');
  });

  it('lists an unexpected key', () => {
    const tensors = copyWeights();
    tensors.set('head.fc.weight', floatTensor([7, 64]));

    const error = validationError(tensors);

    expect(error.problems.unexpected).toEqual(['head.fc.weight']);
    expect(error.problems.missing).toEqual([]);
    expect(error.message).toContain('Unexpected keys (1): head.fc.weight');
  });

  it('reports expected and found shapes', () => {
    const tensors = copyWeights();
    tensors.set('s1.0.proj.weight', floatTensor([24, 16, 3, 3]));
    tensors.set('s3.1.ff.1.fn.net.0.weight', floatTensor([48, 192]));

    const error = validationError(tensors);

    expect(error.problems.mismatched).toEqual([
      { key: 's1.0.proj.weight', expected: [24, 16, 1, 1], found: [24, 16, 3, 3] },
      { key: 's3.1.ff.1.fn.net.0.weight', expected: [192, 48], found: [48, 192] },
    ]);
    expect(error.message).toContain('Shape mismatch for s1.0.proj.weight: expected [24, 16, 1, 1], found [24, 16, 3, 3]');
    expect(error.message).toContain('Shape mismatch for s3.1.ff.1.fn.net.0.weight: expected [192, 48], found [48, 192]');
  });

  it('accepts weights without the optional buffers', () => {
    const tensors = copyWeights();
    const dropped = [...tensors.keys()].filter((key) => key.endsWith('.relative_index') || key.endsWith('.num_batches_tracked'));
    for (const key of dropped) tensors.delete(key);

    // The config has 4 Transformer blocks, 1 stem BatchNorm and 4 BatchNorms in each of 4 MBConv blocks.
    expect(dropped.filter((key) => key.endsWith('.relative_index'))).toHaveLength(4);
    expect(dropped.filter((key) => key.endsWith('.num_batches_tracked'))).toHaveLength(1 + 4 * 4);
    expect(() => validateWeights(FIXTURE.config, tensors)).not.toThrow();
  });

  it('rejects a corrupted relative_index value', () => {
    const key = 's3.0.attn.1.fn.relative_index';
    const original = FIXTURE.weights.get(key)!;
    const data = (original.data as BigInt64Array).slice();
    data[5] = 0n;
    const tensors = copyWeights();
    tensors.set(key, { ...original, data });

    const error = validationError(tensors);
    const expectedValue = relativeIndex([4, 6])[5];

    expect(expectedValue).not.toBe(0);
    expect(error.problems.invalid).toEqual([
      `${key} differs from the reference's relative_index at element 5: expected ${expectedValue}, found 0`,
    ]);
    expect(error.message).toContain(`at element 5: expected ${expectedValue}, found 0`);
  });

  it('rejects a float relative_index', () => {
    const key = 's4.0.attn.1.fn.relative_index';
    const tensors = copyWeights();
    tensors.set(key, floatTensor(FIXTURE.weights.get(key)!.shape));

    const error = validationError(tensors);

    expect(error.problems.invalid).toEqual([`${key} has dtype float32; an integer buffer is expected`]);
  });

  it('rejects an integer weight', () => {
    const tensors = copyWeights();
    tensors.set('fc.weight', { shape: [7, 64], sourceDtype: 'int32', data: new Int32Array(7 * 64) });

    const error = validationError(tensors);

    expect(error.problems.invalid).toEqual(['fc.weight has dtype int32; a floating-point tensor is expected']);
  });

  it('lists every problem of several kinds', () => {
    const tensors = copyWeights();
    tensors.delete('s0.0.0.weight');
    tensors.delete('s4.1.attn.1.fn.to_qkv.weight');
    tensors.set('extra', floatTensor([1]));
    tensors.set('s2.0.conv.norm.weight', floatTensor([32]));

    const problems = findWeightProblems(FIXTURE.config, tensors);

    expect(problems.missing.sort()).toEqual(['s0.0.0.weight', 's4.1.attn.1.fn.to_qkv.weight']);
    expect(problems.unexpected).toEqual(['extra']);
    expect(problems.mismatched).toEqual([{ key: 's2.0.conv.norm.weight', expected: [24], found: [32] }]);
    expect(problems.invalid).toEqual([]);
  });

  it('finds no problems in the PyTorch state_dict', () => {
    expect(findWeightProblems(FIXTURE.config, FIXTURE.weights)).toEqual({ missing: [], unexpected: [], mismatched: [], invalid: [] });
  });
});
