// The reference implementation's state_dict: every key and shape a config implies.

import {
  ATTENTION_DIM_HEAD, ATTENTION_HEADS, MBCONV_EXPANSION, SE_EXPANSION,
  STAGE_NAMES, stageGrid, stageInputChannels, type CoAtNetConfig,
} from './config';

export interface ExpectedTensor {
  shape: number[];
  /** Buffers that some exports drop (relative_index, num_batches_tracked). */
  optional: boolean;
  kind: 'float' | 'int';
}

export type ExpectedStateDict = Map<string, ExpectedTensor>;

function addBatchNorm(expected: ExpectedStateDict, prefix: string, channels: number): void {
  for (const field of ['weight', 'bias', 'running_mean', 'running_var']) {
    expected.set(`${prefix}.${field}`, { shape: [channels], optional: false, kind: 'float' });
  }
  expected.set(`${prefix}.num_batches_tracked`, { shape: [], optional: true, kind: 'int' });
}

function addFloat(expected: ExpectedStateDict, key: string, shape: number[]): void {
  expected.set(key, { shape, optional: false, kind: 'float' });
}

function addStemBlock(expected: ExpectedStateDict, prefix: string, inp: number, oup: number): void {
  addFloat(expected, `${prefix}.0.weight`, [oup, inp, 3, 3]);
  addBatchNorm(expected, `${prefix}.1`, oup);
}

/** MBConv keys: conv.norm is the pre-norm BatchNorm, conv.fn.N the Sequential inside it. */
function addMBConvBlock(expected: ExpectedStateDict, prefix: string, inp: number, oup: number, downsample: boolean): void {
  const hidden = Math.trunc(inp * MBCONV_EXPANSION);
  const squeezed = Math.trunc(inp * SE_EXPANSION);
  if (downsample) {
    addFloat(expected, `${prefix}.proj.weight`, [oup, inp, 1, 1]);
  }
  addBatchNorm(expected, `${prefix}.conv.norm`, inp);
  addFloat(expected, `${prefix}.conv.fn.0.weight`, [hidden, inp, 1, 1]);
  addBatchNorm(expected, `${prefix}.conv.fn.1`, hidden);
  addFloat(expected, `${prefix}.conv.fn.3.weight`, [hidden, 1, 3, 3]);
  addBatchNorm(expected, `${prefix}.conv.fn.4`, hidden);
  addFloat(expected, `${prefix}.conv.fn.6.fc.0.weight`, [squeezed, hidden]);
  addFloat(expected, `${prefix}.conv.fn.6.fc.2.weight`, [hidden, squeezed]);
  addFloat(expected, `${prefix}.conv.fn.7.weight`, [oup, hidden, 1, 1]);
  addBatchNorm(expected, `${prefix}.conv.fn.8`, oup);
}

/** Transformer keys: attn.1 / ff.1 are the PreNorm modules between two Rearrange layers. */
function addTransformerBlock(
  expected: ExpectedStateDict, prefix: string, inp: number, oup: number,
  downsample: boolean, grid: [number, number],
): void {
  const inner = ATTENTION_HEADS * ATTENTION_DIM_HEAD;
  const tokens = grid[0] * grid[1];
  // The feed-forward hidden width is 4 * the block's input width, as in the reference.
  const hidden = Math.trunc(inp * 4);
  if (downsample) {
    addFloat(expected, `${prefix}.proj.weight`, [oup, inp, 1, 1]);
  }
  addFloat(expected, `${prefix}.attn.1.norm.weight`, [inp]);
  addFloat(expected, `${prefix}.attn.1.norm.bias`, [inp]);
  addFloat(expected, `${prefix}.attn.1.fn.relative_bias_table`,
    [(2 * grid[0] - 1) * (2 * grid[1] - 1), ATTENTION_HEADS]);
  expected.set(`${prefix}.attn.1.fn.relative_index`, { shape: [tokens * tokens, 1], optional: true, kind: 'int' });
  addFloat(expected, `${prefix}.attn.1.fn.to_qkv.weight`, [inner * 3, inp]);
  addFloat(expected, `${prefix}.attn.1.fn.to_out.0.weight`, [oup, inner]);
  addFloat(expected, `${prefix}.attn.1.fn.to_out.0.bias`, [oup]);
  addFloat(expected, `${prefix}.ff.1.norm.weight`, [oup]);
  addFloat(expected, `${prefix}.ff.1.norm.bias`, [oup]);
  addFloat(expected, `${prefix}.ff.1.fn.net.0.weight`, [hidden, oup]);
  addFloat(expected, `${prefix}.ff.1.fn.net.0.bias`, [hidden]);
  addFloat(expected, `${prefix}.ff.1.fn.net.3.weight`, [oup, hidden]);
  addFloat(expected, `${prefix}.ff.1.fn.net.3.bias`, [oup]);
}

/** List every state_dict key of the reference CoAtNet built from `config`, with its shape. */
export function expectedStateDict(config: CoAtNetConfig): ExpectedStateDict {
  const expected: ExpectedStateDict = new Map();
  STAGE_NAMES.forEach((stage, stageIndex) => {
    const stageIn = stageInputChannels(config, stageIndex);
    const oup = config.channels[stageIndex];
    for (let block = 0; block < config.numBlocks[stageIndex]; block += 1) {
      // Only the first block of a stage downsamples; the others keep size and width.
      const downsample = block === 0;
      const inp = downsample ? stageIn : oup;
      const prefix = `${stage}.${block}`;
      if (stageIndex === 0) {
        addStemBlock(expected, prefix, inp, oup);
      } else if (config.blockTypes[stageIndex - 1] === 'C') {
        addMBConvBlock(expected, prefix, inp, oup, downsample);
      } else {
        addTransformerBlock(expected, prefix, inp, oup, downsample, stageGrid(config, stageIndex));
      }
    }
  });
  addFloat(expected, 'fc.weight', [config.numClasses, config.channels[4]]);
  return expected;
}

/** Parameter count as the reference's count_parameters: trainable tensors, no buffers. */
export function countParameters(config: CoAtNetConfig): number {
  let total = 0;
  for (const [key, tensor] of expectedStateDict(config)) {
    const isBuffer = key.endsWith('running_mean') || key.endsWith('running_var') || tensor.kind === 'int';
    if (!isBuffer) {
      total += tensor.shape.reduce((product, size) => product * size, 1);
    }
  }
  return total;
}

/**
 * Compute the reference's relative_index buffer for a grid, flattened row-major.
 * For query i at (hi, wi) and key j at (hj, wj) the entry is (hi - hj + h - 1) * (2w - 1) + (wi - wj + w - 1).
 */
export function relativeIndex(grid: [number, number]): Int32Array {
  const [h, w] = grid;
  const tokens = h * w;
  const index = new Int32Array(tokens * tokens);
  for (let i = 0; i < tokens; i += 1) {
    const hi = Math.floor(i / w);
    const wi = i % w;
    for (let j = 0; j < tokens; j += 1) {
      const hj = Math.floor(j / w);
      const wj = j % w;
      index[i * tokens + j] = (hi - hj + h - 1) * (2 * w - 1) + (wi - wj + w - 1);
    }
  }
  return index;
}
