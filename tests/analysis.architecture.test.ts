import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { allOps, describeArchitecture, findBlock } from '../src/analysis/architecture';
import type { ResidualSection } from '../src/analysis/blocks';
import { MAC_OP_KINDS, type OpDescription } from '../src/analysis/ops';
import { PRESETS, STAGE_NAMES, stageOutputShapes, type CoAtNetConfig } from '../src/model/config';
import { countParameters, expectedStateDict } from '../src/model/stateDict';

interface ModuleRecord {
  name: string;
  type: string;
  leaf: boolean;
  outputShape: number[];
  macs: number;
}

interface MacsFixture {
  name: string;
  config: CoAtNetConfig;
  stages: Record<string, { macs: number; parameters: number }>;
  totalMacs: number;
  totalParameters: number;
  modules: ModuleRecord[];
}

// Written by tools/count_macs.py with forward hooks on the PyTorch reference.
const MACS_FIXTURES = (JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'analysis', 'macs.json'), 'utf8'),
) as { configs: MacsFixture[] }).configs;
const FIXTURE_NAMES = MACS_FIXTURES.map((fixture) => fixture.name);

function fixture(name: string): MacsFixture {
  return MACS_FIXTURES.find((f) => f.name === name)!;
}

/** Kind and output shape of each op, the form the paths are compared in. */
function steps(ops: readonly OpDescription[]): string[] {
  return ops.map((op) => `${op.kind} ${op.outputShape.join('x')}`);
}

function section(name: string, config: CoAtNetConfig, blockKey: string, kind: ResidualSection['kind']): ResidualSection {
  const block = findBlock(describeArchitecture(config), blockKey);
  const found = block.sections.find((s) => s.kind === kind);
  if (!found) throw new Error(`${name} ${blockKey} has no ${kind} section`);
  return found;
}

/** PyTorch output shape (batch dropped) in the layout of the app's op. */
function pytorchShapeAsLayout(op: OpDescription, shape: number[]): number[] {
  if (op.layout === 'HWC') return [shape[1], shape[2], shape[0]];
  if (op.layout === 'C') return shape.filter((size, axis) => axis === 0 || size !== 1);
  return shape;
}

const NON_SQUARE_64X96: CoAtNetConfig = fixture('nonsquare_cctt_64x96').config;
const CTTT: CoAtNetConfig = fixture('cttt_64').config;

describe('describeArchitecture stage shapes', () => {
  it('coatnet_0 halves 224 to 112, 56, 28, 14, 7', () => {
    const architecture = describeArchitecture(PRESETS.coatnet_0);

    expect(architecture.inputShape).toEqual([224, 224, 3]);
    expect(architecture.stages.map((s) => s.outputShape)).toEqual([
      [112, 112, 64], [56, 56, 96], [28, 28, 192], [14, 14, 384], [7, 7, 768],
    ]);
    expect(architecture.stages.map((s) => s.inputShape[0])).toEqual([224, 112, 56, 28, 14]);
    expect(architecture.head.outputShape).toEqual([1000]);
  });

  it('non-square 64x96 keeps its aspect ratio', () => {
    const architecture = describeArchitecture(NON_SQUARE_64X96);

    expect(architecture.stages.map((s) => s.outputShape)).toEqual([
      [32, 48, 16], [16, 24, 24], [8, 12, 32], [4, 6, 48], [2, 3, 64],
    ]);
  });

  it.each([...Object.keys(PRESETS), ...FIXTURE_NAMES])('%s equals stageOutputShapes', (name) => {
    const config = PRESETS[name] ?? fixture(name).config;
    const expected = stageOutputShapes(config);

    const architecture = describeArchitecture(config);

    for (const stage of architecture.stages) {
      expect(stage.outputShape, stage.name).toEqual(expected[stage.name]);
    }
  });

  it('chains each block input to the previous output', () => {
    const architecture = describeArchitecture(PRESETS.coatnet_1);
    const blocks = architecture.stages.flatMap((s) => s.blocks);

    for (let i = 1; i < blocks.length; i += 1) {
      expect(blocks[i].inputShape, blocks[i].key).toEqual(blocks[i - 1].outputShape);
    }
  });
});

