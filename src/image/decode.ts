// Browser image decoding: a user's file becomes RGBA pixels for the classifier and a URL for <img>.

import type { RgbaImage } from '../model/preprocess';
import { readImageDimensions, type Dimensions } from './dimensions';
import { sniffImageFormat, type DecodableFormat } from './sniff';

/**
 * Largest accepted file, in bytes. Phone photos are typically 2-15 MB. 100 MiB leaves room for
 * uncompressed BMP and PNG scans while keeping a mistaken drop of a video or archive cheap.
 */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;

/**
 * Largest accepted image, in pixels. Decoding needs 4 bytes per pixel at full size (200 MB at
 * 50 megapixels) before the downscale. Typical phone photos (12-50 MP) stay within it.
 */
export const MAX_PIXELS = 50_000_000;

/** Maximum side length of the pixels handed to the classifier. Larger images are downscaled. */
export const MAX_DECODED_SIDE = 1024;

/** Header bytes read before decoding: enough for JPEG markers behind large EXIF and ICC segments. */
const HEADER_BYTES = 512 * 1024;

export type DecodeErrorCode = 'empty-file' | 'not-an-image' | 'unsupported-format' | 'decode-failed' | 'too-large';

/** Values the UI interpolates into the translated message for each code. */
export interface DecodeErrorParams {
  name: string;
  /** Undecodable format name for 'unsupported-format'. */
  format?: string;
  /** For 'too-large': the exceeded limit, then the actual value and the maximum in that limit's unit. */
  limit?: 'bytes' | 'pixels';
  actual?: number;
  maximum?: number;
}

/** A decoding failure with a code the UI translates. Its `message` is technical English for logs. */
export class ImageDecodeError extends Error {
  readonly code: DecodeErrorCode;
  readonly params: DecodeErrorParams;

  constructor(code: DecodeErrorCode, params: DecodeErrorParams, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ImageDecodeError';
    this.code = code;
    this.params = params;
  }
}

export interface DecodedImage {
  /** Pixels after EXIF orientation, downscaled to at most MAX_DECODED_SIDE on the longest side. */
  pixels: RgbaImage;
  /** Size of the original image after EXIF orientation. */
  width: number;
  height: number;
  format: DecodableFormat;
  /** Object URL of the original file for <img>. The caller owns it and must revoke it. */
  displayUrl: string;
}

/** Return the file name to show, or 'image' for unnamed blobs such as pasted screenshots. */
function fileLabel(file: Blob & { name?: string }): string {
  return file.name && file.name.length > 0 ? file.name : 'image';
}

function checkFileSize(file: Blob, name: string): void {
  if (file.size === 0) {
    throw new ImageDecodeError('empty-file', { name }, `File "${name}" is empty (0 bytes): choose an image file`);
  }
  if (file.size > MAX_FILE_BYTES) {
    throw new ImageDecodeError('too-large', { name, limit: 'bytes', actual: file.size, maximum: MAX_FILE_BYTES },
      `File "${name}" is ${file.size} bytes, over the ${MAX_FILE_BYTES}-byte limit: use a smaller image`);
  }
}

function checkPixelCount(size: Dimensions, name: string): void {
  const pixels = size.width * size.height;
  if (pixels > MAX_PIXELS) {
    throw new ImageDecodeError('too-large', { name, limit: 'pixels', actual: pixels, maximum: MAX_PIXELS },
      `Image "${name}" is ${size.width}x${size.height} (${pixels} pixels), over the ${MAX_PIXELS}-pixel limit: `
      + 'downscale it first');
  }
}

/** Check the magic bytes and, where the header gives it, the pixel count before decoding. */
async function inspectHeader(file: Blob, name: string): Promise<DecodableFormat> {
  const header = new Uint8Array(await file.slice(0, HEADER_BYTES).arrayBuffer());
  const sniffed = sniffImageFormat(header);

  if (sniffed.kind === 'undecodable') {
    throw new ImageDecodeError('unsupported-format', { name, format: sniffed.format },
      `File "${name}" is ${sniffed.format}, which the browser cannot decode: convert it to JPEG or PNG`);
  }
  if (sniffed.kind === 'unknown') {
    throw new ImageDecodeError('not-an-image', { name },
      `File "${name}" is not a PNG, JPEG, GIF, WebP, BMP or AVIF image (its first bytes match none of them)`);
  }

  const size = readImageDimensions(header, sniffed.format);
  if (size) checkPixelCount(size, name);
  return sniffed.format;
}

