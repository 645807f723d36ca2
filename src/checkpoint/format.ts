// Recognizing a weight file by its first bytes, not its name: users rename .pth, .pt, .bin
// and .ckpt files freely.

export type CheckpointFormat = 'torch-zip' | 'torch-legacy' | 'safetensors';

export type SniffedFormat = CheckpointFormat | 'torch-tar' | 'pickle' | 'unknown';

/** The pickled magic number that starts a legacy torch.save file (LONG1 of 10 bytes). */
const LEGACY_MAGIC_PICKLE = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  return bytes.length >= at + prefix.length && prefix.every((value, i) => bytes[at + i] === value);
}

function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return headerLength > 1n && 8n + headerLength <= BigInt(bytes.length) && bytes[8] === 0x7b;
}

function isLegacyTorch(bytes: Uint8Array): boolean {
  if (bytes[0] !== 0x80 || bytes[1] < 2 || bytes[1] > 5) return false;
  // Protocol 4 and later may put a FRAME opcode (0x95 and an 8-byte length) after PROTO.
  const start = bytes[2] === 0x95 ? 11 : 2;
  return startsWith(bytes, LEGACY_MAGIC_PICKLE, start);
}

/** Identify the format from the content. */
export function sniffFormat(bytes: Uint8Array): SniffedFormat {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04]) || startsWith(bytes, [0x50, 0x4b, 0x05, 0x06])) return 'torch-zip';
  if (isLegacyTorch(bytes)) return 'torch-legacy';
  if (isSafetensors(bytes)) return 'safetensors';
  // The tar format of PyTorch < 0.1.10: a POSIX tar header has "ustar" at byte 257.
  if (startsWith(bytes, [0x75, 0x73, 0x74, 0x61, 0x72], 257)) return 'torch-tar';
  if (bytes[0] === 0x80 && bytes[1] >= 2 && bytes[1] <= 5) return 'pickle';
  return 'unknown';
}

export function describeFirstBytes(bytes: Uint8Array, count = 8): string {
  return Array.from(bytes.subarray(0, count), (value) => value.toString(16).padStart(2, '0')).join(' ');
}