describe('describeArchitecture blocks', () => {
  it.each(['coatnet_0', 'coatnet_4'])('%s downsamples exactly in block 0 of each stage', (name) => {
    const architecture = describeArchitecture(PRESETS[name]);

    for (const stage of architecture.stages) {
      const downsampling = stage.blocks.filter((b) => b.downsample).map((b) => b.key);
      expect(downsampling, stage.name).toEqual([`${stage.name}.0`]);
      expect(stage.blocks.length, stage.name).toBe(PRESETS[name].numBlocks[stage.index]);
    }
  });

  it('coatnet_0 has the stage types, block counts and keys', () => {
    const architecture = describeArchitecture(PRESETS.coatnet_0);

    expect(architecture.stages.map((s) => s.type)).toEqual(['stem', 'C', 'C', 'T', 'T']);
    expect(architecture.stages.map((s) => s.numBlocks)).toEqual([2, 2, 3, 5, 2]);
    expect(architecture.stages[3].blocks.map((b) => b.key)).toEqual(['s3.0', 's3.1', 's3.2', 's3.3', 's3.4']);
  });

  it('C,T,T,T builds Transformer blocks from s2 on', () => {
    const architecture = describeArchitecture(CTTT);

    expect(architecture.stages.map((s) => s.type)).toEqual(['stem', 'C', 'T', 'T', 'T']);
    expect(findBlock(architecture, 's2.0').attentionGrid).toEqual([8, 8]);
    expect(findBlock(architecture, 's4.0').attentionGrid).toEqual([2, 2]);
    expect(findBlock(architecture, 's1.0').attentionGrid).toBeUndefined();
    expect(findBlock(architecture, 's2.0').sections.map((s) => s.kind)).toEqual(['attention', 'feedForward']);
  });

  it('findBlock names the valid keys for an unknown key', () => {
    expect(() => findBlock(describeArchitecture(CTTT), 's1.5')).toThrow(/one of s0\.0, s1\.0, s1\.1, s2\.0/);
  });
});

