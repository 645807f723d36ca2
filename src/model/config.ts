// CoAtNet architecture description and the shape arithmetic of the reference implementation.

export type BlockType = 'C' | 'T';

export const STAGE_NAMES = ['s0', 's1', 's2', 's3', 's4'] as const;
export type StageName = (typeof STAGE_NAMES)[number];

export interface CoAtNetConfig {
  /** Input [height, width]; both must be multiples of 32 (five stride-2 stages). */
  imageSize: [number, number];
  inChannels: number;
  /** Blocks per stage s0..s4. */
  numBlocks: [number, number, number, number, number];
  /** Output channels per stage s0..s4. */
  channels: [number, number, number, number, number];
  numClasses: number;
  /** Block type of s1..s4: 'C' = MBConv, 'T' = Transformer with relative attention. */
  blockTypes: [BlockType, BlockType, BlockType, BlockType];
}

/** Attention in the reference always uses 8 heads of 32 dimensions, whatever the width. */
export const ATTENTION_HEADS = 8;
export const ATTENTION_DIM_HEAD = 32;
export const MBCONV_EXPANSION = 4;
export const SE_EXPANSION = 0.25;
export const NORM_EPS = 1e-5;

const IMAGENET_224: [number, number] = [224, 224];
const DEFAULT_TYPES: CoAtNetConfig['blockTypes'] = ['C', 'C', 'T', 'T'];

export const PRESETS: Record<string, CoAtNetConfig> = {
  coatnet_0: {
    imageSize: IMAGENET_224, inChannels: 3, numClasses: 1000, blockTypes: DEFAULT_TYPES,
    numBlocks: [2, 2, 3, 5, 2], channels: [64, 96, 192, 384, 768],
  },
  coatnet_1: {
    imageSize: IMAGENET_224, inChannels: 3, numClasses: 1000, blockTypes: DEFAULT_TYPES,
    numBlocks: [2, 2, 6, 14, 2], channels: [64, 96, 192, 384, 768],
  },
  // The reference uses 1026 final channels here, where the CoAtNet paper (Dai et al., 2021) has 1024.
  coatnet_2: {
    imageSize: IMAGENET_224, inChannels: 3, numClasses: 1000, blockTypes: DEFAULT_TYPES,
    numBlocks: [2, 2, 6, 14, 2], channels: [128, 128, 256, 512, 1026],
  },
  coatnet_3: {
    imageSize: IMAGENET_224, inChannels: 3, numClasses: 1000, blockTypes: DEFAULT_TYPES,
    numBlocks: [2, 2, 6, 14, 2], channels: [192, 192, 384, 768, 1536],
  },
  coatnet_4: {
    imageSize: IMAGENET_224, inChannels: 3, numClasses: 1000, blockTypes: DEFAULT_TYPES,
    numBlocks: [2, 2, 12, 28, 2], channels: [192, 192, 384, 768, 1536],
  },
};

/** Throw one error that lists every invalid field of `config`, with the fix. */
export function validateConfig(config: CoAtNetConfig): void {
  const problems: string[] = [];
  const [h, w] = config.imageSize ?? [];
  if (!Array.isArray(config.imageSize) || config.imageSize.length !== 2) {
    problems.push(`imageSize ${JSON.stringify(config.imageSize)} is invalid: use [height, width]`);
  }
  for (const [axis, value] of [['height', h], ['width', w]] as const) {
    if (!Number.isInteger(value) || value < 32 || value % 32 !== 0) {
      problems.push(`image ${axis} ${value} is invalid: use a multiple of 32 (32, 64, ..., 224)`);
    }
  }
  if (!Number.isInteger(config.inChannels) || config.inChannels < 1) {
    problems.push(`inChannels ${config.inChannels} is invalid: use 1 (grayscale) or 3 (RGB)`);
  }
  if (!Array.isArray(config.numBlocks) || config.numBlocks.length !== 5
      || config.numBlocks.some((n) => !Number.isInteger(n) || n < 1)) {
    problems.push(`numBlocks ${JSON.stringify(config.numBlocks)} is invalid: use 5 integers >= 1`);
  }
  if (!Array.isArray(config.channels) || config.channels.length !== 5
      || config.channels.some((n) => !Number.isInteger(n) || n < 1)) {
    problems.push(`channels ${JSON.stringify(config.channels)} is invalid: use 5 integers >= 1`);
  }
  if (!Number.isInteger(config.numClasses) || config.numClasses < 1) {
    problems.push(`numClasses ${config.numClasses} is invalid: use an integer >= 1`);
  }
  if (!Array.isArray(config.blockTypes) || config.blockTypes.length !== 4
      || config.blockTypes.some((t) => t !== 'C' && t !== 'T')) {
    problems.push(`blockTypes ${JSON.stringify(config.blockTypes)} is invalid: use 4 of 'C' or 'T'`);
  }
  if (problems.length > 0) {
    throw new Error(`Invalid CoAtNet config:\n- ${problems.join('\n- ')}`);
  }
}

/**
 * Return the grid the reference gives stage `stageIndex` (0..4): image size // 2^(index+1).
 * Transformer blocks size their relative-position tables from it.
 */
export function stageGrid(config: CoAtNetConfig, stageIndex: number): [number, number] {
  const factor = 2 ** (stageIndex + 1);
  return [Math.floor(config.imageSize[0] / factor), Math.floor(config.imageSize[1] / factor)];
}

/** Output shape [H, W, C] (NHWC without the batch) of every stage, from the config alone. */
export function stageOutputShapes(config: CoAtNetConfig): Record<StageName, [number, number, number]> {
  const shapes = {} as Record<StageName, [number, number, number]>;
  STAGE_NAMES.forEach((name, index) => {
    const [h, w] = stageGrid(config, index);
    shapes[name] = [h, w, config.channels[index]];
  });
  return shapes;
}

/** Input channels of stage `stageIndex`: the image for s0, else the previous stage's width. */
export function stageInputChannels(config: CoAtNetConfig, stageIndex: number): number {
  return stageIndex === 0 ? config.inChannels : config.channels[stageIndex - 1];
}

export function stageBlockType(config: CoAtNetConfig, stageIndex: number): 'stem' | BlockType {
  return stageIndex === 0 ? 'stem' : config.blockTypes[stageIndex - 1];
}
