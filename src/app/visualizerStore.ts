// Stage visualizer state (zustand), kept apart from the classifier store: the model the view
// analyses, the preset network it owns, and the results of its last forward pass. Results are
// plain arrays: every tensor of a forward pass is read back and disposed before they are stored.

import * as tf from '@tensorflow/tfjs-core';
import { create } from 'zustand';

import {
  attentionBlockKeys,
  attentionForPosition,
  attentionGrid,
  featureMapThumbnails,
  measuredStageShapes,
  visualizerForwardOptions,
  type AttentionForPosition,
  type FeatureMapThumbnails,
  type ImagePoint,
  type Shape3,
} from '../analysis';
import { CoAtNet, type ForwardResult } from '../model/coatnet';
import { ATTENTION_HEADS, PRESETS, STAGE_NAMES, type BlockType, type CoAtNetConfig, type StageName } from '../model/config';
import type { PreprocessingSpec } from '../model/modelCard';
import { preprocess, type RgbaImage } from '../model/preprocess';
import { randomStateDict } from '../model/randomWeights';
import type { LoadedModel } from '../model/session';
import { useAppStore } from './store';

export const PRESET_NAMES = Object.keys(PRESETS);

/** Block types of s1..s4 the preset picker offers: the presets' own and one with attention from s2 on. */
export const LAYOUTS = {
  CCTT: ['C', 'C', 'T', 'T'],
  CTTT: ['C', 'T', 'T', 'T'],
} as const satisfies Record<string, readonly BlockType[]>;
export type Layout = keyof typeof LAYOUTS;

/** Input heights and widths the preset picker offers: multiples of 32, as five halvings need. */
export const PRESET_SIZES = [32, 64, 96, 128, 160, 192, 224, 256] as const;

/** Seed of the preset's random weights and of the random input image. */
export const RANDOM_SEED = 1;

/** Channels of each stage read back for thumbnails; the collapsed view shows the first few. */
export const DETAIL_CHANNELS = 32;

/**
 * Attention weights kept after a forward pass, in floats (heads * N^2 per block). A C,T,T,T
 * coatnet at 224 x 224 has 4.9 M per s2 block, so on large grids only some blocks are kept.
 */
export const ATTENTION_CAPTURE_FLOATS = 8 * 1024 * 1024;

/** ImageNet statistics for presets, which have no model card (torchvision's standard values). */
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

export interface PresetChoice {
  name: string;
  height: number;
  width: number;
  layout: Layout;
}

export type ModelSource =
  | { kind: 'current' }
  | { kind: 'preset'; choice: PresetChoice; config: CoAtNetConfig };

export type InputMode = 'image' | 'random';

export interface StageMeasurement {
  name: StageName;
  /** [H, W, C] read from the tensors of the forward pass. */
  inputShape: Shape3;
  outputShape: Shape3;
  thumbnails: FeatureMapThumbnails;
}

/** Attention weights [1, heads, N, N] of one block, copied out of the forward pass. */
export interface CapturedAttention {
  key: string;
  grid: [number, number];
  shape: [number, number, number, number];
  data: Float32Array;
}

export interface InputPreview {
  width: number;
  height: number;
  /** The network input as RGBA, min-max scaled over all channels. */
  rgba: Uint8ClampedArray;
}

export interface StageAnalysis {
  /** Model and input this analysis was computed for. */
  key: string;
  config: CoAtNetConfig;
  inputShape: Shape3;
  input: InputPreview;
  randomInput: boolean;
  stages: StageMeasurement[];
  logitsShape: number[];
  attention: CapturedAttention[];
  /** Transformer blocks whose attention was not kept, to stay within ATTENTION_CAPTURE_FLOATS. */
  skippedAttention: string[];
  backend: string;
  /** Forward pass plus read-back of every result, in milliseconds. */
  milliseconds: number;
}

export type RunState =
  | { status: 'idle' }
  | { status: 'building' }
  | { status: 'running' }
  | { status: 'done' }
  | { status: 'error'; message: string };

interface PresetModel {
  id: number;
  choice: PresetChoice;
  net: CoAtNet;
}