describe('downsampling block paths', () => {
  it('stem s0.0 is a stride-2 conv, BN, GELU without residual', () => {
    const stem = section('coatnet_0', PRESETS.coatnet_0, 's0.0', 'stem');

    expect(stem.shortcut).toBeNull();
    expect(steps(stem.main)).toEqual(['conv2d 112x112x64', 'batchNorm 112x112x64', 'gelu 112x112x64']);
    expect(stem.main[0].attributes).toMatchObject({ kernelSize: 3, stride: 2, padding: 1 });
    expect(stem.main[0].weightKey).toBe('s0.0.0.weight');
    expect(stem.main[1].weightKey).toBe('s0.0.1.weight');
  });

  it('stem s0.1 keeps the size with stride 1', () => {
    const stem = section('coatnet_0', PRESETS.coatnet_0, 's0.1', 'stem');

    expect(stem.main[0].attributes.stride).toBe(1);
    expect(stem.outputShape).toEqual([112, 112, 64]);
  });

  it('MBConv s1.0 pools the shortcut and strides the expansion conv', () => {
    const mbconv = section('coatnet_0', PRESETS.coatnet_0, 's1.0', 'mbconv');

    expect(mbconv.inputShape).toEqual([112, 112, 64]);
    expect(steps(mbconv.shortcut!)).toEqual(['maxPool 56x56x64', 'conv2d 56x56x96']);
    expect(mbconv.shortcut!.map((op) => op.weightKey)).toEqual([undefined, 's1.0.proj.weight']);
    expect(steps(mbconv.main)).toEqual([
      'batchNorm 112x112x64',
      'conv2d 56x56x256',
      'batchNorm 56x56x256',
      'gelu 56x56x256',
      'depthwiseConv2d 56x56x256',
      'batchNorm 56x56x256',
      'gelu 56x56x256',
      'globalAvgPool 256',
      'linear 16',
      'gelu 16',
      'linear 256',
      'sigmoid 256',
      'scaleChannels 56x56x256',
      'conv2d 56x56x96',
      'batchNorm 56x56x96',
    ]);
    expect(mbconv.main[1].attributes).toMatchObject({ kernelSize: 1, stride: 2, inChannels: 64, outChannels: 256 });
    expect(mbconv.main.map((op) => op.weightKey).filter(Boolean)).toEqual([
      's1.0.conv.norm.weight', 's1.0.conv.fn.0.weight', 's1.0.conv.fn.1.weight', 's1.0.conv.fn.3.weight',
      's1.0.conv.fn.4.weight', 's1.0.conv.fn.6.fc.0.weight', 's1.0.conv.fn.6.fc.2.weight',
      's1.0.conv.fn.7.weight', 's1.0.conv.fn.8.weight',
    ]);
  });

  it('MBConv SE squeezes to int(0.25 * block input)', () => {
    // 30 * 0.25 = 7.5, which the reference truncates to 7.
    const mbconv = section('small', fixture('small_cctt_64').config, 's2.0', 'mbconv');
    const squeeze = mbconv.main.find((op) => op.module === 's2.0.conv.fn.6.fc.0')!;

    expect(squeeze.outputShape).toEqual([7]);
  });

  it('Transformer s3.0 pools both paths before attention', () => {
    const attention = section('coatnet_0', PRESETS.coatnet_0, 's3.0', 'attention');

    expect(attention.inputShape).toEqual([28, 28, 192]);
    expect(steps(attention.shortcut!)).toEqual(['maxPool 14x14x192', 'conv2d 14x14x384']);
    expect(attention.shortcut![1].weightKey).toBe('s3.0.proj.weight');
    expect(steps(attention.main)).toEqual([
      'maxPool 14x14x192',
      'toTokens 196x192',
      'layerNorm 196x192',
      'linear 196x768',
      'attentionScores 8x196x196',
      'relativePositionBias 8x196x196',
      'softmax 8x196x196',
      'attentionContext 8x196x32',
      'mergeHeads 196x256',
      'linear 196x384',
      'toGrid 14x14x384',
    ]);
    expect(attention.main.find((op) => op.kind === 'relativePositionBias')!.weightKey)
      .toBe('s3.0.attn.1.fn.relative_bias_table');
    expect(attention.main.find((op) => op.kind === 'attentionScores')!.attributes).toMatchObject({ heads: 8, headDim: 32 });
  });

  it('Transformer s3.0 feed-forward widens to 4 * block input', () => {
    const feedForward = section('coatnet_0', PRESETS.coatnet_0, 's3.0', 'feedForward');

    expect(feedForward.shortcut).toEqual([]);
    expect(steps(feedForward.main)).toEqual([
      'toTokens 196x384', 'layerNorm 196x384', 'linear 196x768', 'gelu 196x768', 'linear 196x384', 'toGrid 14x14x384',
    ]);
    expect(feedForward.main[2].weightKey).toBe('s3.0.ff.1.fn.net.0.weight');
  });

  it('non-downsampling blocks add an identity shortcut', () => {
    const architecture = describeArchitecture(PRESETS.coatnet_0);

    for (const key of ['s1.1', 's2.2', 's3.1', 's4.1']) {
      const block = findBlock(architecture, key);
      expect(block.sections.every((s) => Array.isArray(s.shortcut) && s.shortcut.length === 0), key).toBe(true);
      expect(block.outputShape, key).toEqual(block.inputShape);
      const kinds = block.sections.flatMap((s) => s.main.map((op) => op.kind));
      expect(kinds, key).not.toContain('maxPool');
    }
  });
});

describe('describeArchitecture parameters', () => {
  it.each([
    ['coatnet_0', 17_789_624],
    ['coatnet_1', 33_170_624],
    ['coatnet_2', 55_767_564],
  ])('%s has %i parameters', (name, expected) => {
    expect(describeArchitecture(PRESETS[name]).totalParameters).toBe(expected);
  });

  it.each(Object.keys(PRESETS))('%s equals countParameters', (name) => {
    expect(describeArchitecture(PRESETS[name]).totalParameters).toBe(countParameters(PRESETS[name]));
  });

  it.each(FIXTURE_NAMES)('%s stages equal the PyTorch parameter count', (name) => {
    const { config, stages, totalParameters } = fixture(name);
    const architecture = describeArchitecture(config);

    for (const stage of architecture.stages) {
      expect(stage.parameters, stage.name).toBe(stages[stage.name].parameters);
    }
    expect(architecture.head.parameters).toBe(stages.head.parameters);
    expect(architecture.totalParameters).toBe(totalParameters);
  });

  it.each(['coatnet_0', ...FIXTURE_NAMES])('%s assigns each state_dict key to one op', (name) => {
    const config = PRESETS[name] ?? fixture(name).config;
    const keys = allOps(describeArchitecture(config)).flatMap((op) => op.stateDictKeys);

    expect(keys.length).toBe(new Set(keys).size);
    expect([...keys].sort()).toEqual([...expectedStateDict(config).keys()].sort());
  });
});

