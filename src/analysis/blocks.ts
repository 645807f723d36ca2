// Stem, MBConv and Transformer blocks of the reference CoAtNet as residual sections of ops.

import {
  ATTENTION_DIM_HEAD, ATTENTION_HEADS, MBCONV_EXPANSION, SE_EXPANSION,
  type BlockType, type StageName,
} from '../model/config';
import type { ExpectedStateDict } from '../model/stateDict';
import { OpChain, sumOps, type OpDescription } from './ops';

/** [height, width, channels] of one image (NHWC without the batch). */
export type Shape3 = [number, number, number];

export type SectionKind = 'stem' | 'mbconv' | 'attention' | 'feedForward';

/**
 * One residual step: output = shortcut(x) + main(x). `shortcut` is [] for the identity
 * (x + f(x)), the pooled projection in a downsampling block, and null where the reference
 * adds no residual at all (the stem's conv -> BN -> GELU).
 */
export interface ResidualSection {
  kind: SectionKind;
  shortcut: OpDescription[] | null;
  main: OpDescription[];
  inputShape: Shape3;
  outputShape: Shape3;
}

export interface BlockDescription {
  /** state_dict prefix of the block, e.g. "s2.0". */
  key: string;
  stage: StageName;
  /** Position of the block in its stage; block 0 is the one built with downsample=True. */
  index: number;
  type: 'stem' | BlockType;
  /** Whether this block halves height and width. */
  downsample: boolean;
  inputShape: Shape3;
  outputShape: Shape3;
  /** Grid the attention runs at (the block's output height and width); Transformer blocks only. */
  attentionGrid?: [number, number];
  sections: ResidualSection[];
  parameters: number;
  macs: number;
}

export interface BlockSpec {
  stage: StageName;
  index: number;
  type: 'stem' | BlockType;
  downsample: boolean;
  inputShape: Shape3;
  outChannels: number;
}

function asShape3(shape: number[], where: string): Shape3 {
  if (shape.length !== 3) throw new Error(`${where} ends at [${shape.join(', ')}], expected an [H, W, C] shape`);
  return [shape[0], shape[1], shape[2]];
}

function section(kind: SectionKind, inputShape: Shape3, main: OpChain, shortcut: OpChain | null | 'identity'): ResidualSection {
  const outputShape = asShape3(main.outputShape, `${kind} main path`);
  if (shortcut !== null) {
    const shortcutShape = (shortcut === 'identity' ? inputShape : shortcut.outputShape).join('x');
    if (shortcutShape !== outputShape.join('x')) {
      throw new Error(`${kind} shortcut ends at ${shortcutShape} but the main path at ${outputShape.join('x')}; they cannot be added`);
    }
  }
  let shortcutOps: OpDescription[] | null = null;
  if (shortcut === 'identity') shortcutOps = [];
  else if (shortcut !== null) shortcutOps = shortcut.ops;

  return {
    kind,
    shortcut: shortcutOps,
    main: main.ops,
    inputShape,
    outputShape,
  };
}

/** conv_3x3_bn: 3x3 conv (stride 2 in the downsampling block, else 1), BN, GELU, no residual. */
function stemSections(stateDict: ExpectedStateDict, spec: BlockSpec, prefix: string): ResidualSection[] {
  const main = new OpChain(stateDict, spec.inputShape, 'HWC')
    .conv2d(`${prefix}.0`, { outChannels: spec.outChannels, kernelSize: 3, stride: spec.downsample ? 2 : 1, padding: 1 })
    .batchNorm(`${prefix}.1`)
    .gelu(`${prefix}.2`);
  return [section('stem', spec.inputShape, main, null)];
}

/**
 * MBConv with pre-norm BatchNorm. Downsampling puts stride 2 on the first 1x1 conv and
 * MaxPool(3, 2, 1) + 1x1 conv on the shortcut. SE squeezes to int(0.25 * block input).
 */
