// Strict comparison of a weight file's tensors with the reference state_dict of a config.

import type { CoAtNetConfig } from './config';
import { expectedStateDict, relativeIndex } from './stateDict';
import { shapeToString, type RawTensorMap } from './tensors';

export interface ShapeMismatch {
  key: string;
  expected: number[];
  found: number[];
}

export interface WeightProblems {
  missing: string[];
  unexpected: string[];
  mismatched: ShapeMismatch[];
  /** Other problems: wrong dtype kind, relative_index values that differ from the reference. */
  invalid: string[];
}

/** Raised when weights do not match a config; `problems` lists every key at fault. */
export class WeightValidationError extends Error {
  readonly problems: WeightProblems;

  constructor(problems: WeightProblems) {
    super(formatProblems(problems));
    this.name = 'WeightValidationError';
    this.problems = problems;
  }
}

function formatProblems(problems: WeightProblems): string {
  const lines = ['The weights do not match the CoAtNet config.'];
  if (problems.missing.length > 0) {
    lines.push(`Missing keys (${problems.missing.length}): ${problems.missing.join(', ')}`);
  }
  if (problems.unexpected.length > 0) {
    lines.push(`Unexpected keys (${problems.unexpected.length}): ${problems.unexpected.join(', ')}`);
  }
  for (const { key, expected, found } of problems.mismatched) {
    lines.push(`Shape mismatch for ${key}: expected ${shapeToString(expected)}, found ${shapeToString(found)}`);
  }
  lines.push(...problems.invalid);
  return lines.join('\n');
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, i) => size === b[i]);
}

function checkRelativeIndex(key: string, tensorData: ArrayLike<bigint | number>, grid: [number, number]): string | null {
  const expected = relativeIndex(grid);
  for (let i = 0; i < expected.length; i += 1) {
    if (Number(tensorData[i]) !== expected[i]) {
      return `${key} differs from the reference's relative_index at element ${i}: expected ${expected[i]}, found ${tensorData[i]}`;
    }
  }
  return null;
}

function gridOfRelativeIndex(config: CoAtNetConfig, key: string): [number, number] {
  const stageIndex = Number(key[1]);
  const factor = 2 ** (stageIndex + 1);
  return [Math.floor(config.imageSize[0] / factor), Math.floor(config.imageSize[1] / factor)];
}

/** Compare `tensors` with the config's expected state_dict and return every problem found. */
export function findWeightProblems(config: CoAtNetConfig, tensors: RawTensorMap): WeightProblems {
  const expected = expectedStateDict(config);
  const problems: WeightProblems = { missing: [], unexpected: [], mismatched: [], invalid: [] };

  for (const [key, spec] of expected) {
    const tensor = tensors.get(key);
    if (tensor === undefined) {
      if (!spec.optional) problems.missing.push(key);
      continue;
    }
    if (!sameShape(tensor.shape, spec.shape)) {
      problems.mismatched.push({ key, expected: spec.shape, found: tensor.shape });
      continue;
    }
    const isFloat = tensor.data instanceof Float32Array;
    if (spec.kind === 'float' && !isFloat) {
      problems.invalid.push(`${key} has dtype ${tensor.sourceDtype}; a floating-point tensor is expected`);
    } else if (spec.kind === 'int' && isFloat) {
      problems.invalid.push(`${key} has dtype ${tensor.sourceDtype}; an integer buffer is expected`);
    } else if (key.endsWith('relative_index')) {
      const problem = checkRelativeIndex(key, tensor.data as ArrayLike<bigint | number>, gridOfRelativeIndex(config, key));
      if (problem) problems.invalid.push(problem);
    }
  }

  for (const key of tensors.keys()) {
    if (!expected.has(key)) problems.unexpected.push(key);
  }
  return problems;
}

/** Throw a WeightValidationError listing every missing, unexpected and mis-shaped key. */
export function validateWeights(config: CoAtNetConfig, tensors: RawTensorMap): void {
  const problems = findWeightProblems(config, tensors);
  const count = problems.missing.length + problems.unexpected.length
    + problems.mismatched.length + problems.invalid.length;
  if (count > 0) {
    throw new WeightValidationError(problems);
  }
}
