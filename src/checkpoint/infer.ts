// Inference of the CoAtNet config from a state_dict's keys and shapes alone.

import {
  STAGE_NAMES, validateConfig, type BlockType, type CoAtNetConfig,
} from '../model/config';
import { relativeIndex } from '../model/stateDict';
import { shapeToString, type RawTensor, type RawTensorMap } from '../model/tensors';
import { validateWeights } from '../model/validate';
import { CheckpointError } from './errors';

/** Sizes to offer when the weights do not fix the input size (no Transformer stage). */
export const COMMON_IMAGE_SIZES: ReadonlyArray<[number, number]> = [[224, 224], [128, 128], [96, 96], [64, 64], [32, 32]];

/** Typical keys of the supported CoAtNet, listed when a file does not have them. */
export const EXPECTED_KEY_EXAMPLES = [
  's0.0.0.weight', 's0.0.1.weight', 's0.0.1.running_mean', 's1.0.proj.weight', 's1.0.conv.norm.weight',
  's1.0.conv.fn.0.weight', 's3.0.attn.1.fn.relative_bias_table', 's3.0.attn.1.fn.to_qkv.weight',
  's3.0.ff.1.fn.net.0.weight', 'fc.weight',
];

/** Evidence that `imageSize` comes from. */
export type ImageSizeSource =
  /** The relative_index buffers fixed the grid, non-square grids included. */
  | 'relative-index'
  /** The relative_bias_table row counts of the Transformer stages allow exactly one size. */
  | 'bias-table'
  /** Several sizes fit the tables (they cannot tell h x w from w x h); the square one was taken. */
  | 'assumed-square'
  /** No Transformer stage, or several non-square sizes fit: the user has to choose. */
  | 'unknown';

export interface ArchitectureInference {
  inChannels: number;
  numBlocks: CoAtNetConfig['numBlocks'];
  channels: CoAtNetConfig['channels'];
  numClasses: number;
  blockTypes: CoAtNetConfig['blockTypes'];
  /** [height, width], or null when the weights do not determine it. */
  imageSize: [number, number] | null;
  imageSizeSource: ImageSizeSource;
  /**
   * Sizes to offer the user: the sizes consistent with the tables when there is more than one,
   * COMMON_IMAGE_SIZES when there is no Transformer stage, otherwise empty.
   */
  suggestedSizes: Array<[number, number]>;
}

const STAGE_KEY = /^s([0-4])\.(\d+)\./;

function listSome(names: readonly string[], count = 6): string {
  return names.slice(0, count).join(', ') + (names.length > count ? `, ... (${names.length} keys)` : '');
}

/** Reject weights of another network, naming the family when the keys give it away. */
function checkKeyLayout(names: string[], fileName: string): void {
  const hasStages = names.some((name) => STAGE_KEY.test(name));
  if (hasStages && names.includes('s0.0.0.weight') && names.includes('fc.weight')) return;

  const expected = `This app runs the CoAtNet of chinhsuanwu/coatnet-pytorch, whose weights have keys such as ${EXPECTED_KEY_EXAMPLES.join(', ')}.`;
  const found = `Keys found: ${listSome(names)}.`;
  const isTimm = names.some((name) => name.startsWith('stem.')) && names.some((name) => name.startsWith('stages.'));
  if (isTimm) {
    throw new CheckpointError('foreign-architecture', `${fileName} contains weights of another CoAtNet implementation `
      + `(keys stem.*, stages.*, as in timm's CoAtNet and MaxViT models), which has different layers. ${expected} ${found} `
      + 'Train or export the model with that implementation; the file was not loaded.');
  }
  throw new CheckpointError('unrecognized-architecture', `${fileName} does not contain CoAtNet weights of the supported `
    + `implementation: s0.0.0.weight, fc.weight or the stage keys s0.* to s4.* are missing. ${expected} ${found}`);
}

function tensorOrThrow(tensors: RawTensorMap, key: string, fileName: string, rank: number): RawTensor {
  const tensor = tensors.get(key);
  if (tensor === undefined) {
    throw new CheckpointError('unrecognized-architecture', `${fileName}: ${key} is missing, so the architecture cannot be inferred.`);
  }
  if (tensor.shape.length !== rank) {
    throw new CheckpointError('unrecognized-architecture', `${fileName}: ${key} has shape ${shapeToString(tensor.shape)}, `
      + `where a ${rank}-dimensional tensor is expected.`);
  }
  return tensor;
}

