import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { PRESETS, STAGE_NAMES, stageGrid } from '../src/model/config';
import { countParameters, expectedStateDict, relativeIndex } from '../src/model/stateDict';
import { loadParityFixture, parityFixtureNames } from './helpers/fixtures';

// Written by tools/reference_counts.py from the reference's count_parameters and state_dict().
const REFERENCE_COUNTS = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'reference-counts.json'), 'utf8'),
) as Record<string, { parameters: number; stateDictKeys: number }>;

describe('countParameters', () => {
  it.each([
    ['coatnet_0', 17_789_624],
    ['coatnet_1', 33_170_624],
    ['coatnet_2', 55_767_564],
  ])('%s has %i parameters', (name, expected) => {
    expect(countParameters(PRESETS[name])).toBe(expected);
  });

  it('covers every preset in the reference counts', () => {
    expect(Object.keys(REFERENCE_COUNTS).sort()).toEqual(Object.keys(PRESETS).sort());
  });

  it.each(Object.keys(REFERENCE_COUNTS))('%s equals the reference count_parameters', (name) => {
    expect(countParameters(PRESETS[name])).toBe(REFERENCE_COUNTS[name].parameters);
  });
});

describe('expectedStateDict', () => {
  it.each(Object.keys(REFERENCE_COUNTS))('%s has the reference state_dict size', (name) => {
    expect(expectedStateDict(PRESETS[name]).size).toBe(REFERENCE_COUNTS[name].stateDictKeys);
  });

  it.each(parityFixtureNames())('%s has the key set of the PyTorch file', (name) => {
    const { config, weights } = loadParityFixture(name);
    const expected = expectedStateDict(config);

    expect([...expected.keys()].sort()).toEqual([...weights.keys()].sort());
  });

  it.each(parityFixtureNames())('%s has the shapes and dtypes of the PyTorch file', (name) => {
    const { config, weights } = loadParityFixture(name);

    for (const [key, spec] of expectedStateDict(config)) {
      const tensor = weights.get(key)!;
      expect(tensor.shape, key).toEqual(spec.shape);
      expect(tensor.sourceDtype, key).toBe(spec.kind === 'int' ? 'int64' : 'float32');
    }
  });

  it.each(parityFixtureNames())('%s marks only the index and counter buffers optional', (name) => {
    const { config } = loadParityFixture(name);

    for (const [key, spec] of expectedStateDict(config)) {
      const isOptionalBuffer = key.endsWith('.relative_index') || key.endsWith('.num_batches_tracked');
      expect(spec.optional, key).toBe(isOptionalBuffer);
    }
  });
});

describe('relativeIndex', () => {
  // Every Transformer stage of the fixtures: grids 1x1, 2x2, 4x4, 8x8 and the non-square 4x6, 2x3.
  const cases = parityFixtureNames().flatMap((name) => {
    const { config, weights } = loadParityFixture(name);
    return [...weights.keys()]
      .filter((key) => key.endsWith('.relative_index'))
      .map((key) => {
        const stageIndex = STAGE_NAMES.indexOf(key.split('.')[0] as (typeof STAGE_NAMES)[number]);
        return { name, key, grid: stageGrid(config, stageIndex), tensor: weights.get(key)! };
      });
  });

  it('finds Transformer stages in the fixtures', () => {
    const grids = new Set(cases.map(({ grid }) => grid.join('x')));

    expect([...grids].sort()).toEqual(['1x1', '2x2', '2x3', '4x4', '4x6', '8x8']);
  });

  it.each(cases.map((item) => [`${item.name} ${item.key} (${item.grid.join('x')})`, item] as const))(
    'equals the buffer of %s',
    (_, { grid, tensor }) => {
      const tokens = grid[0] * grid[1];
      const buffer = Array.from(tensor.data as BigInt64Array, Number);

      expect(tensor.shape).toEqual([tokens * tokens, 1]);
      expect(Array.from(relativeIndex(grid))).toEqual(buffer);
    },
  );
});
