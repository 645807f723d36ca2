import { describe, expect, it } from 'vitest';

import { readImageDimensions } from './dimensions';

const ascii = (text: string) => Array.from(text, (char) => char.charCodeAt(0));
const bytes = (...parts: (number[] | string)[]) => new Uint8Array(parts.flatMap((part) => (typeof part === 'string' ? ascii(part) : part)));
const uint16BE = (value: number) => [(value >>> 8) & 0xff, value & 0xff];
const uint16LE = (value: number) => uint16BE(value).reverse();
const uint32BE = (value: number) => [(value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
const uint32LE = (value: number) => uint32BE(value).reverse();
const int32LE = (value: number) => uint32LE(value >>> 0);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function jpegSegment(marker: number, body: number[]): number[] {
  return [0xff, marker, ...uint16BE(body.length + 2), ...body];
}

describe('readImageDimensions', () => {
  it('reads the PNG IHDR', () => {
    const png = bytes(PNG_SIGNATURE, uint32BE(13), 'IHDR', uint32BE(3000), uint32BE(2000), [8, 0, 0, 0, 0]);
    expect(readImageDimensions(png, 'png')).toEqual({ width: 3000, height: 2000 });
  });

  it('returns null for a PNG without IHDR first', () => {
    const png = bytes(PNG_SIGNATURE, uint32BE(13), 'tEXt', uint32BE(3000), uint32BE(2000));
    expect(readImageDimensions(png, 'png')).toBeNull();
  });

  it('reads the GIF logical screen', () => {
    expect(readImageDimensions(bytes('GIF89a', uint16LE(640), uint16LE(480)), 'gif')).toEqual({ width: 640, height: 480 });
  });

  it('reads a top-down BMP with negative height', () => {
    const bmp = bytes('BM', new Array(12).fill(0), uint32LE(40), int32LE(300), int32LE(-200));
    expect(readImageDimensions(bmp, 'bmp')).toEqual({ width: 300, height: 200 });
  });

  it('reads an OS/2 BMP core header', () => {
    const bmp = bytes('BM', new Array(12).fill(0), uint32LE(12), uint16LE(30), uint16LE(20));
    expect(readImageDimensions(bmp, 'bmp')).toEqual({ width: 30, height: 20 });
  });

  it('finds the JPEG frame behind APP segments and fill bytes', () => {
    const jpeg = bytes(
      [0xff, 0xd8],
      jpegSegment(0xe0, ascii('JFIF\0').concat([1, 1, 0, 0, 1, 0, 1, 0, 0])),
      jpegSegment(0xe1, new Array(5000).fill(0x45)),
      [0xff, 0xff],
      jpegSegment(0xdb, new Array(65).fill(1)),
      // Progressive SOF2: precision 8, height 4032, width 3024, 3 components.
      jpegSegment(0xc2, [8, ...uint16BE(4032), ...uint16BE(3024), 3]),
    );
    expect(readImageDimensions(jpeg, 'jpeg')).toEqual({ width: 3024, height: 4032 });
  });

  it('does not mistake the JPEG DHT marker for a frame', () => {
    const jpeg = bytes([0xff, 0xd8], jpegSegment(0xc4, [0, 1, 2, 3, 4, 5, 6]), [0xff, 0xda, 0, 2]);
    expect(readImageDimensions(jpeg, 'jpeg')).toBeNull();
  });

  it('returns null for a JPEG cut before its frame', () => {
    const jpeg = bytes([0xff, 0xd8], jpegSegment(0xe1, new Array(100).fill(0)));
    expect(readImageDimensions(jpeg.subarray(0, 50), 'jpeg')).toBeNull();
  });

  it('reads lossy WebP (VP8)', () => {
    const webp = bytes('RIFF', uint32LE(100), 'WEBPVP8 ', uint32LE(80), [0x9d, 0x01, 0x2a], [0x9d, 0x01, 0x2a],
      uint16LE(0xc000 | 1920), uint16LE(1080));
    expect(readImageDimensions(webp, 'webp')).toEqual({ width: 1920, height: 1080 });
  });

  it('reads lossless WebP (VP8L)', () => {
    // 14 bits width - 1, then 14 bits height - 1, little-endian after the 0x2F signature.
    const packed = (400 - 1) | ((300 - 1) << 14);
    const webp = bytes('RIFF', uint32LE(100), 'WEBPVP8L', uint32LE(80), [0x2f], uint32LE(packed));
    expect(readImageDimensions(webp, 'webp')).toEqual({ width: 400, height: 300 });
  });

  it('reads extended WebP (VP8X)', () => {
    const width = 8000 - 1;
    const height = 7000 - 1;
    const webp = bytes('RIFF', uint32LE(100), 'WEBPVP8X', uint32LE(10), [0x10, 0, 0, 0],
      [width & 0xff, (width >> 8) & 0xff, width >> 16], [height & 0xff, (height >> 8) & 0xff, height >> 16]);
    expect(readImageDimensions(webp, 'webp')).toEqual({ width: 8000, height: 7000 });
  });

  it('takes the largest AVIF ispe of a grid image', () => {
    const ispe = (width: number, height: number) => [...uint32BE(20), ...ascii('ispe'), 0, 0, 0, 0, ...uint32BE(width), ...uint32BE(height)];
    const avif = bytes(uint32BE(24), 'ftypavif', [0, 0, 0, 0], 'mif1miaf', ispe(512, 512), ispe(8192, 8192), ispe(512, 512));
    expect(readImageDimensions(avif, 'avif')).toEqual({ width: 8192, height: 8192 });
  });

  it('returns null for an AVIF header without ispe', () => {
    expect(readImageDimensions(bytes(uint32BE(24), 'ftypavif', [0, 0, 0, 0], 'mif1miaf'), 'avif')).toBeNull();
  });
});
