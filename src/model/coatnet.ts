// CoAtNet forward pass in TF.js, NHWC throughout, equal to the reference PyTorch model in eval mode.
//
// Where this port differs from the reference (every other step reproduces it, quirks included):
// - Final pooling: the reference applies AvgPool2d(ih // 32, 1) and then view(-1, C). That is a
//   global average only for square inputs; for ih != iw it leaves several positions per image
//   and silently enlarges the batch. This port takes the mean over all of s4's H and W, which is
//   what the reference computes for every square input.
// - BatchNorm runs in eval mode only, folded into a per-channel scale and shift at load.
// - Dropout is absent (the reference uses p = 0, and eval mode disables it anyway).

import * as tf from '@tensorflow/tfjs-core';

import { ATTENTION_DIM_HEAD, ATTENTION_HEADS, NORM_EPS, STAGE_NAMES, validateConfig, type CoAtNetConfig, type StageName } from './config';
import type { RawTensorMap } from './tensors';
import {
  convertWeights, type BatchNorm, type CoAtNetWeights, type LayerNorm, type Linear,
  type MBConvBlockWeights, type StemBlockWeights, type TransformerBlockWeights,
} from './weights';

export interface ForwardOptions {
  /** Also return every stage's output (NHWC). */
  stages?: boolean;
  /** Block keys such as "s3.0" whose attention weights [batch, heads, N, N] to return. */
  attentionBlocks?: string[];
}

export interface ForwardResult {
  logits: tf.Tensor2D;
  stages?: Record<StageName, tf.Tensor4D>;
  attention?: Record<string, tf.Tensor4D>;
}

const SQRT_HALF = Math.SQRT1_2;

/** Exact GELU, 0.5 x (1 + erf(x / sqrt 2)), as torch.nn.GELU() with its default approximate='none'. */
function gelu<T extends tf.Tensor>(x: T): T {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, SQRT_HALF)))) as T;
}

function batchNorm<T extends tf.Tensor>(x: T, bn: BatchNorm): T {
  return tf.add(tf.mul(x, bn.scale), bn.shift) as T;
}

/** LayerNorm over the last axis (channels), biased variance, as torch.nn.LayerNorm. */
function layerNorm<T extends tf.Tensor>(x: T, ln: LayerNorm): T {
  const { mean, variance } = tf.moments(x, -1, true);
  const normalized = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, NORM_EPS)));
  return tf.add(tf.mul(normalized, ln.gamma), ln.beta) as T;
}

/** y = x W + b for x of any rank, applied to the last axis. */
function linear(x: tf.Tensor, layer: Linear): tf.Tensor {
  const shape = x.shape;
  const flat = tf.reshape(x, [-1, shape[shape.length - 1]]) as tf.Tensor2D;
  let y: tf.Tensor = tf.matMul(flat, layer.weightInOut);
  if (layer.bias) y = tf.add(y, layer.bias);
  return tf.reshape(y, [...shape.slice(0, -1), layer.weightInOut.shape[1]]);
}

/** MaxPool2d(3, 2, 1): padded positions never win, as with PyTorch's -inf padding. */
function maxPoolDownsample(xNHWC: tf.Tensor4D): tf.Tensor4D {
  return tf.maxPool(xNHWC, 3, 2, 1);
}

function conv1x1(xNHWC: tf.Tensor4D, filterHWIO: tf.Tensor4D, stride: 1 | 2 = 1): tf.Tensor4D {
  return tf.conv2d(xNHWC, filterHWIO, stride, 'valid');
}

function stemBlock(xNHWC: tf.Tensor4D, block: StemBlockWeights): tf.Tensor4D {
  const conv = tf.conv2d(xNHWC, block.convHWIO, block.stride, 1);
  return gelu(batchNorm(conv, block.bn));
}

/** Squeeze-and-excitation: channel gates from the spatial mean, squeezed to int(0.25 * block input). */
function squeezeExcite(xNHWC: tf.Tensor4D, block: MBConvBlockWeights): tf.Tensor4D {
  const squeezed = tf.mean(xNHWC, [1, 2]);
  const gates = tf.sigmoid(linear(gelu(linear(squeezed, block.seReduce)), block.seExpand));
  const [batch, , , channels] = xNHWC.shape;
  return tf.mul(xNHWC, tf.reshape(gates, [batch, 1, 1, channels]));
}

/**
 * MBConv with pre-norm. The downsampling block puts stride 2 on the first 1x1 expansion conv,
 * and its shortcut is MaxPool(3, 2, 1) followed by a 1x1 projection.
 */
function mbconvBlock(xNHWC: tf.Tensor4D, block: MBConvBlockWeights): tf.Tensor4D {
  const shortcut = block.downsample ? conv1x1(maxPoolDownsample(xNHWC), block.projHWIO!) : xNHWC;

  let y = batchNorm(xNHWC, block.preNorm);
  y = gelu(batchNorm(conv1x1(y, block.expandHWIO, block.downsample ? 2 : 1), block.expandBn));
  y = gelu(batchNorm(tf.depthwiseConv2d(y, block.depthwiseHWC1, 1, 1), block.depthwiseBn));
  y = squeezeExcite(y, block);
  y = batchNorm(conv1x1(y, block.projectHWIO), block.projectBn);

  return tf.add(shortcut, y);
}

/** Split [B, N, heads * dim] into [B, heads, N, dim]. */
function splitHeads(x: tf.Tensor3D): tf.Tensor4D {
  const [batch, tokens] = x.shape;
  return tf.transpose(tf.reshape(x, [batch, tokens, ATTENTION_HEADS, ATTENTION_DIM_HEAD]), [0, 2, 1, 3]);
}

