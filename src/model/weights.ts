// Conversion of PyTorch-layout weights (OIHW kernels, [out, in] linears) to TF.js layouts,
// done once at load so the forward pass never transposes a weight.

import * as tf from '@tensorflow/tfjs-core';

import { ATTENTION_HEADS, NORM_EPS, STAGE_NAMES, stageGrid, type CoAtNetConfig } from './config';
import { relativeIndex } from './stateDict';
import { floatData, type RawTensorMap } from './tensors';
import { validateWeights } from './validate';

/** Eval-mode BatchNorm folded into y = x * scale + shift, per channel. */
export interface BatchNorm {
  scale: tf.Tensor1D;
  shift: tf.Tensor1D;
}

export interface LayerNorm {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}

export interface Linear {
  /** [in, out]: the transpose of PyTorch's [out, in]. */
  weightInOut: tf.Tensor2D;
  bias?: tf.Tensor1D;
}

export interface StemBlockWeights {
  kind: 'stem';
  key: string;
  stride: 1 | 2;
  convHWIO: tf.Tensor4D;
  bn: BatchNorm;
}

export interface MBConvBlockWeights {
  kind: 'C';
  key: string;
  downsample: boolean;
  /** Shortcut 1x1 convolution after MaxPool(3, 2, 1); only in the downsampling block. */
  projHWIO?: tf.Tensor4D;
  preNorm: BatchNorm;
  expandHWIO: tf.Tensor4D;
  expandBn: BatchNorm;
  depthwiseHWC1: tf.Tensor4D;
  depthwiseBn: BatchNorm;
  seReduce: Linear;
  seExpand: Linear;
  projectHWIO: tf.Tensor4D;
  projectBn: BatchNorm;
}

export interface TransformerBlockWeights {
  kind: 'T';
  key: string;
  downsample: boolean;
  grid: [number, number];
  projHWIO?: tf.Tensor4D;
  attnNorm: LayerNorm;
  qkv: Linear;
  /** Relative-position bias gathered from the table once: [heads, tokens, tokens]. */
  relativeBias: tf.Tensor3D;
  out: Linear;
  ffNorm: LayerNorm;
  ff1: Linear;
  ff2: Linear;
}

export type BlockWeights = StemBlockWeights | MBConvBlockWeights | TransformerBlockWeights;

export interface CoAtNetWeights {
  stages: BlockWeights[][];
  fc: Linear;
}

/** Keeps every tensor it creates so the whole model can be disposed at once. */
class Converter {
  readonly created: tf.Tensor[] = [];

  constructor(private readonly raw: RawTensorMap) {}

  private keep<T extends tf.Tensor>(tensor: T): T {
    this.created.push(tensor);
    return tensor;
  }

  private data(key: string): { values: Float32Array; shape: number[] } {
    const tensor = this.raw.get(key);
    if (!tensor) throw new Error(`Weight "${key}" is missing`);
    return { values: floatData(key, tensor), shape: tensor.shape };
  }

  vector(key: string): tf.Tensor1D {
    return this.keep(tf.tensor1d(this.data(key).values));
  }

  /** PyTorch conv kernel OIHW -> TF.js conv2d filter HWIO. */
  convHWIO(key: string): tf.Tensor4D {
    const { values, shape } = this.data(key);
    return this.keep(tf.tidy(() => tf.transpose(tf.tensor4d(values, shape as [number, number, number, number]), [2, 3, 1, 0])));
  }

  /** PyTorch depthwise kernel [C, 1, kh, kw] -> TF.js depthwiseConv2d filter [kh, kw, C, 1]. */
  depthwiseHWC1(key: string): tf.Tensor4D {
    const { values, shape } = this.data(key);
    return this.keep(tf.tidy(() => tf.transpose(tf.tensor4d(values, shape as [number, number, number, number]), [2, 3, 0, 1])));
  }

  /** PyTorch Linear [out, in] (+ bias) -> weight [in, out]. */
  linear(prefix: string, withBias: boolean): Linear {
    const { values, shape } = this.data(`${prefix}.weight`);
    const weightInOut = this.keep(tf.tidy(() => tf.transpose(tf.tensor2d(values, shape as [number, number]))));
    return withBias ? { weightInOut, bias: this.vector(`${prefix}.bias`) } : { weightInOut };
  }

  batchNorm(prefix: string): BatchNorm {
    const gamma = this.data(`${prefix}.weight`).values;
    const beta = this.data(`${prefix}.bias`).values;
    const mean = this.data(`${prefix}.running_mean`).values;
    const variance = this.data(`${prefix}.running_var`).values;
    const scale = new Float32Array(gamma.length);
    const shift = new Float32Array(gamma.length);
    for (let c = 0; c < gamma.length; c += 1) {
      scale[c] = gamma[c] / Math.sqrt(variance[c] + NORM_EPS);
      shift[c] = beta[c] - mean[c] * scale[c];
    }
    return { scale: this.keep(tf.tensor1d(scale)), shift: this.keep(tf.tensor1d(shift)) };
  }

