// Operations of the reference CoAtNet as data: kind, PyTorch module, state_dict keys, output
// shape and multiply-adds, computed from the config alone.

import type { ExpectedStateDict } from '../model/stateDict';

/**
 * Layout of an op's output shape, batch dimension dropped:
 * HWC [height, width, channels]; NC [tokens, channels]; hNN [heads, tokens, tokens];
 * hNd [heads, tokens, head dim]; C [channels] (a pooled vector).
 */
export type ShapeLayout = 'HWC' | 'NC' | 'hNN' | 'hNd' | 'C';

export type OpKind =
  | 'conv2d'
  | 'depthwiseConv2d'
  | 'batchNorm'
  | 'layerNorm'
  | 'gelu'
  | 'sigmoid'
  | 'maxPool'
  | 'globalAvgPool'
  | 'linear'
  /** The SE gate product x * gate[c]. */
  | 'scaleChannels'
  /** [H, W, C] -> [H * W, C], row-major as the reference's 'b c ih iw -> b (ih iw) c'. */
  | 'toTokens'
  | 'toGrid'
  /** q @ k^T times dim_head^-0.5, per head. */
  | 'attentionScores'
  | 'relativePositionBias'
  | 'softmax'
  /** attn @ v, per head. */
  | 'attentionContext'
  | 'mergeHeads';

/**
 * Op kinds whose multiply-adds are counted: every product with a weight or between two
 * activations. Bias additions, normalization, activations, softmax, pooling, the SE gate
 * product and residual additions have `macs` 0.
 */
export const MAC_OP_KINDS: readonly OpKind[] = [
  'conv2d', 'depthwiseConv2d', 'linear', 'attentionScores', 'attentionContext',
];

export interface OpAttributes {
  kernelSize?: number;
  stride?: number;
  padding?: number;
  /** Convolution groups: equal to the channels for a depthwise convolution. */
  groups?: number;
  inChannels?: number;
  outChannels?: number;
  heads?: number;
  headDim?: number;
  /** Whether a linear layer adds a bias. */
  bias?: boolean;
}

export interface OpDescription {
  kind: OpKind;
  /** PyTorch module path in the reference that runs this op, e.g. "s1.0.conv.fn.3". */
  module: string;
  /** state_dict key of the op's weight, where it has one. */
  weightKey?: string;
  /** Every state_dict key the op reads: weights, biases, running statistics, index buffers. */
  stateDictKeys: string[];
  attributes: OpAttributes;
  outputShape: number[];
  layout: ShapeLayout;
  /** Trainable parameters, from the state_dict shapes (buffers excluded). */
  parameters: number;
  macs: number;
}

function product(values: readonly number[]): number {
  return values.reduce((total, value) => total * value, 1);
}

/** Output size of a convolution or pooling window along one axis, as PyTorch computes it. */
export function windowOutputSize(size: number, kernelSize: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernelSize) / stride) + 1;
}

/** Check whether `key` is a trainable parameter as count_parameters counts them: running statistics and integer buffers are not. */
export function isTrainable(key: string, stateDict: ExpectedStateDict): boolean {
  const spec = stateDict.get(key);
  if (!spec) throw new Error(`state_dict key "${key}" is not in the expected state_dict; check the block layout of the config`);
  return spec.kind === 'float' && !key.endsWith('.running_mean') && !key.endsWith('.running_var');
}

interface ConvOptions {
  outChannels: number;
  kernelSize: number;
  stride: number;
  padding: number;
}

interface NewOp {
  kind: OpKind;
  module: string;
  weightKey?: string;
  stateDictKeys?: string[];
  attributes?: OpAttributes;
  outputShape: number[];
  layout: ShapeLayout;
  macs?: number;
}

/**
 * A sequence of ops that tracks the current shape, so each op's output shape follows from
 * the previous one. Methods throw when the current layout does not fit the op.
 */
export class OpChain {
  readonly ops: OpDescription[] = [];

  constructor(
    private readonly stateDict: ExpectedStateDict,
    private shape: number[],
    private layout: ShapeLayout,
  ) {}

