// Test images built in the page with a 2D canvas from the Fashion-MNIST PNGs, then edited as
// bytes in Node where a canvas cannot produce the file (EXIF tags, transparent pixel colors).

import type { Page } from '@playwright/test';

import type { UploadFile } from './app';
import { withExifOrientation } from './jpeg';
import { encodeRgbaPng } from './png';

export interface Rectangle {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface CanvasImageSpec {
  /** Canvas size in pixels, before any rotation. */
  width: number;
  height: number;
  /** Where the source image is drawn, scaled with the canvas's default smoothing. The rest stays black. */
  placement: Rectangle;
  /** Turn the finished canvas 90 degrees counter-clockwise, which swaps width and height. */
  rotateCounterClockwise?: boolean;
  type: 'image/png' | 'image/jpeg';
  /** Encoder quality from 0 to 1, for JPEG. */
  quality?: number;
}

export interface RgbaPixels {
  width: number;
  height: number;
  data: Uint8Array;
}

/** EXIF orientation 6: the stored image is the upright one turned 90 degrees counter-clockwise. */
const EXIF_ROTATE_CLOCKWISE = 6;

/** Draw `sourcePng` on a black canvas as `spec` describes and return the encoded file. */
export async function renderImage(page: Page, sourcePng: Buffer, spec: CanvasImageSpec): Promise<Buffer> {
  const base64 = await page.evaluate(async ({ source, spec }) => {
    const bytes = Uint8Array.from(atob(source), (char) => char.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));

    const upright = new OffscreenCanvas(spec.width, spec.height);
    const context = upright.getContext('2d');
    if (!context) throw new Error('OffscreenCanvas has no 2D context');
    context.fillStyle = '#000';
    context.fillRect(0, 0, spec.width, spec.height);
    const { x, y, width, height } = spec.placement;
    context.drawImage(bitmap, x, y, width, height);

    let canvas = upright;
    if (spec.rotateCounterClockwise) {
      canvas = new OffscreenCanvas(spec.height, spec.width);
      const rotated = canvas.getContext('2d');
      if (!rotated) throw new Error('OffscreenCanvas has no 2D context');
      // Maps upright pixel (x, y) onto (y, width - 1 - x) exactly, with no resampling.
      rotated.imageSmoothingEnabled = false;
      rotated.translate(0, spec.width);
      rotated.rotate(-Math.PI / 2);
      rotated.drawImage(upright, 0, 0);
    }

    const blob = await canvas.convertToBlob({ type: spec.type, quality: spec.quality });
    const encoded = new Uint8Array(await blob.arrayBuffer());
    // String.fromCharCode takes a limited number of arguments, so convert in slices.
    let binary = '';
    for (let offset = 0; offset < encoded.length; offset += 0x8000) {
      binary += String.fromCharCode(...encoded.subarray(offset, offset + 0x8000));
    }
    return btoa(binary);
  }, { source: sourcePng.toString('base64'), spec });

  return Buffer.from(base64, 'base64');
}

/** Decode a PNG in the page and return its RGBA pixels. */
export async function readRgbaPixels(page: Page, png: Buffer): Promise<RgbaPixels> {
  const pixels = await page.evaluate(async (source) => {
    const bytes = Uint8Array.from(atob(source), (char) => char.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }),
      { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('OffscreenCanvas has no 2D context');
    context.drawImage(bitmap, 0, 0);
    const imageData = context.getImageData(0, 0, bitmap.width, bitmap.height);
    return { width: imageData.width, height: imageData.height, data: Array.from(imageData.data) };
  }, png.toString('base64'));

  return { width: pixels.width, height: pixels.height, data: Uint8Array.from(pixels.data) };
}

/**
 * Make a copy of a grayscale image where the black background (value 0) is fully transparent and
 * every other pixel opaque. The transparent pixels store white, so a decoder that drops alpha
 * instead of compositing onto black gets a white background.
 */
export async function transparentBackgroundPng(page: Page, grayPng: Buffer): Promise<Buffer> {
  const { width, height, data } = await readRgbaPixels(page, grayPng);
  const rgba = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i += 4) {
    const background = data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 0;
    rgba.set(background ? [255, 255, 255, 0] : [data[i], data[i + 1], data[i + 2], 255], i);
  }
  return encodeRgbaPng(width, height, rgba);
}

export interface OrientationJpegs {
  /** The upright picture, no EXIF. */
  upright: UploadFile;
  /** The same picture stored turned 90 degrees counter-clockwise, no EXIF. */
  sideways: UploadFile;
  /** `sideways` with EXIF orientation 6, which viewers turn back upright. */
  sidewaysWithExif: UploadFile;
}

/**
 * Build the JPEGs of the EXIF orientation check from a test image stretched over a
 * `width` x `height` canvas. Quality 1 keeps JPEG rounding small, and sides that are multiples of
 * 16 put the 8x8 blocks of the upright and the turned picture on the same pixels.
 */
export async function orientationJpegs(page: Page, grayPng: Buffer, width: number, height: number): Promise<OrientationJpegs> {
  const spec: CanvasImageSpec = {
    width,
    height,
    placement: { x: 0, y: 0, width, height },
    type: 'image/jpeg',
    quality: 1,
  };
  const upright = await renderImage(page, grayPng, spec);
  const sideways = await renderImage(page, grayPng, { ...spec, rotateCounterClockwise: true });

  return {
    upright: { name: 'upright.jpg', mimeType: 'image/jpeg', buffer: upright },
    sideways: { name: 'sideways.jpg', mimeType: 'image/jpeg', buffer: sideways },
    sidewaysWithExif: {
      name: 'sideways-exif-6.jpg',
      mimeType: 'image/jpeg',
      buffer: withExifOrientation(sideways, EXIF_ROTATE_CLOCKWISE),
    },
  };
}

/** Build a `width` x `height` JPEG photo: the test image scaled to the full height, centred on black. */
export async function centredPhotoJpeg(page: Page, grayPng: Buffer, width: number, height: number): Promise<UploadFile> {
  const side = Math.min(width, height);
  const buffer = await renderImage(page, grayPng, {
    width,
    height,
    placement: { x: Math.round((width - side) / 2), y: Math.round((height - side) / 2), width: side, height: side },
    type: 'image/jpeg',
    quality: 0.92,
  });
  return { name: `photo-${width}x${height}.jpg`, mimeType: 'image/jpeg', buffer };
}