export interface VisualizerState {
  open: boolean;
  source: ModelSource;
  presetModel: PresetModel | null;
  inputMode: InputMode;
  run: RunState;
  analysis: StageAnalysis | null;
  selectedStage: StageName;
  attentionBlock: string | null;
  queryPoint: ImagePoint;
  attentionMap: AttentionForPosition | null;
}

const initialState: VisualizerState = {
  open: false,
  source: { kind: 'current' },
  presetModel: null,
  inputMode: 'image',
  run: { status: 'idle' },
  analysis: null,
  selectedStage: 's1',
  attentionBlock: null,
  queryPoint: { x: 0.5, y: 0.5 },
  attentionMap: null,
};

export const useVisualizerStore = create<VisualizerState>()(() => initialState);

const get = useVisualizerStore.getState;
const set = useVisualizerStore.setState;

export const selectVisualizerOpen = (state: VisualizerState): boolean => state.open;
export const selectSource = (state: VisualizerState): ModelSource => state.source;
export const selectPresetModelId = (state: VisualizerState): number | null => state.presetModel?.id ?? null;
export const selectInputMode = (state: VisualizerState): InputMode => state.inputMode;
export const selectRun = (state: VisualizerState): RunState => state.run;
export const selectAnalysis = (state: VisualizerState): StageAnalysis | null => state.analysis;
export const selectSelectedStage = (state: VisualizerState): StageName => state.selectedStage;
export const selectAttentionBlock = (state: VisualizerState): string | null => state.attentionBlock;
export const selectQueryPoint = (state: VisualizerState): ImagePoint => state.queryPoint;
export const selectAttentionMap = (state: VisualizerState): AttentionForPosition | null => state.attentionMap;

// Test hook for end-to-end tests that check that closing the view leaves no tensor behind.
// Only the Vite dev server, which the browser tests run on, installs it.
declare global {
  interface Window {
    __tfMemory?: () => tf.MemoryInfo;
  }
}
if (typeof window !== 'undefined' && import.meta.env.DEV) window.__tfMemory = () => tf.memory();

/** Return the config of a preset with the picker's input size and block layout applied. */
export function presetConfig(choice: PresetChoice): CoAtNetConfig {
  const base = PRESETS[choice.name];
  if (!base) throw new Error(`Preset "${choice.name}" does not exist; use one of ${PRESET_NAMES.join(', ')}`);
  return { ...base, imageSize: [choice.height, choice.width], blockTypes: [...LAYOUTS[choice.layout]] };
}

function sameChoice(a: PresetChoice, b: PresetChoice): boolean {
  return a.name === b.name && a.height === b.height && a.width === b.width && a.layout === b.layout;
}

/** Preprocessing for a preset: the image resized to the config's input, normalized with ImageNet statistics. */
export function presetPreprocessing(config: CoAtNetConfig): PreprocessingSpec {
  const rgb = config.inChannels === 3;
  return {
    size: [config.imageSize[0], config.imageSize[1]],
    resize: 'center-crop',
    interpolation: 'bilinear',
    channels: rgb ? 'rgb' : 'grayscale',
    scale: 1 / 255,
    mean: rgb ? IMAGENET_MEAN : [0.5],
    std: rgb ? IMAGENET_STD : [0.5],
  };
}

/** Opaque RGBA noise from a seeded xorshift32 generator, so the random input repeats across runs. */
export function randomRgbaImage(width: number, height: number, seed: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  let state = (seed >>> 0) || 1;
  for (let pixel = 0; pixel < width * height; pixel += 1) {
    for (let channel = 0; channel < 3; channel += 1) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      data[pixel * 4 + channel] = (state >>> 0) & 255;
    }
    data[pixel * 4 + 3] = 255;
  }
  return { data, width, height };
}