/** Multi-head self-attention with the learned relative-position bias; also returns the weights. */
function relativeAttention(tokens: tf.Tensor3D, block: TransformerBlockWeights): { out: tf.Tensor3D; weights: tf.Tensor4D } {
  const [batch, count] = tokens.shape;
  const qkv = linear(tokens, block.qkv) as tf.Tensor3D;
  const [q, k, v] = tf.split(qkv, 3, -1).map((part) => splitHeads(part as tf.Tensor3D));

  const dots = tf.mul(tf.matMul(q, k, false, true), ATTENTION_DIM_HEAD ** -0.5);
  const weights = tf.softmax(tf.add(dots, block.relativeBias)) as tf.Tensor4D;
  const context = tf.matMul(weights, v);

  const merged = tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch, count, ATTENTION_HEADS * ATTENTION_DIM_HEAD]);
  return { out: linear(merged, block.out) as tf.Tensor3D, weights };
}

/**
 * Transformer block. Downsampling: shortcut = 1x1(MaxPool(x)) and attention runs on MaxPool(x);
 * the feed-forward then runs at the new size. NHWC reshapes to tokens [B, H*W, C] in the same
 * row-major order as the reference's 'b c ih iw -> b (ih iw) c'.
 */
function transformerBlock(xNHWC: tf.Tensor4D, block: TransformerBlockWeights, attention?: Record<string, tf.Tensor4D>): tf.Tensor4D {
  const input = block.downsample ? maxPoolDownsample(xNHWC) : xNHWC;
  const shortcut = block.downsample ? conv1x1(input, block.projHWIO!) : xNHWC;
  const [batch, height, width, channels] = input.shape;
  if (height !== block.grid[0] || width !== block.grid[1]) {
    throw new Error(`Block ${block.key} expects a ${block.grid[0]}x${block.grid[1]} grid but got ${height}x${width}`);
  }

  const tokens = tf.reshape(input, [batch, height * width, channels]) as tf.Tensor3D;
  const { out, weights } = relativeAttention(layerNorm(tokens, block.attnNorm), block);
  if (attention) attention[block.key] = weights;
  const outChannels = out.shape[2];
  const attended = tf.add(shortcut, tf.reshape(out, [batch, height, width, outChannels])) as tf.Tensor4D;

  const ffTokens = tf.reshape(attended, [batch, height * width, outChannels]);
  const ff = linear(gelu(linear(layerNorm(ffTokens, block.ffNorm), block.ff1)), block.ff2);
  return tf.add(attended, tf.reshape(ff, attended.shape)) as tf.Tensor4D;
}

/** A CoAtNet with loaded weights. Owns its weight tensors until dispose(). */
export class CoAtNet {
  readonly config: CoAtNetConfig;
  private readonly weights: CoAtNetWeights;
  private readonly tensors: tf.Tensor[];
  private disposed = false;

  /** Validates `raw` (reference state_dict names and shapes) and converts it once to NHWC layouts. */
  constructor(config: CoAtNetConfig, raw: RawTensorMap) {
    validateConfig(config);
    this.config = config;
    const { weights, tensors } = convertWeights(config, raw);
    this.weights = weights;
    this.tensors = tensors;
  }

  /** Weight tensors held by this model. */
  get weightTensorCount(): number {
    return this.tensors.length;
  }

  /**
   * Run the network on `inputNHWC` [B, H, W, inChannels]. The caller owns every returned tensor;
   * intermediates are released by tf.tidy.
   */
  forward(inputNHWC: tf.Tensor4D, options: ForwardOptions = {}): ForwardResult {
    if (this.disposed) throw new Error('This CoAtNet was disposed; load the model again');
    this.checkInput(inputNHWC);
    const requestedAttention = new Set(options.attentionBlocks ?? []);

    return tf.tidy(() => {
      const stages = {} as Record<StageName, tf.Tensor4D>;
      const allAttention: Record<string, tf.Tensor4D> = {};
      let x = inputNHWC;
      this.weights.stages.forEach((blocks, stageIndex) => {
        for (const block of blocks) {
          if (block.kind === 'stem') x = stemBlock(x, block);
          else if (block.kind === 'C') x = mbconvBlock(x, block);
          else x = transformerBlock(x, block, requestedAttention.size > 0 ? allAttention : undefined);
        }
        stages[STAGE_NAMES[stageIndex]] = x;
      });

      // Global average over H and W (see the header comment on the reference's pooling).
      const pooled = tf.mean(x, [1, 2]) as tf.Tensor2D;
      const logits = linear(pooled, this.weights.fc) as tf.Tensor2D;

      const result: ForwardResult = { logits };
      if (options.stages) result.stages = stages;
      if (requestedAttention.size > 0) {
        result.attention = Object.fromEntries(Object.entries(allAttention).filter(([key]) => requestedAttention.has(key)));
      }
      return result as unknown as tf.TensorContainer;
    }) as unknown as ForwardResult;
  }

  private checkInput(inputNHWC: tf.Tensor): void {
    const [, h, w, c] = inputNHWC.shape;
    const [eh, ew] = this.config.imageSize;
    if (inputNHWC.rank !== 4 || h !== eh || w !== ew || c !== this.config.inChannels) {
      throw new Error(`Input shape [${inputNHWC.shape.join(', ')}] is invalid: expected NHWC [batch, ${eh}, ${ew}, ${this.config.inChannels}]`);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    tf.dispose(this.tensors);
    this.disposed = true;
  }
}
