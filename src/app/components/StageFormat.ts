// Formatting shared by the stage view: shapes, multiply-add units and op labels.

import type { TFunction } from 'i18next';

import type { OpDescription } from '../../analysis';
import type { Language } from '../i18n';

/** Format a shape for display: "56 × 56 × 96". */
export function formatShape(shape: readonly number[]): string {
  return shape.join(' × ');
}

/** Format a shape for data attributes that tests read: "56x56x96". */
export function shapeKey(shape: readonly number[]): string {
  return shape.join('x');
}

export type MacUnit = 'M' | 'G';

/** Pick G when the total reaches a billion multiply-adds, else M, so one table uses one unit. */
export function macUnit(totalMacs: number): MacUnit {
  return totalMacs >= 1e9 ? 'G' : 'M';
}

export function formatMacs(macs: number, unit: MacUnit, language: Language): string {
  const divisor = unit === 'G' ? 1e9 : 1e6;
  return new Intl.NumberFormat(language, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(macs / divisor);
}

/** Build a readable label of one op, with its kernel, stride and channel numbers. */
export function opLabel(op: OpDescription, t: TFunction): string {
  const { attributes, outputShape } = op;
  switch (op.kind) {
    case 'conv2d':
      return t('visualizer.ops.conv2d', {
        kernel: attributes.kernelSize, stride: attributes.stride, inChannels: attributes.inChannels, outChannels: attributes.outChannels,
      });
    case 'depthwiseConv2d':
      return t('visualizer.ops.depthwiseConv2d', { kernel: attributes.kernelSize, channels: attributes.groups });
    case 'linear':
      return t('visualizer.ops.linear', { inChannels: attributes.inChannels, outChannels: attributes.outChannels });
    case 'toTokens':
      return t('visualizer.ops.toTokens', { tokens: outputShape[0] });
    case 'toGrid':
      return t('visualizer.ops.toGrid', { height: outputShape[0], width: outputShape[1] });
    case 'attentionScores':
      return t('visualizer.ops.attentionScores', { headDim: attributes.headDim });
    case 'mergeHeads':
      return t('visualizer.ops.mergeHeads', { heads: attributes.heads });
    default:
      return t(`visualizer.ops.${op.kind}`);
  }
}