function mbconvSections(stateDict: ExpectedStateDict, spec: BlockSpec, prefix: string): ResidualSection[] {
  const inChannels = spec.inputShape[2];
  const hidden = Math.trunc(inChannels * MBCONV_EXPANSION);
  const fn = `${prefix}.conv.fn`;

  const main = new OpChain(stateDict, spec.inputShape, 'HWC')
    .batchNorm(`${prefix}.conv.norm`)
    .conv2d(`${fn}.0`, { outChannels: hidden, kernelSize: 1, stride: spec.downsample ? 2 : 1, padding: 0 })
    .batchNorm(`${fn}.1`)
    .gelu(`${fn}.2`)
    .depthwiseConv2d(`${fn}.3`)
    .batchNorm(`${fn}.4`)
    .gelu(`${fn}.5`)
    .squeezeExcite(`${fn}.6`, Math.trunc(inChannels * SE_EXPANSION))
    .conv2d(`${fn}.7`, { outChannels: spec.outChannels, kernelSize: 1, stride: 1, padding: 0 })
    .batchNorm(`${fn}.8`);

  const shortcut = spec.downsample
    ? new OpChain(stateDict, spec.inputShape, 'HWC')
      .maxPool(`${prefix}.pool`)
      .conv2d(`${prefix}.proj`, { outChannels: spec.outChannels, kernelSize: 1, stride: 1, padding: 0 })
    : 'identity';
  return [section('mbconv', spec.inputShape, main, shortcut)];
}

/**
 * Transformer block. A downsampling block computes 1x1(MaxPool(x)) + attention(MaxPool(x)),
 * the others x + attention(x). Then x + feed-forward(x) follows, 4 * block input wide inside.
 */
function transformerSections(stateDict: ExpectedStateDict, spec: BlockSpec, prefix: string): ResidualSection[] {
  const inChannels = spec.inputShape[2];
  const attention = new OpChain(stateDict, spec.inputShape, 'HWC');
  if (spec.downsample) attention.maxPool(`${prefix}.pool2`);
  const [h, w] = attention.outputShape;
  attention
    .toTokens(`${prefix}.attn.0`)
    .layerNorm(`${prefix}.attn.1.norm`)
    .relativeAttention(`${prefix}.attn.1.fn`, ATTENTION_HEADS, ATTENTION_DIM_HEAD, spec.outChannels)
    .toGrid(`${prefix}.attn.2`, [h, w]);

  const shortcut = spec.downsample
    ? new OpChain(stateDict, spec.inputShape, 'HWC')
      .maxPool(`${prefix}.pool1`)
      .conv2d(`${prefix}.proj`, { outChannels: spec.outChannels, kernelSize: 1, stride: 1, padding: 0 })
    : 'identity';
  const attentionSection = section('attention', spec.inputShape, attention, shortcut);

  const ffInput = attentionSection.outputShape;
  const feedForward = new OpChain(stateDict, ffInput, 'HWC')
    .toTokens(`${prefix}.ff.0`)
    .layerNorm(`${prefix}.ff.1.norm`)
    .linear(`${prefix}.ff.1.fn.net.0`, Math.trunc(inChannels * 4), true)
    .gelu(`${prefix}.ff.1.fn.net.1`)
    .linear(`${prefix}.ff.1.fn.net.3`, spec.outChannels, true)
    .toGrid(`${prefix}.ff.2`, [ffInput[0], ffInput[1]]);
  return [attentionSection, section('feedForward', ffInput, feedForward, 'identity')];
}

function sectionOps(sections: readonly ResidualSection[]): OpDescription[] {
  return sections.flatMap((s) => [...(s.shortcut ?? []), ...s.main]);
}

export function describeBlock(stateDict: ExpectedStateDict, spec: BlockSpec): BlockDescription {
  const key = `${spec.stage}.${spec.index}`;
  let sections: ResidualSection[];
  if (spec.type === 'stem') sections = stemSections(stateDict, spec, key);
  else if (spec.type === 'C') sections = mbconvSections(stateDict, spec, key);
  else sections = transformerSections(stateDict, spec, key);

  const ops = sectionOps(sections);
  const outputShape = sections[sections.length - 1].outputShape;
  return {
    key,
    stage: spec.stage,
    index: spec.index,
    type: spec.type,
    downsample: spec.downsample,
    inputShape: spec.inputShape,
    outputShape,
    ...(spec.type === 'T' ? { attentionGrid: [outputShape[0], outputShape[1]] as [number, number] } : {}),
    sections,
    parameters: sumOps(ops, 'parameters'),
    macs: sumOps(ops, 'macs'),
  };
}

/** Every op of a block, shortcut before main path, section by section. */
export function blockOps(block: BlockDescription): OpDescription[] {
  return sectionOps(block.sections);
}