function countBlocks(names: string[]): number[] {
  const counts = [0, 0, 0, 0, 0];
  for (const name of names) {
    const match = STAGE_KEY.exec(name);
    if (match) counts[Number(match[1])] = Math.max(counts[Number(match[1])], Number(match[2]) + 1);
  }
  return counts;
}

function stageBlockType(names: string[], stage: number, fileName: string): BlockType {
  const isMBConv = names.some((name) => name.startsWith(`s${stage}.0.conv.`));
  const isTransformer = names.some((name) => name.startsWith(`s${stage}.0.attn.`));
  if (isMBConv !== isTransformer) return isMBConv ? 'C' : 'T';
  throw new CheckpointError('unrecognized-architecture', `${fileName}: the first block of stage s${stage} has `
    + (isMBConv ? 'both MBConv (conv.*) and Transformer (attn.*) keys' : 'neither MBConv (s1.0.conv.*) nor Transformer (s1.0.attn.*) keys')
    + `, so its block type cannot be inferred. Keys of s${stage}.0: ${listSome(names.filter((name) => name.startsWith(`s${stage}.0.`)))}.`);
}

/** Output channels of stage s1..s4, from the downsampling block's shortcut or output layer. */
function stageChannels(tensors: RawTensorMap, stage: number, type: BlockType, fileName: string): number {
  const outputKey = type === 'C' ? `s${stage}.0.conv.fn.7.weight` : `s${stage}.0.attn.1.fn.to_out.0.weight`;
  const key = tensors.has(`s${stage}.0.proj.weight`) ? `s${stage}.0.proj.weight` : outputKey;
  const rank = key === outputKey && type === 'T' ? 2 : 4;
  return tensorOrThrow(tensors, key, fileName, rank).shape[0];
}

/** List every grid [h, w] with (2h - 1) * (2w - 1) = rows, the row count of a relative_bias_table. */
export function gridsForTableRows(rows: number): Array<[number, number]> {
  const grids: Array<[number, number]> = [];
  for (let a = 1; a <= rows; a += 2) {
    if (rows % a === 0 && (rows / a) % 2 === 1) grids.push([(a + 1) / 2, (rows / a + 1) / 2]);
  }
  return grids;
}

function matchesRelativeIndex(index: RawTensor, grid: [number, number]): boolean {
  const expected = relativeIndex(grid);
  if (index.data.length !== expected.length) return false;
  for (let i = 0; i < expected.length; i += 1) {
    if (Number(index.data[i]) !== expected[i]) return false;
  }
  return true;
}

/** Image sizes that stage `stage`'s table (and relative_index, when present) allow. */
function stageImageSizes(tensors: RawTensorMap, stage: number, fileName: string): { sizes: Array<[number, number]>; byIndex: boolean } {
  const table = tensorOrThrow(tensors, `s${stage}.0.attn.1.fn.relative_bias_table`, fileName, 2);
  let grids = gridsForTableRows(table.shape[0]);
  const index = tensors.get(`s${stage}.0.attn.1.fn.relative_index`);
  let byIndex = false;
  if (index !== undefined) {
    const sameTokens = grids.filter(([h, w]) => (h * w) ** 2 === index.data.length);
    // The index values distinguish h x w from w x h. When they match neither, validation reports it.
    const sameContent = sameTokens.filter((grid) => matchesRelativeIndex(index, grid));
    grids = sameContent.length > 0 ? sameContent : sameTokens;
    byIndex = sameContent.length === 1;
  }
  const scale = 2 ** (stage + 1);
  return { sizes: grids.map(([h, w]) => [h * scale, w * scale]), byIndex };
}

