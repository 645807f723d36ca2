// Feature-map thumbnails of a stage output at the stage's own resolution.

import * as tf from '@tensorflow/tfjs-core';

import { minMax, toRgba, type Colormap } from './colormap';

export interface FeatureMapImage {
  /** Channel index, or 'mean' for the mean over all channels. */
  channel: number | 'mean';
  width: number;
  height: number;
  /** width * height RGBA pixels, row-major, min-max normalized per map; fits `new ImageData(rgba, width, height)`. */
  rgba: Uint8ClampedArray;
  /** Raw activation range of this map before normalization. */
  min: number;
  max: number;
}

export interface FeatureMapThumbnails {
  height: number;
  width: number;
  /** Channels of the stage output (C of NHWC). */
  channelCount: number;
  maps: FeatureMapImage[];
  mean: FeatureMapImage;
}

export interface FeatureMapOptions {
  /** Image of the batch to draw; default 0. */
  batchIndex?: number;
  /** Default 'gray'. */
  colormap?: Colormap;
}

function selectChannels(channels: number[] | 'first-n', n: number, channelCount: number): number[] {
  if (channels === 'first-n') {
    if (!Number.isInteger(n) || n < 1) throw new Error(`Channel count n ${n} is invalid: use an integer >= 1`);
    return Array.from({ length: Math.min(n, channelCount) }, (_, i) => i);
  }
  for (const channel of channels) {
    if (!Number.isInteger(channel) || channel < 0 || channel >= channelCount) {
      throw new Error(`Channel ${channel} is invalid: this stage has channels 0..${channelCount - 1}`);
    }
  }
  return [...channels];
}

function checkBatchIndex(batchIndex: number, batch: number): void {
  if (!Number.isInteger(batchIndex) || batchIndex < 0 || batchIndex >= batch) {
    throw new Error(`batchIndex ${batchIndex} is invalid: the batch contains images 0..${batch - 1}`);
  }
}

/** Copy plane `plane` out of interleaved HWK data into its own H x W array. */
function extractPlane(data: Float32Array, planes: number, plane: number): Float32Array {
  const out = new Float32Array(data.length / planes);
  for (let i = 0; i < out.length; i += 1) out[i] = data[i * planes + plane];
  return out;
}

function toImage(values: Float32Array, channel: number | 'mean', height: number, width: number, colormap: Colormap): FeatureMapImage {
  const { min, max } = minMax(values);
  return { channel, width, height, rgba: toRgba(values, min, max, colormap), min, max };
}

/**
 * Images of the selected channels and of the channel mean of one image in `stageNHWC`
 * [batch, H, W, C], each H x W with no resampling (scale up in CSS with
 * image-rendering: pixelated). `channels` lists channel indices, or 'first-n' takes
 * channels 0..n-1 (fewer if the stage has fewer). The caller keeps ownership of `stageNHWC`.
 */
export async function featureMapThumbnails(
  stageNHWC: tf.Tensor4D, channels: number[] | 'first-n', n = 8, options: FeatureMapOptions = {},
): Promise<FeatureMapThumbnails> {
  if (stageNHWC.rank !== 4) {
    throw new Error(`Stage tensor has shape [${stageNHWC.shape.join(', ')}]; an NHWC tensor [batch, H, W, C] is expected`);
  }
  const [batch, height, width, channelCount] = stageNHWC.shape;
  const batchIndex = options.batchIndex ?? 0;
  const colormap = options.colormap ?? 'gray';
  checkBatchIndex(batchIndex, batch);
  const selected = selectChannels(channels, n, channelCount);

  // Gather the few channels and the mean on the backend, so only H x W x (k + 1) values are read back.
  const planes = tf.tidy(() => {
    const image = tf.reshape(tf.slice(stageNHWC, [batchIndex, 0, 0, 0], [1, height, width, channelCount]), [height, width, channelCount]);
    const mean = tf.mean(image, 2, true);
    return selected.length > 0 ? tf.concat([tf.gather(image, selected, 2), mean], 2) : mean;
  });
  let data: Float32Array;
  try {
    data = (await planes.data()) as Float32Array;
  } finally {
    planes.dispose();
  }

  const planeCount = selected.length + 1;
  const maps = selected.map((channel, plane) => toImage(extractPlane(data, planeCount, plane), channel, height, width, colormap));
  const mean = toImage(extractPlane(data, planeCount, selected.length), 'mean', height, width, colormap);
  return { height, width, channelCount, maps, mean };
}