describe('describeArchitecture MACs', () => {
  it.each(FIXTURE_NAMES)('%s stages equal the PyTorch hook counts', (name) => {
    const { config, stages, totalMacs } = fixture(name);
    const architecture = describeArchitecture(config);

    for (const stage of architecture.stages) {
      expect(stage.macs, stage.name).toBe(stages[stage.name].macs);
    }
    expect(architecture.head.macs).toBe(stages.head.macs);
    expect(architecture.totalMacs).toBe(totalMacs);
  });

  it.each(FIXTURE_NAMES)('%s modules equal the PyTorch hook counts', (name) => {
    const { config, modules } = fixture(name);
    const byModule = new Map<string, number>();
    for (const op of allOps(describeArchitecture(config))) {
      if (op.macs > 0) byModule.set(op.module, (byModule.get(op.module) ?? 0) + op.macs);
    }

    const expected = new Map(modules.filter((m) => m.macs > 0).map((m) => [m.name, m.macs]));

    expect(Object.fromEntries(byModule)).toEqual(Object.fromEntries(expected));
  });

  it('coatnet_0 has 3,395,216,384 MACs at 224x224', () => {
    // The PyTorch hook count of tools/count_macs.py, repeated here as a readable anchor.
    expect(describeArchitecture(PRESETS.coatnet_0).totalMacs).toBe(3_395_216_384);
  });

  it('counts MACs only in MAC_OP_KINDS', () => {
    const ops = allOps(describeArchitecture(CTTT));

    for (const op of ops) {
      expect(op.macs > 0, `${op.module} ${op.kind}`).toBe(MAC_OP_KINDS.includes(op.kind));
    }
  });
});

describe('op shapes against PyTorch', () => {
  it.each(FIXTURE_NAMES)('%s leaf modules have the op output shapes', (name) => {
    const { config, modules } = fixture(name);
    const ops = allOps(describeArchitecture(config));
    // The head pools with a mean in both tools, so PyTorch calls no pooling module there.
    const leaves = modules.filter((m) => m.leaf && m.type !== 'Dropout');

    for (const record of leaves) {
      const matching = ops.filter((op) => op.module === record.name);
      expect(matching.length, record.name).toBe(1);
      expect(matching[0].outputShape, record.name).toEqual(pytorchShapeAsLayout(matching[0], record.outputShape));
    }
  });

  it.each(FIXTURE_NAMES)('%s maps every op to a called module', (name) => {
    const { config, modules } = fixture(name);
    const called = new Set(modules.map((m) => m.name));
    const ops = allOps(describeArchitecture(config));

    const uncalled = [...new Set(ops.map((op) => op.module))].filter((module) => !called.has(module));

    // Both tools pool the head with a mean, so the reference's AvgPool2d module never runs.
    expect(uncalled).toEqual(['pool']);
  });

  it.each(FIXTURE_NAMES)('%s blocks and stages have the PyTorch output shapes', (name) => {
    const { config, modules } = fixture(name);
    const shapes = new Map(modules.map((m) => [m.name, m.outputShape]));
    const architecture = describeArchitecture(config);

    for (const stage of architecture.stages) {
      const [c, h, w] = shapes.get(stage.name)!;
      expect(stage.outputShape, stage.name).toEqual([h, w, c]);
      for (const block of stage.blocks) {
        const [bc, bh, bw] = shapes.get(block.key)!;
        expect(block.outputShape, block.key).toEqual([bh, bw, bc]);
      }
    }
  });

  it('every stage of the fixtures is covered', () => {
    for (const { modules, name } of MACS_FIXTURES) {
      const stages = new Set(modules.map((m) => m.name.split('.')[0]));
      expect([...stages].sort(), name).toEqual([...STAGE_NAMES, 'fc'].sort());
    }
  });
});
