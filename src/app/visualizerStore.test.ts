import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import { ATTENTION_HEADS, PRESETS, stageOutputShapes, type CoAtNetConfig } from '../model/config';
import type { ModelCard } from '../model/modelCard';
import { randomStateDict } from '../model/randomWeights';
import { createLoadedModel } from '../model/session';
import { resetAppStore, useAppStore } from './store';
import {
  ATTENTION_CAPTURE_FLOATS,
  attentionCapturePlan,
  buildPresetAndRun,
  chooseQueryPoint,
  chooseSource,
  closeVisualizer,
  ensureAnalysis,
  openVisualizer,
  presetConfig,
  randomRgbaImage,
  resetVisualizerStore,
  useVisualizerStore,
  type PresetChoice,
} from './visualizerStore';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

afterEach(() => {
  resetVisualizerStore();
  resetAppStore();
});

const SMALL: PresetChoice = { name: 'coatnet_0', height: 32, width: 64, layout: 'CTTT' };

describe('presetConfig', () => {
  it('applies input size and layout', () => {
    const config = presetConfig(SMALL);
    expect(config.imageSize).toEqual([32, 64]);
    expect(config.blockTypes).toEqual(['C', 'T', 'T', 'T']);
    expect(config.channels).toEqual(PRESETS.coatnet_0.channels);
    expect(config.numBlocks).toEqual(PRESETS.coatnet_0.numBlocks);
  });

  it('rejects an unknown preset', () => {
    expect(() => presetConfig({ ...SMALL, name: 'coatnet_9' })).toThrow(/coatnet_9.*coatnet_0/);
  });
});

describe('attentionCapturePlan', () => {
  it('keeps every block of coatnet_0 at 224', () => {
    const plan = attentionCapturePlan(PRESETS.coatnet_0);
    expect(plan.captured).toEqual(['s3.0', 's3.1', 's3.2', 's3.3', 's3.4', 's4.0', 's4.1']);
    expect(plan.skipped).toEqual([]);
  });

  it('keeps first blocks first when over budget', () => {
    // Each s2 block of C,T,T,T at 224 holds 8 heads x 784^2 floats, so two of them exceed the budget.
    const config = presetConfig({ name: 'coatnet_0', height: 224, width: 224, layout: 'CTTT' });
    const s2Floats = ATTENTION_HEADS * 784 ** 2;
    expect(2 * s2Floats).toBeGreaterThan(ATTENTION_CAPTURE_FLOATS);

    const plan = attentionCapturePlan(config);
    expect(plan.captured).toEqual(['s2.0', 's3.0', 's3.1', 's3.2', 's3.3', 's3.4', 's4.0', 's4.1']);
    expect(plan.skipped).toEqual(['s2.1', 's2.2']);
  });
});

describe('randomRgbaImage', () => {
  it('repeats for a seed and is opaque', () => {
    const first = randomRgbaImage(8, 4, 1);
    const second = randomRgbaImage(8, 4, 1);
    const other = randomRgbaImage(8, 4, 2);
    expect(first.data).toEqual(second.data);
    expect(first.data).not.toEqual(other.data);
    expect(first.data.filter((_, index) => index % 4 === 3).every((alpha) => alpha === 255)).toBe(true);
    expect(new Set(first.data.filter((_, index) => index % 4 === 0)).size).toBeGreaterThan(4);
  });
});

