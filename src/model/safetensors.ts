// Reader for the safetensors format: an 8-byte little-endian header length, a JSON header
// mapping names to dtype, shape and byte offsets, then raw little-endian tensor data.

import { BYTES_PER_ELEMENT, elementCount, shapeToString, type RawTensor, type RawTensorMap, type SourceDtype } from './tensors';

const DTYPES: Record<string, SourceDtype> = {
  F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64', I64: 'int64', I32: 'int32', U8: 'uint8', BOOL: 'bool',
};

/** Header size limit: a real header of even coatnet_4 is well under 1 MB. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsFile {
  tensors: RawTensorMap;
  metadata: Record<string, string>;
}

/** Decode an IEEE half-precision value held in the low 16 bits of `bits`. */
export function float16ToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Convert raw little-endian bytes of one dtype to the RawTensor data array. */
export function decodeTensorBytes(bytes: Uint8Array, dtype: SourceDtype): RawTensor['data'] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'float32': {
      const out = new Float32Array(bytes.byteLength / 4);
      for (let i = 0; i < out.length; i += 1) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'float16': {
      const out = new Float32Array(bytes.byteLength / 2);
      for (let i = 0; i < out.length; i += 1) out[i] = float16ToFloat32(view.getUint16(i * 2, true));
      return out;
    }
    case 'bfloat16': {
      // bfloat16 is the upper half of a float32, so shifting the bits up is exact.
      const out = new Float32Array(bytes.byteLength / 2);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < out.length; i += 1) bits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'float64': {
      const out = new Float32Array(bytes.byteLength / 8);
      for (let i = 0; i < out.length; i += 1) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'int64': {
      const out = new BigInt64Array(bytes.byteLength / 8);
      for (let i = 0; i < out.length; i += 1) out[i] = view.getBigInt64(i * 8, true);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(bytes.byteLength / 4);
      for (let i = 0; i < out.length; i += 1) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case 'uint8':
    case 'bool':
      return bytes.slice();
  }
}

function readHeader(buffer: ArrayBuffer, source: string): { header: Record<string, unknown>; dataStart: number } {
  if (buffer.byteLength < 8) {
    throw new Error(`${source} is not a safetensors file: it has ${buffer.byteLength} bytes, fewer than the 8-byte header length`);
  }
  const headerLength = Number(new DataView(buffer).getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > buffer.byteLength) {
    throw new Error(`${source} is not a valid safetensors file: header length ${headerLength} does not fit in ${buffer.byteLength} bytes`);
  }
  const text = new TextDecoder().decode(new Uint8Array(buffer, 8, headerLength));
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source} is not a valid safetensors file: its header is not JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new Error(`${source} is not a valid safetensors file: its header is not a JSON object`);
  }
  return { header: header as Record<string, unknown>, dataStart: 8 + headerLength };
}

function readEntry(buffer: ArrayBuffer, dataStart: number, name: string, entry: HeaderEntry, source: string): RawTensor {
  const dtype = Object.hasOwn(DTYPES, entry.dtype) ? DTYPES[entry.dtype] : undefined;
  if (!dtype) {
    throw new Error(`${source}: tensor "${name}" has dtype ${entry.dtype}; supported: ${Object.keys(DTYPES).join(', ')}`);
  }
  const [begin, end] = entry.data_offsets ?? [];
  const expectedBytes = elementCount(entry.shape) * BYTES_PER_ELEMENT[dtype];
  if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end - begin !== expectedBytes
      || dataStart + end > buffer.byteLength) {
    throw new Error(`${source}: tensor "${name}" ${entry.dtype} ${shapeToString(entry.shape)} needs ${expectedBytes} bytes `
      + `but its offsets are [${begin}, ${end}] in a data section of ${buffer.byteLength - dataStart} bytes; the file is truncated or corrupt`);
  }
  const bytes = new Uint8Array(buffer, dataStart + begin, expectedBytes);
  return { shape: entry.shape, sourceDtype: dtype, data: decodeTensorBytes(bytes, dtype) };
}

/** Parse a whole safetensors file held in memory; `source` names it in errors. */
export function parseSafetensors(buffer: ArrayBuffer, source = 'The file'): SafetensorsFile {
  const { header, dataStart } = readHeader(buffer, source);
  const tensors: RawTensorMap = new Map();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = value as Record<string, string>;
      continue;
    }
    tensors.set(name, readEntry(buffer, dataStart, name, value as HeaderEntry, source));
  }
  return { tensors, metadata };
}
