// Writer for the safetensors format (the reader is src/model/safetensors.ts): an 8-byte
// little-endian header length, a JSON header of dtype, shape and data_offsets per tensor, then
// the raw little-endian tensor bytes in header order.

import type { RawTensor, RawTensorMap } from '../model/tensors';

/**
 * The header is padded with spaces to a multiple of 8 bytes, as the Hugging Face writer does,
 * so every tensor's data starts 8-byte aligned in the file.
 */
const HEADER_ALIGNMENT = 8;

/** Safetensors dtype name of the data as held in memory (floating point is float32 after import). */
function storedDtype(name: string, tensor: RawTensor): string {
  const { data } = tensor;
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof BigInt64Array) return 'I64';
  if (data instanceof Int32Array) return 'I32';
  if (data instanceof Uint8Array) return tensor.sourceDtype === 'bool' ? 'BOOL' : 'U8';
  throw new Error(`Tensor "${name}" has data of type ${(data as object).constructor.name}, which has no safetensors dtype; `
    + 'convert it to float32 before saving');
}

function headerBytes(tensors: RawTensorMap, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const end = offset + tensor.data.byteLength;
    header[name] = { dtype: storedDtype(name, tensor), shape: tensor.shape, data_offsets: [offset, end] };
    offset = end;
  }
  const json = JSON.stringify(header);
  const padding = (HEADER_ALIGNMENT - (new TextEncoder().encode(json).length % HEADER_ALIGNMENT)) % HEADER_ALIGNMENT;
  return new TextEncoder().encode(json + ' '.repeat(padding));
}

/**
 * Encode tensors as a safetensors Blob. The Blob copies each tensor's bytes, so the caller may
 * drop the tensors afterwards. Typed arrays are written in the platform's byte order, which is
 * little-endian in every browser this app supports.
 */
export function encodeSafetensors(tensors: RawTensorMap, metadata: Record<string, string> = {}): Blob {
  const header = headerBytes(tensors, metadata);
  const length = new Uint8Array(8);
  new DataView(length.buffer).setBigUint64(0, BigInt(header.byteLength), true);

  const parts: Uint8Array<ArrayBuffer>[] = [length, header as Uint8Array<ArrayBuffer>];
  for (const tensor of tensors.values()) {
    const { buffer, byteOffset, byteLength } = tensor.data;
    parts.push(new Uint8Array(buffer as ArrayBuffer, byteOffset, byteLength));
  }
  return new Blob(parts, { type: 'application/octet-stream' });
}
