// Attention maps of Transformer blocks: where each head looks from one query position.

import * as tf from '@tensorflow/tfjs-core';

import type { ForwardOptions } from '../model/coatnet';
import { STAGE_NAMES, stageGrid, type CoAtNetConfig } from '../model/config';
import { minMax, toRgba, type Colormap } from './colormap';

/** State_dict prefixes of every Transformer block ("s3.0", "s3.1", ...), the blocks with attention weights. */
export function attentionBlockKeys(config: CoAtNetConfig): string[] {
  const keys: string[] = [];
  config.blockTypes.forEach((type, typeIndex) => {
    const stageIndex = typeIndex + 1;
    if (type !== 'T') return;
    for (let block = 0; block < config.numBlocks[stageIndex]; block += 1) {
      keys.push(`${STAGE_NAMES[stageIndex]}.${block}`);
    }
  });
  return keys;
}

/** Token grid [h, w] that attention of block `blockKey` runs on: its stage's output size. */
export function attentionGrid(config: CoAtNetConfig, blockKey: string): [number, number] {
  const keys = attentionBlockKeys(config);
  if (!keys.includes(blockKey)) {
    throw new Error(`Block "${blockKey}" has no attention in this model; use a Transformer block: ${keys.join(', ') || 'none (no T stage)'}`);
  }
  return stageGrid(config, STAGE_NAMES.indexOf(blockKey.split('.')[0] as (typeof STAGE_NAMES)[number]));
}

/**
 * forward() options that return every stage output and the attention weights of
 * `blockKeys` (default: every Transformer block). Each block's weights take
 * heads * N^2 floats for N = h * w tokens, so request few blocks on large grids.
 */
export function visualizerForwardOptions(config: CoAtNetConfig, blockKeys: string[] = attentionBlockKeys(config)): ForwardOptions {
  for (const key of blockKeys) attentionGrid(config, key);
  return { stages: true, attentionBlocks: [...blockKeys] };
}

export interface ImagePoint {
  /** Horizontal position as a fraction of the image width, 0..1. */
  x: number;
  /** Vertical position as a fraction of the image height, 0..1. */
  y: number;
}

export interface QueryToken {
  row: number;
  column: number;
  /** Row-major token index row * w + column, the query row of the attention matrix. */
  index: number;
}

/** Find the token of grid [h, w] whose cell contains `point`. x = 1 and y = 1 map to the last cell. */
export function queryTokenForPoint(grid: [number, number], point: ImagePoint): QueryToken {
  const [h, w] = grid;
  for (const [axis, value] of [['x', point.x], ['y', point.y]] as const) {
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new Error(`Image point ${axis} = ${value} is invalid: use a fraction of the image size in 0..1`);
    }
  }
  const row = Math.min(h - 1, Math.floor(point.y * h));
  const column = Math.min(w - 1, Math.floor(point.x * w));
  return { row, column, index: row * w + column };
}

export interface AttentionHeadMap {
  head: number;
  /** Softmax weights of the query row over all keys, h x w row-major; relative-position bias included. */
  weights: Float32Array;
  /** Sum of `weights`: 1 up to float rounding. */
  rowSum: number;
  max: number;
  /** h x w RGBA pixels scaled from 0 to this head's max weight. */
  rgba: Uint8ClampedArray;
}

export interface AttentionForPosition {
  grid: [number, number];
  query: QueryToken;
  heads: AttentionHeadMap[];
}

export interface AttentionOptions {
  /** Image of the batch to read; default 0. */
  batchIndex?: number;
  /** Default 'heat'. */
  colormap?: Colormap;
}

function checkAttentionShape(attention: tf.Tensor, grid: [number, number], batchIndex: number): void {
  const tokens = grid[0] * grid[1];
  const [batch, , queries, keys] = attention.shape;
  if (attention.rank !== 4 || queries !== tokens || keys !== tokens) {
    throw new Error(`Attention shape [${attention.shape.join(', ')}] does not fit grid ${grid[0]}x${grid[1]}: expected [batch, heads, ${tokens}, ${tokens}]; pass the grid of the block's stage (attentionGrid)`);
  }
  if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= batch) {
    throw new Error(`batchIndex ${batchIndex} is invalid: the batch contains images 0..${batch - 1}`);
  }
}

/**
 * Read the attention row of the query token under `imagePoint` from `attention`
 * [batch, heads, N, N] (a forward() result) for every head. Only that row is read back.
 * The caller keeps ownership of `attention`.
 */
export async function attentionForPosition(
  attention: tf.Tensor4D, grid: [number, number], imagePoint: ImagePoint, options: AttentionOptions = {},
): Promise<AttentionForPosition> {
  const batchIndex = options.batchIndex ?? 0;
  checkAttentionShape(attention, grid, batchIndex);
  const query = queryTokenForPoint(grid, imagePoint);
  const [, heads, , tokens] = attention.shape;

  const row = tf.slice(attention, [batchIndex, 0, query.index, 0], [1, heads, 1, tokens]);
  let data: Float32Array;
  try {
    data = (await row.data()) as Float32Array;
  } finally {
    row.dispose();
  }

  const colormap = options.colormap ?? 'heat';
  const maps = Array.from({ length: heads }, (_, head) => {
    const weights = data.slice(head * tokens, (head + 1) * tokens);
    const rowSum = weights.reduce((total, value) => total + value, 0);
    const { max } = minMax(weights);
    return { head, weights, rowSum, max, rgba: toRgba(weights, 0, max, colormap) };
  });
  return { grid: [grid[0], grid[1]], query, heads: maps };
}