  get outputShape(): number[] {
    return [...this.shape];
  }

  conv2d(module: string, options: ConvOptions): this {
    const [h, w, inChannels] = this.expect('HWC', 'conv2d', module);
    const { outChannels, kernelSize, stride, padding } = options;
    const outputShape = [
      windowOutputSize(h, kernelSize, stride, padding),
      windowOutputSize(w, kernelSize, stride, padding),
      outChannels,
    ];
    return this.push({
      kind: 'conv2d', module, weightKey: `${module}.weight`, layout: 'HWC', outputShape,
      attributes: { kernelSize, stride, padding, groups: 1, inChannels, outChannels },
      macs: product(outputShape) * inChannels * kernelSize * kernelSize,
    });
  }

  /** 3x3 depthwise convolution, stride 1, padding 1, as in every MBConv of the reference. */
  depthwiseConv2d(module: string): this {
    const [h, w, channels] = this.expect('HWC', 'depthwiseConv2d', module);
    const kernelSize = 3;
    const outputShape = [h, w, channels];
    return this.push({
      kind: 'depthwiseConv2d', module, weightKey: `${module}.weight`, layout: 'HWC', outputShape,
      attributes: { kernelSize, stride: 1, padding: 1, groups: channels, inChannels: channels, outChannels: channels },
      macs: product(outputShape) * kernelSize * kernelSize,
    });
  }

  batchNorm(module: string): this {
    this.expect('HWC', 'batchNorm', module);
    const fields = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'];
    return this.push({
      kind: 'batchNorm', module, weightKey: `${module}.weight`,
      stateDictKeys: fields.map((field) => `${module}.${field}`),
      outputShape: this.shape, layout: 'HWC',
    });
  }

  layerNorm(module: string): this {
    this.expect('NC', 'layerNorm', module);
    return this.push({
      kind: 'layerNorm', module, weightKey: `${module}.weight`,
      stateDictKeys: [`${module}.weight`, `${module}.bias`],
      outputShape: this.shape, layout: 'NC',
    });
  }

  gelu(module: string): this {
    return this.push({ kind: 'gelu', module, outputShape: this.shape, layout: this.layout });
  }

  /** MaxPool2d(3, 2, 1): the pooling that halves height and width in every downsampling block. */
  maxPool(module: string): this {
    const [h, w, channels] = this.expect('HWC', 'maxPool', module);
    const outputShape = [windowOutputSize(h, 3, 2, 1), windowOutputSize(w, 3, 2, 1), channels];
    return this.push({
      kind: 'maxPool', module, layout: 'HWC', outputShape,
      attributes: { kernelSize: 3, stride: 2, padding: 1 },
    });
  }

  globalAvgPool(module: string): this {
    const [, , channels] = this.expect('HWC', 'globalAvgPool', module);
    return this.push({ kind: 'globalAvgPool', module, outputShape: [channels], layout: 'C' });
  }

  /** nn.Linear on the last axis of an NC or C shape. */
  linear(module: string, outFeatures: number, bias: boolean): this {
    if (this.layout !== 'NC' && this.layout !== 'C') {
      throw new Error(`linear ${module} needs an NC or C input, but the chain is at ${this.layout} [${this.shape.join(', ')}]`);
    }
    const inFeatures = this.shape[this.shape.length - 1];
    const outputShape = [...this.shape.slice(0, -1), outFeatures];
    const keys = bias ? [`${module}.weight`, `${module}.bias`] : [`${module}.weight`];
    return this.push({
      kind: 'linear', module, weightKey: `${module}.weight`, stateDictKeys: keys,
      layout: this.layout, outputShape,
      attributes: { inChannels: inFeatures, outChannels: outFeatures, bias },
      macs: product(outputShape) * inFeatures,
    });
  }

