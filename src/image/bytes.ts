// Bounds-checked readers for binary file headers. Out-of-range reads return undefined or ''.

export function readAscii(bytes: Uint8Array, offset: number, length: number): string {
  if (offset < 0 || bytes.length < offset + length) return '';
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

export function readUint16LE(bytes: Uint8Array, offset: number): number | undefined {
  if (offset < 0 || bytes.length < offset + 2) return undefined;
  return bytes[offset] | (bytes[offset + 1] << 8);
}

export function readUint16BE(bytes: Uint8Array, offset: number): number | undefined {
  if (offset < 0 || bytes.length < offset + 2) return undefined;
  return (bytes[offset] << 8) | bytes[offset + 1];
}

export function readUint24LE(bytes: Uint8Array, offset: number): number | undefined {
  if (offset < 0 || bytes.length < offset + 3) return undefined;
  return bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16);
}

export function readUint32LE(bytes: Uint8Array, offset: number): number | undefined {
  if (offset < 0 || bytes.length < offset + 4) return undefined;
  return (bytes[offset] | (bytes[offset + 1] << 8) | (bytes[offset + 2] << 16) | (bytes[offset + 3] << 24)) >>> 0;
}

export function readUint32BE(bytes: Uint8Array, offset: number): number | undefined {
  if (offset < 0 || bytes.length < offset + 4) return undefined;
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

export function readInt32LE(bytes: Uint8Array, offset: number): number | undefined {
  const value = readUint32LE(bytes, offset);
  return value === undefined ? undefined : value | 0;
}
