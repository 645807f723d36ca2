// Byte-level edits of JPEG files: an EXIF orientation tag, and a corrupt body behind a valid header.

const SOI = [0xff, 0xd8];
const APP1 = 0xe1;
const EXIF_ORIENTATION_TAG = 0x0112;
const TIFF_TYPE_SHORT = 3;

function checkStartsWithSoi(jpeg: Buffer): void {
  if (jpeg[0] !== SOI[0] || jpeg[1] !== SOI[1]) {
    throw new Error(`Not a JPEG: the first bytes are ${jpeg.subarray(0, 2).toString('hex')}, expected ffd8 (SOI)`);
  }
}

/**
 * Build an APP1 segment containing an Exif TIFF structure (big-endian) whose IFD0 has one entry,
 * Orientation. 1 is upright, and 6 means the stored image must be turned 90 degrees clockwise to view.
 */
export function exifOrientationSegment(orientation: number): Buffer {
  if (!Number.isInteger(orientation) || orientation < 1 || orientation > 8) {
    throw new Error(`EXIF orientation ${orientation} is invalid: use an integer from 1 to 8`);
  }

  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  // IFD0 starts right after the 8-byte TIFF header.
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8);
  tiff.writeUInt16BE(EXIF_ORIENTATION_TAG, 10);
  tiff.writeUInt16BE(TIFF_TYPE_SHORT, 12);
  tiff.writeUInt32BE(1, 14);
  // A SHORT value is stored in the first two bytes of the 4-byte value field.
  tiff.writeUInt16BE(orientation, 18);
  // Bytes 22-25 stay zero: there is no next IFD.

  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const marker = Buffer.from([0xff, APP1, 0, 0]);
  // The segment length counts its own two bytes but not the marker.
  marker.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([marker, payload]);
}

/** Return `jpeg` with an Exif APP1 segment carrying `orientation` inserted right after SOI. */
export function withExifOrientation(jpeg: Buffer, orientation: number): Buffer {
  checkStartsWithSoi(jpeg);
  return Buffer.concat([jpeg.subarray(0, 2), exifOrientationSegment(orientation), jpeg.subarray(2)]);
}

/** Byte length of SOI plus the APPn segments (JFIF, Exif) that follow it. */
function headerLength(jpeg: Buffer): number {
  let offset = 2;
  while (offset + 4 <= jpeg.length && jpeg[offset] === 0xff && jpeg[offset + 1] >= 0xe0 && jpeg[offset + 1] <= 0xef) {
    offset += 2 + jpeg.readUInt16BE(offset + 2);
  }
  return offset;
}

/** Deterministic filler bytes from a 32-bit linear congruential generator (Numerical Recipes constants). */
export function pseudoRandomBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i += 1) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/**
 * Keep the JPEG signature and APPn header of `jpeg` and replace everything after it (tables,
 * frame header, scan) with `garbageBytes` pseudo-random bytes.
 */
export function withGarbageAfterHeader(jpeg: Buffer, garbageBytes: number, seed = 1): Buffer {
  checkStartsWithSoi(jpeg);
  return Buffer.concat([jpeg.subarray(0, headerLength(jpeg)), pseudoRandomBytes(garbageBytes, seed)]);
}