async function decodeBitmap(file: Blob, name: string, format: DecodableFormat): Promise<ImageBitmap> {
  try {
    // colorSpaceConversion 'none' keeps the stored byte values instead of applying an embedded
    // color profile, because the training images were raw bytes too.
    return await createImageBitmap(file, {
      imageOrientation: 'from-image',
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
    });
  } catch (cause) {
    throw new ImageDecodeError('decode-failed', { name },
      `File "${name}" looks like ${format.toUpperCase()} but could not be decoded (${String(cause)}): `
      + 'the file is corrupt or truncated', { cause });
  }
}

/** Compute the size that fits inside MAX_DECODED_SIDE with the aspect ratio kept, or null when it fits already. */
export function downscaledSize(width: number, height: number): Dimensions | null {
  const longest = Math.max(width, height);
  if (longest <= MAX_DECODED_SIDE) return null;
  const scale = MAX_DECODED_SIDE / longest;
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

/** Resize an already oriented bitmap, so the target size never depends on EXIF handling. */
async function downscale(bitmap: ImageBitmap, name: string): Promise<ImageBitmap> {
  const target = downscaledSize(bitmap.width, bitmap.height);
  if (!target) return bitmap;
  try {
    return await createImageBitmap(bitmap, {
      resizeWidth: target.width,
      resizeHeight: target.height,
      resizeQuality: 'high',
      premultiplyAlpha: 'none',
    });
  } catch (cause) {
    throw new ImageDecodeError('decode-failed', { name },
      `Image "${name}" could not be downscaled to ${target.width}x${target.height} (${String(cause)})`, { cause });
  } finally {
    bitmap.close();
  }
}

type Context2D = OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;

function create2dContext(width: number, height: number): Context2D | null {
  if (typeof OffscreenCanvas !== 'undefined') {
    return new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  }
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  return canvas.getContext('2d', { willReadFrequently: true });
}

/**
 * Read RGBA through a 2D canvas.
 * NOTE: 2D canvases store premultiplied alpha, so the color of a semi-transparent pixel can come
 * back a level or more off (200 at alpha 128 reads as 199). After compositing onto black, as
 * preprocessing does, the error stays within about one 8-bit level. Opaque pixels are exact.
 */
function readPixels(bitmap: ImageBitmap, name: string): RgbaImage {
  const context = create2dContext(bitmap.width, bitmap.height);
  if (!context) {
    throw new ImageDecodeError('decode-failed', { name },
      `No 2D canvas context is available to read the pixels of "${name}"`);
  }
  context.drawImage(bitmap, 0, 0);
  const imageData = context.getImageData(0, 0, bitmap.width, bitmap.height);
  return { data: imageData.data, width: imageData.width, height: imageData.height };
}

/** Decoded image without its display URL: the part that can run in a worker. */
export type DecodedPixels = Omit<DecodedImage, 'displayUrl'>;

/**
 * Decode an image file into RGBA pixels with EXIF orientation applied and alpha kept.
 * Runs in a window or a worker: it needs createImageBitmap and a 2D canvas, not the DOM.
 * Throws ImageDecodeError: 'empty-file', 'too-large' (over MAX_FILE_BYTES or MAX_PIXELS),
 * 'unsupported-format' (HEIC, HEIF, TIFF, JPEG XL, SVG), 'not-an-image' or 'decode-failed'.
 */
export async function decodeImagePixels(file: Blob & { name?: string }): Promise<DecodedPixels> {
  const name = fileLabel(file);
  checkFileSize(file, name);
  const format = await inspectHeader(file, name);

  const original = await decodeBitmap(file, name, format);
  const width = original.width;
  const height = original.height;

  // Formats whose header size was not read are checked here, after the full-size decode.
  try {
    checkPixelCount({ width, height }, name);
  } catch (error) {
    original.close();
    throw error;
  }

  const bitmap = await downscale(original, name);
  try {
    return { pixels: readPixels(bitmap, name), width, height, format };
  } finally {
    bitmap.close();
  }
}