describe('stage view of a preset on the CPU backend', () => {
  it('measures stages and leaves no tensors on close', async () => {
    const before = tf.memory().numTensors;
    openVisualizer();
    chooseSource({ kind: 'preset', choice: SMALL });
    await buildPresetAndRun();

    const state = useVisualizerStore.getState();
    expect(state.run).toEqual({ status: 'done' });
    const analysis = state.analysis!;
    const expected = stageOutputShapes(presetConfig(SMALL));
    for (const stage of analysis.stages) {
      expect(stage.outputShape, `${stage.name} output`).toEqual(expected[stage.name]);
      expect([stage.thumbnails.height, stage.thumbnails.width], `${stage.name} thumbnails`).toEqual(expected[stage.name].slice(0, 2));
    }
    expect(analysis.stages[0].inputShape).toEqual([32, 64, 3]);
    expect(analysis.stages[1].inputShape).toEqual(expected.s0);
    expect(analysis.logitsShape).toEqual([1, 1000]);
    expect(analysis.randomInput).toBe(true);
    expect(analysis.attention.map((entry) => entry.key)).toEqual(['s2.0', 's2.1', 's2.2', 's3.0', 's3.1', 's3.2', 's3.3', 's3.4', 's4.0', 's4.1']);

    // Weights stay on the backend while the view is open; results are plain arrays.
    expect(tf.memory().numTensors).toBe(before + state.presetModel!.net.weightTensorCount);

    await chooseQueryPoint({ x: 0.9, y: 0.1 });
    const map = useVisualizerStore.getState().attentionMap!;
    expect(map.grid).toEqual([4, 8]);
    expect(map.query).toEqual({ row: 0, column: 7, index: 7 });
    expect(map.heads).toHaveLength(ATTENTION_HEADS);
    for (const head of map.heads) expect(head.rowSum).toBeCloseTo(1, 5);

    closeVisualizer();
    expect(tf.memory().numTensors).toBe(before);
    expect(useVisualizerStore.getState().analysis).toBeNull();
  });

  it('drops the result of a run replaced by another source', async () => {
    const before = tf.memory().numTensors;
    openVisualizer();
    chooseSource({ kind: 'preset', choice: SMALL });
    const run = buildPresetAndRun();
    chooseSource({ kind: 'preset', choice: { ...SMALL, layout: 'CCTT' } });
    await run;

    const state = useVisualizerStore.getState();
    expect(state.analysis).toBeNull();
    expect(state.presetModel).toBeNull();
    expect(state.source.kind).toBe('preset');
    if (state.source.kind === 'preset') expect(state.source.choice.layout).toBe('CCTT');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('stage view of the current model', () => {
  const config: CoAtNetConfig = {
    imageSize: [32, 64], inChannels: 1, numBlocks: [1, 1, 2, 2, 1], channels: [8, 16, 24, 32, 40], numClasses: 3, blockTypes: ['C', 'C', 'T', 'T'],
  };
  const card: ModelCard = {
    name: 'tiny',
    config,
    weights: 'tiny.safetensors',
    preprocessing: {
      size: [32, 64], resize: 'stretch', interpolation: 'bilinear', channels: 'grayscale', scale: 1 / 255, mean: [0.5], std: [0.5],
    },
    labels: { en: ['a', 'b', 'c'], ja: ['あ', 'い', 'う'] },
  };

  it('analyses the current image and keeps the model', async () => {
    const model = await createLoadedModel(card, 'http://127.0.0.1/tiny.json', randomStateDict(config, 3), undefined, { warmup: false });
    const pixels = randomRgbaImage(20, 10, 7);
    useAppStore.setState({
      model: { status: 'ready', model },
      image: { id: 5, displayUrl: 'blob:test/5', fileName: 'noise.png', width: 20, height: 10, pixels, trueLabel: null },
    });
    const before = tf.memory().numTensors;

    openVisualizer();
    await ensureAnalysis();
    const analysis = useVisualizerStore.getState().analysis!;
    expect(analysis.key).toMatch(/^current#\d+\|image#5$/);
    expect(analysis.randomInput).toBe(false);
    expect(analysis.stages.map((stage) => stage.outputShape)).toEqual(Object.values(stageOutputShapes(config)));
    expect(analysis.input).toMatchObject({ width: 64, height: 32 });
    expect(analysis.logitsShape).toEqual([1, 3]);

    closeVisualizer();
    expect(tf.memory().numTensors, 'only the classifier model stays loaded').toBe(before);
  });
});