function inferImageSize(tensors: RawTensorMap, blockTypes: BlockType[], fileName: string):
  Pick<ArchitectureInference, 'imageSize' | 'imageSizeSource' | 'suggestedSizes'> {
  const transformerStages = blockTypes.flatMap((type, i) => (type === 'T' ? [i + 1] : []));
  if (transformerStages.length === 0) {
    return { imageSize: null, imageSizeSource: 'unknown', suggestedSizes: COMMON_IMAGE_SIZES.map(([h, w]) => [h, w]) };
  }

  let candidates: Array<[number, number]> | null = null;
  let byIndex = false;
  const perStage: string[] = [];
  for (const stage of transformerStages) {
    const found = stageImageSizes(tensors, stage, fileName);
    byIndex ||= found.byIndex;
    perStage.push(`s${stage}: ${found.sizes.map(([h, w]) => `${h}x${w}`).join(' or ') || 'none'}`);
    candidates = candidates === null ? found.sizes
      : candidates.filter(([h, w]) => found.sizes.some(([h2, w2]) => h === h2 && w === w2));
  }

  if (candidates!.length === 0) {
    throw new CheckpointError('image-size', `${fileName}: the relative-position tables of the Transformer stages fit no `
      + `common input size (${perStage.join('; ')}). The stages come from models of different input sizes; `
      + 'export the weights of a single model.');
  }
  if (candidates!.length === 1) {
    return { imageSize: candidates![0], imageSizeSource: byIndex ? 'relative-index' : 'bias-table', suggestedSizes: [] };
  }
  const square = candidates!.find(([h, w]) => h === w);
  if (square !== undefined) return { imageSize: square, imageSizeSource: 'assumed-square', suggestedSizes: candidates! };
  return { imageSize: null, imageSizeSource: 'unknown', suggestedSizes: candidates! };
}

/**
 * Infer the CoAtNet architecture from weights with the reference key names. Throws a
 * CheckpointError for weights of another family ('foreign-architecture') or layout.
 */
export function inferArchitecture(tensors: RawTensorMap, fileName: string): ArchitectureInference {
  const names = [...tensors.keys()];
  checkKeyLayout(names, fileName);

  const numBlocks = countBlocks(names);
  const emptyStage = numBlocks.findIndex((count) => count === 0);
  if (emptyStage >= 0) {
    throw new CheckpointError('unrecognized-architecture', `${fileName}: stage ${STAGE_NAMES[emptyStage]} has no weights `
      + `(no key starts with ${STAGE_NAMES[emptyStage]}.0.), but the CoAtNet has five stages s0 to s4.`);
  }

  const stem = tensorOrThrow(tensors, 's0.0.0.weight', fileName, 4);
  const blockTypes = [1, 2, 3, 4].map((stage) => stageBlockType(names, stage, fileName));
  const channels = [stem.shape[0], ...[1, 2, 3, 4].map((stage) => stageChannels(tensors, stage, blockTypes[stage - 1], fileName))];
  const fc = tensorOrThrow(tensors, 'fc.weight', fileName, 2);

  return {
    inChannels: stem.shape[1],
    numBlocks: numBlocks as CoAtNetConfig['numBlocks'],
    channels: channels as CoAtNetConfig['channels'],
    numClasses: fc.shape[0],
    blockTypes: blockTypes as CoAtNetConfig['blockTypes'],
    ...inferImageSize(tensors, blockTypes, fileName),
  };
}

/**
 * Build the config for `architecture` at `imageSize` (the inferred size when omitted), and check
 * that the config is valid and that the weights match it key by key.
 */
export function configForWeights(
  architecture: ArchitectureInference, tensors: RawTensorMap, imageSize?: [number, number],
): CoAtNetConfig {
  const size = imageSize ?? architecture.imageSize;
  if (size === null) {
    throw new CheckpointError('image-size', 'The weights do not determine the input size (no Transformer stage, or '
      + `several non-square sizes fit); choose one of ${architecture.suggestedSizes.map(([h, w]) => `${h}x${w}`).join(', ')}.`);
  }
  const config: CoAtNetConfig = {
    imageSize: [size[0], size[1]],
    inChannels: architecture.inChannels,
    numBlocks: architecture.numBlocks,
    channels: architecture.channels,
    numClasses: architecture.numClasses,
    blockTypes: architecture.blockTypes,
  };
  validateConfig(config);
  validateWeights(config, tensors);
  return config;
}
