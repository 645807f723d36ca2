// File type detection from magic bytes, because browsers report an empty or guessed MIME type
// for dropped and pasted files and the file name extension is often wrong.

import { readAscii, readUint32BE, readUint32LE } from './bytes';

/** Formats the app hands to createImageBitmap. */
export type DecodableFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'avif';

/**
 * Recognized image formats that Chromium cannot decode. Some other browsers decode a few of them,
 * but the app rejects them everywhere so that what works does not depend on the browser.
 */
export type UndecodableFormat = 'HEIC' | 'HEIF' | 'TIFF' | 'JPEG XL' | 'SVG';

export type SniffResult =
  | { kind: 'decodable'; format: DecodableFormat }
  | { kind: 'undecodable'; format: UndecodableFormat }
  | { kind: 'unknown' };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];
const TIFF_LITTLE_ENDIAN = [0x49, 0x49, 0x2a, 0x00];
const TIFF_BIG_ENDIAN = [0x4d, 0x4d, 0x00, 0x2a];
const JPEG_XL_CODESTREAM = [0xff, 0x0a];

/** BITMAPCOREHEADER, BITMAPINFOHEADER and its V2..V5 successors, by their byte size. */
const BMP_DIB_HEADER_SIZES = new Set([12, 40, 52, 56, 64, 108, 124]);

const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIC_BRANDS = new Set(['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs']);
const HEIF_BRANDS = new Set(['mif1', 'mif2', 'msf1']);

/** An SVG root element has to appear this early for the file to count as SVG. */
const SVG_SEARCH_BYTES = 1024;

function startsWith(bytes: Uint8Array, signature: number[]): boolean {
  return bytes.length >= signature.length && signature.every((value, i) => bytes[i] === value);
}

/** Read the major and compatible brands of an ISO BMFF `ftyp` box at the start of the file. */
function readFtypBrands(bytes: Uint8Array): string[] {
  const boxSize = Math.min(readUint32BE(bytes, 0) ?? 0, bytes.length);
  const brands = [readAscii(bytes, 8, 4)];

  // Compatible brands follow the 4-byte major brand and the 4-byte minor version.
  for (let offset = 16; offset + 4 <= boxSize; offset += 4) {
    brands.push(readAscii(bytes, offset, 4));
  }
  return brands;
}

function sniffIsoBmff(bytes: Uint8Array): SniffResult {
  const brands = readFtypBrands(bytes);

  // AVIF files also list the generic HEIF brand mif1, so AVIF has to be checked first.
  if (brands.some((brand) => AVIF_BRANDS.has(brand))) return { kind: 'decodable', format: 'avif' };
  if (brands.some((brand) => HEIC_BRANDS.has(brand))) return { kind: 'undecodable', format: 'HEIC' };
  if (brands.some((brand) => HEIF_BRANDS.has(brand))) return { kind: 'undecodable', format: 'HEIF' };
  if (brands.includes('jxl ')) return { kind: 'undecodable', format: 'JPEG XL' };
  return { kind: 'unknown' };
}

function isBmp(bytes: Uint8Array): boolean {
  // "BM" also starts ordinary text, so the DIB header size must be a known one as well.
  const dibHeaderSize = readUint32LE(bytes, 14);
  return readAscii(bytes, 0, 2) === 'BM' && dibHeaderSize !== undefined && BMP_DIB_HEADER_SIZES.has(dibHeaderSize);
}

function isSvg(bytes: Uint8Array): boolean {
  // TextDecoder drops a UTF-8 byte order mark.
  const text = new TextDecoder().decode(bytes.subarray(0, SVG_SEARCH_BYTES)).trimStart();
  return text.startsWith('<') && /<svg[\s>]/i.test(text);
}

/**
 * Identify the image format from the start of a file. 64 bytes identify every binary format,
 * and SVG detection looks at up to 1 KiB.
 */
export function sniffImageFormat(bytes: Uint8Array): SniffResult {
  if (startsWith(bytes, PNG_SIGNATURE)) return { kind: 'decodable', format: 'png' };
  if (startsWith(bytes, JPEG_SIGNATURE)) return { kind: 'decodable', format: 'jpeg' };
  if (['GIF87a', 'GIF89a'].includes(readAscii(bytes, 0, 6))) return { kind: 'decodable', format: 'gif' };
  if (readAscii(bytes, 0, 4) === 'RIFF' && readAscii(bytes, 8, 4) === 'WEBP') return { kind: 'decodable', format: 'webp' };
  if (isBmp(bytes)) return { kind: 'decodable', format: 'bmp' };
  if (readAscii(bytes, 4, 4) === 'ftyp') return sniffIsoBmff(bytes);

  if (startsWith(bytes, TIFF_LITTLE_ENDIAN) || startsWith(bytes, TIFF_BIG_ENDIAN)) {
    return { kind: 'undecodable', format: 'TIFF' };
  }
  // A bare JPEG XL codestream, or the boxed form that starts with a "JXL " signature box.
  if (startsWith(bytes, JPEG_XL_CODESTREAM) || readAscii(bytes, 4, 4) === 'JXL ') {
    return { kind: 'undecodable', format: 'JPEG XL' };
  }
  if (isSvg(bytes)) return { kind: 'undecodable', format: 'SVG' };
  return { kind: 'unknown' };
}
