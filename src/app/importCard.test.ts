import { describe, expect, it } from 'vitest';

import type { CoAtNetConfig } from '../model/config';
import type { RawTensorMap } from '../model/tensors';
import {
  availablePresets, buildImportedCard, classNames, countParameters, imageChannelsFor, invalidImageSide,
  invalidNormalization, presetNormalization,
} from './importCard';

const CONFIG: CoAtNetConfig = {
  imageSize: [32, 32], inChannels: 1, numBlocks: [2, 2, 1, 1, 1], channels: [8, 8, 12, 16, 16], numClasses: 3, blockTypes: ['C', 'C', 'T', 'T'],
};

const NUMBERED = { en: (index: number) => `class ${index}`, ja: (index: number) => `クラス ${index}` };

describe('normalization presets', () => {
  it('ImageNet preset uses torchvision statistics for RGB', () => {
    expect(presetNormalization('imagenet', 3)).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
  });

  it('ImageNet preset is absent for grayscale', () => {
    expect(presetNormalization('imagenet', 1)).toBeNull();
    expect(availablePresets(1)).toEqual(['half', 'none', 'custom']);
    expect(availablePresets(3)).toEqual(['imagenet', 'half', 'none', 'custom']);
  });

  it.each([
    ['half', 1, { mean: [0.5], std: [0.5] }],
    ['half', 3, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] }],
    ['none', 1, { mean: [0], std: [1] }],
    ['none', 3, { mean: [0, 0, 0], std: [1, 1, 1] }],
  ] as const)('preset %s for %i channels', (preset, channels, expected) => {
    expect(presetNormalization(preset, channels)).toEqual(expected);
  });
});

describe('form checks', () => {
  it.each([
    [[32, 32], null],
    [[224, 96], null],
    [[1024, 32], null],
    [[48, 64], 48],
    [[64, 0], 0],
    [[1056, 64], 1056],
    [[64, 64.5], 64.5],
    [[Number.NaN, 64], Number.NaN],
  ] as const)('image size %j -> invalid side %s', (size, expected) => {
    expect(invalidImageSide(size as [number, number])).toBe(expected);
  });

  it('normalization needs finite means and positive stds', () => {
    expect(invalidNormalization({ mean: [0.5, -1, 2], std: [0.1, 1, 3] })).toBeNull();
    expect(invalidNormalization({ mean: [0.5, Number.NaN], std: [1, 1] })).toEqual({ field: 'mean', index: 1, value: Number.NaN });
    expect(invalidNormalization({ mean: [0], std: [0] })).toEqual({ field: 'std', index: 0, value: 0 });
    expect(invalidNormalization({ mean: [0], std: [-0.5] })).toEqual({ field: 'std', index: 0, value: -0.5 });
  });

  it('maps input channels to image channels', () => {
    expect(imageChannelsFor(1)).toBe('grayscale');
    expect(imageChannelsFor(3)).toBe('rgb');
    expect(imageChannelsFor(4)).toBeNull();
  });
});

describe('classNames', () => {
  it('numbers classes per language without a labels file', () => {
    expect(classNames(null, 3, NUMBERED)).toEqual({ en: ['class 0', 'class 1', 'class 2'], ja: ['クラス 0', 'クラス 1', 'クラス 2'] });
  });

  it('uses the labels file in both languages', () => {
    expect(classNames(['cat', 'dog'], 2, NUMBERED)).toEqual({ en: ['cat', 'dog'], ja: ['cat', 'dog'] });
  });
});

describe('countParameters', () => {
  it('counts float parameters and skips buffers', () => {
    const tensors: RawTensorMap = new Map([
      ['s0.0.0.weight', { shape: [2, 1, 3, 3], sourceDtype: 'float32', data: new Float32Array(18) }],
      ['s0.0.1.weight', { shape: [2], sourceDtype: 'float32', data: new Float32Array(2) }],
      ['s0.0.1.running_mean', { shape: [2], sourceDtype: 'float32', data: new Float32Array(2) }],
      ['s0.0.1.running_var', { shape: [2], sourceDtype: 'float32', data: new Float32Array(2) }],
      ['s0.0.1.num_batches_tracked', { shape: [], sourceDtype: 'int64', data: new BigInt64Array(1) }],
      ['s3.0.attn.1.fn.relative_bias_table', { shape: [9, 8], sourceDtype: 'float16', data: new Float32Array(72) }],
      ['s3.0.attn.1.fn.relative_index', { shape: [16, 1], sourceDtype: 'int64', data: new BigInt64Array(16) }],
    ]);
    expect(countParameters(tensors)).toBe(18 + 2 + 72);
  });
});

describe('buildImportedCard', () => {
  const request = {
    name: 'my model',
    fileName: 'my_model.pth',
    config: CONFIG,
    resize: 'letterbox' as const,
    normalization: { mean: [0.25], std: [0.5] },
    labels: classNames(null, 3, NUMBERED),
    description: { en: 'Imported', ja: '読み込み' },
    parameterCount: 1234,
  };

  it('saves the chosen preprocessing with the config size', () => {
    const card = buildImportedCard(request);

    expect(card.preprocessing).toEqual({
      size: [32, 32], resize: 'letterbox', interpolation: 'bilinear', channels: 'grayscale', scale: 1 / 255, mean: [0.25], std: [0.5],
    });
    expect(card.config).toEqual(CONFIG);
    expect(card.labels.ja).toEqual(['クラス 0', 'クラス 1', 'クラス 2']);
    expect(card.parameterCount).toBe(1234);
  });

  it('rejects labels of the wrong count', () => {
    expect(() => buildImportedCard({ ...request, labels: { en: ['a'], ja: ['a'] } }))
      .toThrow('labels.en has 1 names but the model has 3 classes');
  });

  it('rejects a model whose channels no image gives', () => {
    expect(() => buildImportedCard({ ...request, config: { ...CONFIG, inChannels: 2 } }))
      .toThrow('The model takes 2 input channels');
  });
});