/** RGBA view of an NHWC input [1, H, W, C] with one min-max range for all channels. */
function inputPreview(nhwc: Float32Array, [height, width, channels]: Shape3): InputPreview {
  let min = Infinity;
  let max = -Infinity;
  for (const value of nhwc) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const range = max > min ? max - min : 1;
  const rgba = new Uint8ClampedArray(height * width * 4);
  for (let pixel = 0; pixel < height * width; pixel += 1) {
    for (let channel = 0; channel < 3; channel += 1) {
      const source = nhwc[pixel * channels + Math.min(channel, channels - 1)];
      rgba[pixel * 4 + channel] = Math.round((255 * (source - min)) / range);
    }
    rgba[pixel * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

/**
 * Split the Transformer blocks into those whose attention weights are kept and those skipped.
 * The first (downsampling) block of each stage comes first, then the rest in forward order,
 * while the total stays within ATTENTION_CAPTURE_FLOATS.
 */
export function attentionCapturePlan(config: CoAtNetConfig): { captured: string[]; skipped: string[] } {
  const keys = attentionBlockKeys(config);
  const priority = [...keys.filter((key) => key.endsWith('.0')), ...keys.filter((key) => !key.endsWith('.0'))];
  const kept = new Set<string>();
  let total = 0;
  for (const key of priority) {
    const [h, w] = attentionGrid(config, key);
    const floats = ATTENTION_HEADS * (h * w) ** 2;
    if (total + floats > ATTENTION_CAPTURE_FLOATS) continue;
    kept.add(key);
    total += floats;
  }
  return { captured: keys.filter((key) => kept.has(key)), skipped: keys.filter((key) => !kept.has(key)) };
}

/** A model and an input to analyse; `key` changes whenever either does. */
interface AnalysisTarget {
  key: string;
  net: CoAtNet;
  config: CoAtNetConfig;
  preprocessing: PreprocessingSpec;
  image: RgbaImage | null;
}

const objectIds = new WeakMap<object, number>();
let nextObjectId = 1;

function objectId(value: object): number {
  let id = objectIds.get(value);
  if (id === undefined) {
    id = nextObjectId;
    nextObjectId += 1;
    objectIds.set(value, id);
  }
  return id;
}

/** Return the classifier's model (the bundled one unless the user loaded another), or null while it is not ready. */
export function currentModel(): LoadedModel | null {
  const { model } = useAppStore.getState();
  return model.status === 'ready' ? model.model : null;
}

function currentTarget(): AnalysisTarget | null {
  const { open, source, presetModel, inputMode } = get();
  if (!open) return null;

  const appImage = useAppStore.getState().image;
  const image = inputMode === 'image' && appImage ? appImage : null;
  const inputKey = image ? `image#${image.id}` : 'random';

  if (source.kind === 'current') {
    const model = currentModel();
    if (!model) return null;
    return {
      key: `current#${objectId(model)}|${inputKey}`,
      net: model.net,
      config: model.card.config,
      preprocessing: model.card.preprocessing,
      image: image?.pixels ?? null,
    };
  }
  if (!presetModel || !sameChoice(presetModel.choice, source.choice)) return null;
  return {
    key: `preset#${presetModel.id}|${inputKey}`,
    net: presetModel.net,
    config: source.config,
    preprocessing: presetPreprocessing(source.config),
    image: image?.pixels ?? null,
  };
}

/** Let the browser paint the status before a long synchronous step (WASM and CPU run ops on the main thread). */
function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function readThumbnails(stages: Record<StageName, tf.Tensor4D>): Promise<Record<StageName, FeatureMapThumbnails>> {
  const thumbnails = {} as Record<StageName, FeatureMapThumbnails>;
  for (const name of STAGE_NAMES) {
    thumbnails[name] = await featureMapThumbnails(stages[name], 'first-n', DETAIL_CHANNELS);
  }
  return thumbnails;
}

async function readAttention(attention: Record<string, tf.Tensor4D>, config: CoAtNetConfig): Promise<CapturedAttention[]> {
  const captured: CapturedAttention[] = [];
  for (const [key, tensor] of Object.entries(attention)) {
    const [batch, heads, queries, keys] = tensor.shape;
    captured.push({
      key,
      grid: attentionGrid(config, key),
      shape: [batch, heads, queries, keys],
      data: (await tensor.data()) as Float32Array,
    });
  }
  return captured;
}

function disposeForwardResult(result: ForwardResult): void {
  tf.dispose([
    result.logits,
    ...Object.values(result.stages ?? {}),
    ...Object.values(result.attention ?? {}),
  ]);
}

function stageMeasurements(
  inputShape: Shape3, shapes: Record<StageName, Shape3>, thumbnails: Record<StageName, FeatureMapThumbnails>,
): StageMeasurement[] {
  let previous = inputShape;
  return STAGE_NAMES.map((name) => {
    const measurement = { name, inputShape: previous, outputShape: shapes[name], thumbnails: thumbnails[name] };
    previous = shapes[name];
    return measurement;
  });
}

/** Run one forward pass of `target` and read back shapes, thumbnails and attention weights. */
async function measureStages(target: AnalysisTarget): Promise<StageAnalysis> {
  const { config } = target;
  const [height, width] = config.imageSize;
  const inputShape: Shape3 = [height, width, config.inChannels];
  const pixels = target.image ?? randomRgbaImage(width, height, RANDOM_SEED);
  const inputData = preprocess(pixels, target.preprocessing);
  const plan = attentionCapturePlan(config);

  const started = performance.now();
  const input = tf.tensor4d(inputData, [1, height, width, config.inChannels]);
  let result: ForwardResult | null = null;
  try {
    result = target.net.forward(input, visualizerForwardOptions(config, plan.captured));
    const shapes = measuredStageShapes(result.stages!);
    const thumbnails = await readThumbnails(result.stages!);
    const attention = await readAttention(result.attention ?? {}, config);
    return {
      key: target.key,
      config,
      inputShape,
      input: inputPreview(inputData, inputShape),
      randomInput: target.image === null,
      stages: stageMeasurements(inputShape, shapes, thumbnails),
      logitsShape: [...result.logits.shape],
      attention,
      skippedAttention: plan.skipped,
      backend: tf.getBackend(),
      milliseconds: performance.now() - started,
    };
  } finally {
    input.dispose();
    if (result) disposeForwardResult(result);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Analysis runs one at a time; a change that arrives meanwhile is picked up when it ends. */
let running: Promise<void> | null = null;
let rerunRequested = false;
/** Key of the last target that failed, so an unchanged target is not retried in a loop. */
let failedKey: string | null = null;
/** Bumped on close and on every source change, so results of an older run are dropped. */
let generation = 0;

function defaultAttentionBlock(analysis: StageAnalysis, selectedStage: StageName): string | null {
  const inStage = analysis.attention.find((entry) => entry.key.startsWith(`${selectedStage}.`));
  return (inStage ?? analysis.attention[0])?.key ?? null;
}

async function analyse(target: AnalysisTarget): Promise<void> {
  const started = generation;
  set({ run: { status: 'running' } });
  await yieldToBrowser();
  try {
    const analysis = await measureStages(target);
    if (started !== generation) return;
    failedKey = null;
    set((state) => ({
      analysis,
      run: { status: 'done' },
      attentionBlock: analysis.attention.some((entry) => entry.key === state.attentionBlock)
        ? state.attentionBlock
        : defaultAttentionBlock(analysis, state.selectedStage),
    }));
    await refreshAttentionMap();
  } catch (error) {
    if (started !== generation) return;
    failedKey = target.key;
    set({ run: { status: 'error', message: errorMessage(error) } });
  }
}

/**
 * Analyse the current model and input unless the shown analysis already belongs to them.
 * Components call it when the view opens and whenever the model, the image or the input mode changes.
 */
export async function ensureAnalysis(): Promise<void> {
  if (running) {
    rerunRequested = true;
    return;
  }
  const target = currentTarget();
  if (!target || target.key === get().analysis?.key || target.key === failedKey) return;

  running = analyse(target);
  try {
    await running;
  } finally {
    running = null;
  }
  if (rerunRequested) {
    rerunRequested = false;
    await ensureAnalysis();
  }
}

/** Dispose a preset network once no forward pass uses it any more. */
function retirePresetModel(model: PresetModel | null): void {
  if (!model) return;
  if (running) void running.finally(() => model.net.dispose());
  else model.net.dispose();
}

export function openVisualizer(): void {
  set({ open: true });
}

/** Close the view: drop the results and dispose the preset network, leaving no tensor of the view behind. */
export function closeVisualizer(): void {
  generation += 1;
  failedKey = null;
  retirePresetModel(get().presetModel);
  set({ ...initialState, source: get().source, inputMode: get().inputMode });
}

/** Analyse the classifier's current model, or show a preset's architecture until buildPresetAndRun() is called. */
export function chooseSource(source: { kind: 'current' } | { kind: 'preset'; choice: PresetChoice }): void {
  const next: ModelSource = source.kind === 'current'
    ? source
    : { kind: 'preset', choice: { ...source.choice }, config: presetConfig(source.choice) };
  const { presetModel } = get();
  const keepPreset = next.kind === 'preset' && presetModel !== null && sameChoice(presetModel.choice, next.choice);

  generation += 1;
  failedKey = null;
  if (!keepPreset) retirePresetModel(presetModel);
  set({
    source: next,
    presetModel: keepPreset ? presetModel : null,
    run: { status: 'idle' },
    analysis: null,
    attentionBlock: null,
    attentionMap: null,
  });
}

let nextPresetId = 1;

/**
 * Build the chosen preset with seeded random weights, then analyse it.
 * NOTE: no browser test builds coatnet_3 or coatnet_4 (118 M and 204 M parameters). Their random
 * weights alone take 0.47 and 0.82 GB of JS memory before the upload, which a tab may not have.
 */
export async function buildPresetAndRun(): Promise<void> {
  const { source, presetModel, run } = get();
  if (source.kind !== 'preset' || run.status === 'building') return;
  if (presetModel && sameChoice(presetModel.choice, source.choice)) {
    await ensureAnalysis();
    return;
  }

  const started = generation;
  set({ run: { status: 'building' } });
  await yieldToBrowser();
  if (started !== generation) return;
  let net: CoAtNet;
  try {
    net = new CoAtNet(source.config, randomStateDict(source.config, RANDOM_SEED));
  } catch (error) {
    if (started === generation) set({ run: { status: 'error', message: errorMessage(error) } });
    return;
  }
  if (started !== generation) {
    net.dispose();
    return;
  }
  set({ presetModel: { id: nextPresetId, choice: { ...source.choice }, net } });
  nextPresetId += 1;
  await ensureAnalysis();
}

export function setInputMode(inputMode: InputMode): void {
  set({ inputMode });
}

export function selectStage(stage: StageName): void {
  const { analysis } = get();
  const block = analysis?.attention.find((entry) => entry.key.startsWith(`${stage}.`));
  set({ selectedStage: stage });
  if (block) void chooseAttentionBlock(block.key);
}

/** Read the attention row of the query point for the chosen block from the captured weights. */
async function refreshAttentionMap(): Promise<void> {
  const { analysis, attentionBlock, queryPoint } = get();
  const captured = analysis?.attention.find((entry) => entry.key === attentionBlock);
  if (!captured) {
    set({ attentionMap: null });
    return;
  }

  // attentionForPosition reads from a tensor, so the kept weights go back into one only for this read.
  const weights = tf.tensor4d(captured.data, captured.shape);
  try {
    const map = await attentionForPosition(weights, captured.grid, queryPoint);
    const now = get();
    if (now.analysis === analysis && now.attentionBlock === attentionBlock && now.queryPoint === queryPoint) {
      set({ attentionMap: map });
    }
  } finally {
    weights.dispose();
  }
}

export async function chooseAttentionBlock(key: string): Promise<void> {
  set({ attentionBlock: key });
  await refreshAttentionMap();
}

export async function chooseQueryPoint(point: ImagePoint): Promise<void> {
  set({ queryPoint: { x: Math.min(1, Math.max(0, point.x)), y: Math.min(1, Math.max(0, point.y)) } });
  await refreshAttentionMap();
}

/** Restore the initial state and dispose the preset network (used by tests). */
export function resetVisualizerStore(): void {
  generation += 1;
  failedKey = null;
  retirePresetModel(get().presetModel);
  set(initialState, true);
}
