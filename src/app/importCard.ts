// The model card of an imported checkpoint: the preprocessing the user chose, class names from
// a labels file or numbered defaults, and the inferred config. Framework-free.

import type { CoAtNetConfig } from '../model/config';
import { parseModelCard, type ModelCard, type PreprocessingSpec, type ResizeMode } from '../model/modelCard';
import type { RawTensorMap } from '../model/tensors';

export const RESIZE_MODES: readonly ResizeMode[] = ['stretch', 'center-crop', 'letterbox'];

export type NormalizationPreset = 'imagenet' | 'half' | 'none' | 'custom';

export const NORMALIZATION_PRESETS: readonly NormalizationPreset[] = ['imagenet', 'half', 'none', 'custom'];

/** torchvision's ImageNet statistics of RGB pixels in [0, 1], as in its pretrained-model transforms. */
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

/** Largest side offered in the custom size field; coatnet_0 at 224 is already slow on software GPUs. */
export const MAX_IMAGE_SIDE = 1024;

export interface Normalization {
  mean: number[];
  std: number[];
}

/**
 * Mean and std of a preset for 1 (grayscale) or 3 (RGB) channels, or null where the preset
 * does not exist: ImageNet statistics are per RGB channel, so grayscale has no ImageNet preset.
 */
export function presetNormalization(preset: Exclude<NormalizationPreset, 'custom'>, channels: number): Normalization | null {
  const repeat = (value: number) => Array.from({ length: channels }, () => value);
  switch (preset) {
    case 'imagenet':
      return channels === 3 ? { mean: [...IMAGENET_MEAN], std: [...IMAGENET_STD] } : null;
    case 'half':
      return { mean: repeat(0.5), std: repeat(0.5) };
    case 'none':
      return { mean: repeat(0), std: repeat(1) };
  }
}

/** List the presets offered for a model with `channels` input channels. */
export function availablePresets(channels: number): NormalizationPreset[] {
  return NORMALIZATION_PRESETS.filter((preset) => preset === 'custom' || presetNormalization(preset, channels) !== null);
}

/** Return the image channels a model with `inChannels` takes, or null when no image format gives that many. */
export function imageChannelsFor(inChannels: number): PreprocessingSpec['channels'] | null {
  if (inChannels === 1) return 'grayscale';
  if (inChannels === 3) return 'rgb';
  return null;
}

/**
 * Check a custom input size: both sides multiples of 32 (the five stride-2 stages halve it five
 * times) from 32 to MAX_IMAGE_SIDE. Returns the invalid side's value, or null when both are valid.
 */
export function invalidImageSide(size: readonly [number, number]): number | null {
  for (const side of size) {
    if (!Number.isInteger(side) || side < 32 || side > MAX_IMAGE_SIDE || side % 32 !== 0) return side;
  }
  return null;
}

/**
 * Check custom mean/std values. Returns a description of the first invalid value, or null.
 * Mean may be any finite number; std must be positive because the input is divided by it.
 */
export function invalidNormalization(normalization: Normalization): { field: 'mean' | 'std'; index: number; value: number } | null {
  for (const field of ['mean', 'std'] as const) {
    const values = normalization[field];
    for (let index = 0; index < values.length; index += 1) {
      const value = values[index];
      const valid = Number.isFinite(value) && (field === 'mean' || value > 0);
      if (!valid) return { field, index, value };
    }
  }
  return null;
}

/** BatchNorm running statistics are buffers, not parameters, in PyTorch's count. */
const BUFFER_SUFFIXES = ['.running_mean', '.running_var'];

/**
 * Count the trainable parameters as PyTorch's sum(p.numel() for p in model.parameters()) does:
 * floating-point tensors except BatchNorm running statistics. Integer buffers (relative_index,
 * num_batches_tracked) are not parameters either.
 */
export function countParameters(tensors: RawTensorMap): number {
  let count = 0;
  for (const [name, tensor] of tensors) {
    const isBuffer = BUFFER_SUFFIXES.some((suffix) => name.endsWith(suffix));
    if (tensor.data instanceof Float32Array && !isBuffer) count += tensor.data.length;
  }
  return count;
}

/** Class names for each UI language: the labels file's names in both, or numbered defaults. */
export function classNames(
  labels: readonly string[] | null, numClasses: number, defaultName: Record<'en' | 'ja', (index: number) => string>,
): ModelCard['labels'] {
  if (labels !== null) return { en: [...labels], ja: [...labels] };
  const numbered = (language: 'en' | 'ja') => Array.from({ length: numClasses }, (_, index) => defaultName[language](index));
  return { en: numbered('en'), ja: numbered('ja') };
}

export interface ImportedCardRequest {
  name: string;
  /** The checkpoint file the weights came from, named in errors. */
  fileName: string;
  config: CoAtNetConfig;
  resize: ResizeMode;
  normalization: Normalization;
  labels: ModelCard['labels'];
  description: ModelCard['description'];
  parameterCount: number;
}

/** The weights file name recorded in imported cards; the weights themselves live in IndexedDB. */
export const IMPORTED_WEIGHTS_NAME = 'weights.safetensors';

/** Build the card of an imported model and check it like a card read from the server. */
export function buildImportedCard(request: ImportedCardRequest): ModelCard {
  const channels = imageChannelsFor(request.config.inChannels);
  if (channels === null) {
    throw new Error(`The model takes ${request.config.inChannels} input channels, but images give 1 (grayscale) or 3 (RGB)`);
  }
  const card: ModelCard = {
    name: request.name,
    description: request.description,
    config: request.config,
    weights: IMPORTED_WEIGHTS_NAME,
    preprocessing: {
      size: [request.config.imageSize[0], request.config.imageSize[1]],
      resize: request.resize,
      interpolation: 'bilinear',
      channels,
      scale: 1 / 255,
      mean: [...request.normalization.mean],
      std: [...request.normalization.std],
    },
    labels: request.labels,
    parameterCount: request.parameterCount,
  };
  return parseModelCard(card, request.fileName);
}