  layerNorm(prefix: string): LayerNorm {
    return { gamma: this.vector(`${prefix}.weight`), beta: this.vector(`${prefix}.bias`) };
  }

  /** Gather table[(2h-1)(2w-1), heads] with the reference's relative_index into [heads, N, N]. */
  relativeBias(key: string, grid: [number, number]): tf.Tensor3D {
    const table = this.data(key).values;
    const index = relativeIndex(grid);
    const tokens = grid[0] * grid[1];
    const bias = new Float32Array(ATTENTION_HEADS * tokens * tokens);
    for (let head = 0; head < ATTENTION_HEADS; head += 1) {
      for (let pair = 0; pair < tokens * tokens; pair += 1) {
        bias[head * tokens * tokens + pair] = table[index[pair] * ATTENTION_HEADS + head];
      }
    }
    return this.keep(tf.tensor3d(bias, [ATTENTION_HEADS, tokens, tokens]));
  }
}

function stemBlock(convert: Converter, key: string, downsample: boolean): StemBlockWeights {
  return { kind: 'stem', key, stride: downsample ? 2 : 1, convHWIO: convert.convHWIO(`${key}.0.weight`), bn: convert.batchNorm(`${key}.1`) };
}

function mbconvBlock(convert: Converter, key: string, downsample: boolean): MBConvBlockWeights {
  return {
    kind: 'C',
    key,
    downsample,
    projHWIO: downsample ? convert.convHWIO(`${key}.proj.weight`) : undefined,
    preNorm: convert.batchNorm(`${key}.conv.norm`),
    expandHWIO: convert.convHWIO(`${key}.conv.fn.0.weight`),
    expandBn: convert.batchNorm(`${key}.conv.fn.1`),
    depthwiseHWC1: convert.depthwiseHWC1(`${key}.conv.fn.3.weight`),
    depthwiseBn: convert.batchNorm(`${key}.conv.fn.4`),
    seReduce: convert.linear(`${key}.conv.fn.6.fc.0`, false),
    seExpand: convert.linear(`${key}.conv.fn.6.fc.2`, false),
    projectHWIO: convert.convHWIO(`${key}.conv.fn.7.weight`),
    projectBn: convert.batchNorm(`${key}.conv.fn.8`),
  };
}

function transformerBlock(convert: Converter, key: string, downsample: boolean, grid: [number, number]): TransformerBlockWeights {
  return {
    kind: 'T',
    key,
    downsample,
    grid,
    projHWIO: downsample ? convert.convHWIO(`${key}.proj.weight`) : undefined,
    attnNorm: convert.layerNorm(`${key}.attn.1.norm`),
    qkv: convert.linear(`${key}.attn.1.fn.to_qkv`, false),
    relativeBias: convert.relativeBias(`${key}.attn.1.fn.relative_bias_table`, grid),
    out: convert.linear(`${key}.attn.1.fn.to_out.0`, true),
    ffNorm: convert.layerNorm(`${key}.ff.1.norm`),
    ff1: convert.linear(`${key}.ff.1.fn.net.0`, true),
    ff2: convert.linear(`${key}.ff.1.fn.net.3`, true),
  };
}

/**
 * Validate `raw` against `config` (throws WeightValidationError listing every problem), then
 * build the TF.js weights. Returns the weights and every tensor created, for disposal.
 */
export function convertWeights(config: CoAtNetConfig, raw: RawTensorMap): { weights: CoAtNetWeights; tensors: tf.Tensor[] } {
  validateWeights(config, raw);
  const convert = new Converter(raw);
  try {
    const stages = STAGE_NAMES.map((stage, stageIndex) => {
      const blocks: BlockWeights[] = [];
      for (let block = 0; block < config.numBlocks[stageIndex]; block += 1) {
        const key = `${stage}.${block}`;
        const downsample = block === 0;
        if (stageIndex === 0) {
          blocks.push(stemBlock(convert, key, downsample));
        } else if (config.blockTypes[stageIndex - 1] === 'C') {
          blocks.push(mbconvBlock(convert, key, downsample));
        } else {
          blocks.push(transformerBlock(convert, key, downsample, stageGrid(config, stageIndex)));
        }
      }
      return blocks;
    });
    const fc = convert.linear('fc', false);
    return { weights: { stages, fc }, tensors: convert.created };
  } catch (error) {
    tf.dispose(convert.created);
    throw error;
  }
}
