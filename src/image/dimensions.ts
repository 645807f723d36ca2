// Image size from the file header, read before decoding so that a small file that expands to
// billions of pixels (a decompression bomb) is rejected without allocating them.

import { readAscii, readInt32LE, readUint16BE, readUint16LE, readUint24LE, readUint32BE } from './bytes';
import type { DecodableFormat } from './sniff';

export interface Dimensions {
  width: number;
  height: number;
}

/** JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic). 0xC4 (DHT), 0xC8 and 0xCC (DAC) are not frames. */
const JPEG_SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const JPEG_START_OF_SCAN = 0xda;

function dimensions(width: number | undefined, height: number | undefined): Dimensions | null {
  if (width === undefined || height === undefined) return null;
  return { width, height };
}

function readPngDimensions(bytes: Uint8Array): Dimensions | null {
  // IHDR is always the first chunk: 8-byte signature, 4-byte length, "IHDR", width, height.
  if (readAscii(bytes, 12, 4) !== 'IHDR') return null;
  return dimensions(readUint32BE(bytes, 16), readUint32BE(bytes, 20));
}

function readGifDimensions(bytes: Uint8Array): Dimensions | null {
  return dimensions(readUint16LE(bytes, 6), readUint16LE(bytes, 8));
}

function readBmpDimensions(bytes: Uint8Array): Dimensions | null {
  const dibHeaderSize = readInt32LE(bytes, 14);
  if (dibHeaderSize === 12) {
    return dimensions(readUint16LE(bytes, 18), readUint16LE(bytes, 20));
  }
  // A negative height marks a top-down bitmap.
  const height = readInt32LE(bytes, 22);
  return dimensions(readInt32LE(bytes, 18), height === undefined ? undefined : Math.abs(height));
}

function readJpegDimensions(bytes: Uint8Array): Dimensions | null {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1];

    // 0xFF fill bytes may pad the space between segments.
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    // Restart markers and TEM carry no length field.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      offset += 2;
      continue;
    }
    if (JPEG_SOF_MARKERS.has(marker)) {
      // Segment: length (2), sample precision (1), height (2), width (2).
      return dimensions(readUint16BE(bytes, offset + 7), readUint16BE(bytes, offset + 5));
    }
    if (marker === JPEG_START_OF_SCAN) return null;

    const segmentLength = readUint16BE(bytes, offset + 2);
    if (segmentLength === undefined || segmentLength < 2) return null;
    offset += 2 + segmentLength;
  }
  return null;
}

function readWebpDimensions(bytes: Uint8Array): Dimensions | null {
  const chunk = readAscii(bytes, 12, 4);
  if (chunk === 'VP8 ') {
    // Lossy: 3-byte frame tag and 3-byte start code, then 14-bit width and height.
    const width = readUint16LE(bytes, 26);
    const height = readUint16LE(bytes, 28);
    return dimensions(width === undefined ? undefined : width & 0x3fff, height === undefined ? undefined : height & 0x3fff);
  }
  if (chunk === 'VP8L') {
    // Lossless: signature byte 0x2F, then width - 1 and height - 1 in 14 bits each.
    const packed = readUint24LE(bytes, 21);
    const high = bytes[24];
    if (packed === undefined || high === undefined) return null;
    const bits = packed + high * 0x1000000;
    return { width: (bits & 0x3fff) + 1, height: (Math.floor(bits / 0x4000) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    // Extended: 24-bit canvas width - 1 and height - 1.
    const width = readUint24LE(bytes, 24);
    const height = readUint24LE(bytes, 27);
    return dimensions(width === undefined ? undefined : width + 1, height === undefined ? undefined : height + 1);
  }
  return null;
}

/**
 * Read the size from the largest `ispe` (image spatial extents) property. A grid image lists the full
 * size and each tile's size, so the largest one bounds the decoded size.
 */
function readAvifDimensions(bytes: Uint8Array): Dimensions | null {
  let largest: Dimensions | null = null;
  for (let offset = 4; offset + 16 <= bytes.length; offset += 1) {
    if (readAscii(bytes, offset, 4) !== 'ispe') continue;

    // Box type, 4-byte version and flags, then 32-bit width and height.
    const found = dimensions(readUint32BE(bytes, offset + 8), readUint32BE(bytes, offset + 12));
    if (found && (!largest || found.width * found.height > largest.width * largest.height)) {
      largest = found;
    }
  }
  return largest;
}

/**
 * Read the stored width and height from the first bytes of a file, or return null when the
 * header is malformed or longer than the bytes given. EXIF orientation is not applied, which
 * does not matter for the pixel limit because it only swaps the axes.
 */
export function readImageDimensions(bytes: Uint8Array, format: DecodableFormat): Dimensions | null {
  switch (format) {
    case 'png': return readPngDimensions(bytes);
    case 'gif': return readGifDimensions(bytes);
    case 'bmp': return readBmpDimensions(bytes);
    case 'jpeg': return readJpegDimensions(bytes);
    case 'webp': return readWebpDimensions(bytes);
    case 'avif': return readAvifDimensions(bytes);
  }
}
