import { describe, expect, it } from 'vitest';

import {
  PRESETS, STAGE_NAMES, stageBlockType, stageGrid, stageInputChannels, stageOutputShapes,
  validateConfig, type CoAtNetConfig,
} from '../src/model/config';
import { loadParityFixture, parityFixtureNames } from './helpers/fixtures';

const TINY: CoAtNetConfig = {
  imageSize: [64, 64],
  inChannels: 3,
  numBlocks: [1, 1, 1, 1, 1],
  channels: [16, 24, 32, 48, 64],
  numClasses: 5,
  blockTypes: ['C', 'C', 'T', 'T'],
};

function withFields(fields: Record<string, unknown>): CoAtNetConfig {
  return { ...TINY, ...fields } as CoAtNetConfig;
}

function validationMessage(config: CoAtNetConfig): string {
  try {
    validateConfig(config);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`validateConfig accepted ${JSON.stringify(config)}`);
}

describe('stageOutputShapes', () => {
  it('coatnet_0 at 224 halves the grid in every stage', () => {
    expect(stageOutputShapes(PRESETS.coatnet_0)).toEqual({
      s0: [112, 112, 64],
      s1: [56, 56, 96],
      s2: [28, 28, 192],
      s3: [14, 14, 384],
      s4: [7, 7, 768],
    });
  });

  it('non-square 64x96 keeps height and width apart', () => {
    const config = withFields({ imageSize: [64, 96] });

    expect(stageOutputShapes(config)).toEqual({
      s0: [32, 48, 16],
      s1: [16, 24, 24],
      s2: [8, 12, 32],
      s3: [4, 6, 48],
      s4: [2, 3, 64],
    });
  });

  // The parity fixtures store PyTorch's own stage outputs (NCHW) for each config.
  it.each(parityFixtureNames())('equals PyTorch stage outputs of %s', (name) => {
    const fixture = loadParityFixture(name);
    const shapes = stageOutputShapes(fixture.config);

    for (const stage of STAGE_NAMES) {
      const [, channels, height, width] = fixture.io.get(stage)!.shape;
      expect(shapes[stage], stage).toEqual([height, width, channels]);
    }
  });
});

describe('stage helpers', () => {
  it('stageGrid divides by 2^(index + 1)', () => {
    const config = withFields({ imageSize: [64, 96] });

    expect(STAGE_NAMES.map((_, index) => stageGrid(config, index))).toEqual([[32, 48], [16, 24], [8, 12], [4, 6], [2, 3]]);
  });

  it('stageInputChannels chains the widths', () => {
    expect([0, 1, 2, 3, 4].map((index) => stageInputChannels(TINY, index))).toEqual([3, 16, 24, 32, 48]);
  });

  it('stageBlockType puts the stem first', () => {
    const config = withFields({ blockTypes: ['C', 'T', 'C', 'T'] });

    expect([0, 1, 2, 3, 4].map((index) => stageBlockType(config, index))).toEqual(['stem', 'C', 'T', 'C', 'T']);
  });
});

describe('validateConfig', () => {
  it.each(Object.keys(PRESETS))('accepts preset %s', (name) => {
    expect(() => validateConfig(PRESETS[name])).not.toThrow();
  });

  it('accepts a non-square 32x224 input', () => {
    expect(() => validateConfig(withFields({ imageSize: [32, 224] }))).not.toThrow();
  });

  it.each([
    [[100, 224], 'image height 100 is invalid'],
    [[224, 200], 'image width 200 is invalid'],
    [[16, 64], 'image height 16 is invalid'],
    [[0, 64], 'image height 0 is invalid'],
    [[64, -32], 'image width -32 is invalid'],
    [[64.5, 64], 'image height 64.5 is invalid'],
    [[64], 'image width undefined is invalid'],
  ])('rejects imageSize %j', (imageSize, expected) => {
    const message = validationMessage(withFields({ imageSize }));

    expect(message).toContain(expected);
    expect(message).toContain('use a multiple of 32');
  });

  it('rejects numBlocks of length 4', () => {
    expect(validationMessage(withFields({ numBlocks: [2, 2, 3, 5] }))).toContain('numBlocks [2,2,3,5] is invalid: use 5 integers >= 1');
  });

  it('rejects a zero block count', () => {
    expect(validationMessage(withFields({ numBlocks: [2, 0, 3, 5, 2] }))).toContain('numBlocks [2,0,3,5,2] is invalid');
  });

  it('rejects channels of length 6', () => {
    expect(validationMessage(withFields({ channels: [16, 24, 32, 48, 64, 80] })))
      .toContain('channels [16,24,32,48,64,80] is invalid: use 5 integers >= 1');
  });

  it('rejects fractional channels', () => {
    expect(validationMessage(withFields({ channels: [16, 24.5, 32, 48, 64] }))).toContain('channels [16,24.5,32,48,64] is invalid');
  });

  it('rejects an unknown block type', () => {
    expect(validationMessage(withFields({ blockTypes: ['C', 'X', 'T', 'T'] })))
      .toContain(`blockTypes ["C","X","T","T"] is invalid: use 4 of 'C' or 'T'`);
  });

  it('rejects five block types', () => {
    expect(validationMessage(withFields({ blockTypes: ['C', 'C', 'C', 'T', 'T'] })))
      .toContain('blockTypes ["C","C","C","T","T"] is invalid');
  });

  it('rejects zero inChannels', () => {
    expect(validationMessage(withFields({ inChannels: 0 }))).toContain('inChannels 0 is invalid: use 1 (grayscale) or 3 (RGB)');
  });

  it('rejects zero numClasses', () => {
    expect(validationMessage(withFields({ numClasses: 0 }))).toContain('numClasses 0 is invalid');
  });

  it('lists every invalid field at once', () => {
    const message = validationMessage(withFields({ imageSize: [48, 64], numBlocks: [1, 1], blockTypes: ['T'] }));
    const lines = message.split('\n');

    expect(lines[0]).toBe('Invalid CoAtNet config:');
    expect(lines).toHaveLength(4);
    expect(message).toContain('image height 48 is invalid');
    expect(message).toContain('numBlocks [1,1] is invalid');
    expect(message).toContain('blockTypes ["T"] is invalid');
  });
});