  /**
   * Squeeze-and-excitation of the reference's SE module at `module`: spatial mean, Linear to
   * `squeezed` units, GELU, Linear back, sigmoid, and the per-channel gate product.
   */
  squeezeExcite(module: string, squeezed: number): this {
    const [h, w, channels] = this.expect('HWC', 'squeezeExcite', module);
    this.globalAvgPool(`${module}.avg_pool`)
      .linear(`${module}.fc.0`, squeezed, false)
      .gelu(`${module}.fc.1`)
      .linear(`${module}.fc.2`, channels, false);
    this.push({ kind: 'sigmoid', module: `${module}.fc.3`, outputShape: this.shape, layout: 'C' });
    return this.push({ kind: 'scaleChannels', module, outputShape: [h, w, channels], layout: 'HWC' });
  }

  toTokens(module: string): this {
    const [h, w, channels] = this.expect('HWC', 'toTokens', module);
    return this.push({ kind: 'toTokens', module, outputShape: [h * w, channels], layout: 'NC' });
  }

  toGrid(module: string, grid: [number, number]): this {
    const [tokens, channels] = this.expect('NC', 'toGrid', module);
    if (tokens !== grid[0] * grid[1]) {
      throw new Error(`toGrid ${module}: ${tokens} tokens do not fill a ${grid[0]}x${grid[1]} grid`);
    }
    return this.push({ kind: 'toGrid', module, outputShape: [grid[0], grid[1], channels], layout: 'HWC' });
  }

  /**
   * Relative multi-head self-attention of the reference's Attention module at `module`:
   * qkv Linear, q @ k^T scaled, plus the relative-position bias, softmax, attn @ v,
   * merged heads and the output Linear to `outChannels`.
   */
  relativeAttention(module: string, heads: number, headDim: number, outChannels: number): this {
    const [tokens] = this.expect('NC', 'relativeAttention', module);
    const inner = heads * headDim;
    const pairMacs = heads * tokens * tokens * headDim;
    const attributes = { heads, headDim };

    this.linear(`${module}.to_qkv`, 3 * inner, false);
    this.push({
      kind: 'attentionScores', module, attributes, outputShape: [heads, tokens, tokens], layout: 'hNN', macs: pairMacs,
    });
    this.push({
      kind: 'relativePositionBias', module, weightKey: `${module}.relative_bias_table`,
      stateDictKeys: [`${module}.relative_bias_table`, `${module}.relative_index`],
      attributes, outputShape: this.shape, layout: 'hNN',
    });
    this.push({ kind: 'softmax', module: `${module}.attend`, outputShape: this.shape, layout: 'hNN' });
    this.push({
      kind: 'attentionContext', module, attributes, outputShape: [heads, tokens, headDim], layout: 'hNd', macs: pairMacs,
    });
    this.push({ kind: 'mergeHeads', module, attributes, outputShape: [tokens, inner], layout: 'NC' });
    return this.linear(`${module}.to_out.0`, outChannels, true);
  }

  private expect(layout: ShapeLayout, op: string, module: string): number[] {
    if (this.layout !== layout) {
      throw new Error(`${op} ${module} needs a ${layout} input, but the chain is at ${this.layout} [${this.shape.join(', ')}]`);
    }
    return this.shape;
  }

  private push(op: NewOp): this {
    const stateDictKeys = op.stateDictKeys ?? (op.weightKey ? [op.weightKey] : []);
    const parameters = stateDictKeys
      .filter((key) => isTrainable(key, this.stateDict))
      .reduce((total, key) => total + product(this.stateDict.get(key)!.shape), 0);

    this.ops.push({
      kind: op.kind,
      module: op.module,
      ...(op.weightKey ? { weightKey: op.weightKey } : {}),
      stateDictKeys,
      attributes: op.attributes ?? {},
      outputShape: [...op.outputShape],
      layout: op.layout,
      parameters,
      macs: op.macs ?? 0,
    });
    this.shape = [...op.outputShape];
    this.layout = op.layout;
    return this;
  }
}

export function sumOps(ops: readonly OpDescription[], field: 'parameters' | 'macs'): number {
  return ops.reduce((total, op) => total + op[field], 0);
}
