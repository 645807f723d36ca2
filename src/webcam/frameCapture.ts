// Copying video frames into RGBA pixels: a model-sized frame for every inference and a
// full-size frame for snapshots. Both are drawn unmirrored, whatever the preview shows.

import { downscaledSize } from '../image/decode';
import type { PreprocessingSpec } from '../model/modelCard';
import type { RgbaImage } from '../model/preprocess';
import { drawPlacement } from './placement';

/** The 2D context calls used here, so tests can record them. */
export type Context2D = Pick<CanvasRenderingContext2D,
  'drawImage' | 'getImageData' | 'fillRect' | 'fillStyle' | 'imageSmoothingEnabled' | 'imageSmoothingQuality'>;

export interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d', options: CanvasRenderingContext2DSettings): Context2D | null;
}

export type CanvasFactory = (width: number, height: number) => CanvasLike;

/** A video element or anything else drawImage accepts, with its frame size. */
export interface FrameImage {
  image: CanvasImageSource;
  width: number;
  height: number;
}

/** Create a document canvas, which (unlike OffscreenCanvas) can encode a PNG in every browser. */
export function createDocumentCanvas(width: number, height: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

function context2d(canvas: CanvasLike): Context2D {
  // willReadFrequently keeps the canvas in CPU memory, so getImageData needs no GPU read-back.
  const context = canvas.getContext('2d', { willReadFrequently: true, alpha: false });
  if (!context) {
    throw new Error(`canvas.getContext('2d') returned null for a ${canvas.width}x${canvas.height} canvas: the browser has no 2D canvas`);
  }
  return context;
}

/**
 * Reduces frames to the network input size on one small canvas, placed by the card's resize
 * mode, so the GPU and preprocess() only ever see H x W pixels instead of a full camera frame.
 */
export class FrameReducer {
  private readonly canvas: CanvasLike;
  private readonly context: Context2D;

  constructor(private readonly spec: PreprocessingSpec, createCanvas: CanvasFactory = createDocumentCanvas) {
    const [height, width] = spec.size;
    this.canvas = createCanvas(width, height);
    this.context = context2d(this.canvas);
    // NOTE: Chromium 156 draws video frames with the same filter at every imageSmoothingQuality,
    // which measures close to a 2x2 mipmap level followed by bilinear. It averages more than the
    // bilinear-without-antialiasing of preprocess(), so on fine textures a live prediction can differ
    // from a snapshot of the same frame. 'low' requests the cheapest filter in browsers that do differ.
    this.context.imageSmoothingEnabled = true;
    this.context.imageSmoothingQuality = 'low';
  }

  /** Draw the frame onto the model-sized canvas and return its pixels. */
  reduce(frame: FrameImage): RgbaImage {
    const { width, height } = this.canvas;
    const { source, destination } = drawPlacement(frame.width, frame.height, this.spec.size, this.spec.resize);
    if (this.spec.resize === 'letterbox') {
      this.context.fillStyle = '#000';
      this.context.fillRect(0, 0, width, height);
    }
    this.context.drawImage(frame.image,
      source.x, source.y, source.width, source.height,
      destination.x, destination.y, destination.width, destination.height);
    return this.context.getImageData(0, 0, width, height);
  }
}

export interface CapturedFrame {
  /** At most MAX_DECODED_SIDE pixels on the longest side, like decoded uploads. */
  pixels: RgbaImage;
  /** The frame's own size before any downscale. */
  width: number;
  height: number;
  canvas: CanvasLike;
}

/** Copy a whole frame, downscaled like an uploaded image when it is larger than MAX_DECODED_SIDE. */
export function captureFrame(frame: FrameImage, createCanvas: CanvasFactory = createDocumentCanvas): CapturedFrame {
  const { width, height } = downscaledSize(frame.width, frame.height) ?? frame;
  const canvas = createCanvas(width, height);
  const context = context2d(canvas);
  // The same quality createImageBitmap uses to downscale uploads.
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = 'high';
  context.drawImage(frame.image, 0, 0, frame.width, frame.height, 0, 0, width, height);
  return { pixels: context.getImageData(0, 0, width, height), width: frame.width, height: frame.height, canvas };
}

/** Encode a canvas from captureFrame as PNG. */
export function canvasToPng(canvas: CanvasLike): Promise<Blob> {
  const element = canvas as HTMLCanvasElement;
  return new Promise((resolve, reject) => {
    element.toBlob((blob) => {
      if (blob) resolve(blob);
      else reject(new Error(`canvas.toBlob returned null for a ${canvas.width}x${canvas.height} frame: the canvas is too large or empty`));
    }, 'image/png');
  });
}
