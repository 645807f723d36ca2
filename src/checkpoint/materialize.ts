// Decoding of storage bytes into contiguous RawTensors: strided views are gathered element
// by element, float16 and bfloat16 are upcast to float32, integer buffers keep their type.

import { float16ToFloat32 } from '../model/safetensors';
import { elementCount, shapeToString, type RawTensor, type SourceDtype } from '../model/tensors';
import { CheckpointError } from './errors';
import type { TensorRef } from './torchTypes';

type ElementArray = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Uint8Array;

interface IndexedElements {
  readonly length: number;
  [index: number]: number | bigint;
}

let float16Table: Float32Array | null = null;

/** Table of all 65536 float16 values as float32, so decoding is one lookup per element. */
function float16Lookup(): Float32Array {
  if (float16Table === null) {
    float16Table = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits += 1) float16Table[bits] = float16ToFloat32(bits);
  }
  return float16Table;
}

function createElements(dtype: SourceDtype, length: number): ElementArray {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'float16':
    case 'bfloat16': return new Uint16Array(length);
    case 'int64': return new BigInt64Array(length);
    case 'int32': return new Int32Array(length);
    case 'uint8':
    case 'bool': return new Uint8Array(length);
  }
}

function swapByteOrder(bytes: Uint8Array, bytesPerElement: number): Uint8Array {
  const swapped = new Uint8Array(bytes.length);
  for (let start = 0; start < bytes.length; start += bytesPerElement) {
    for (let i = 0; i < bytesPerElement; i += 1) swapped[start + i] = bytes[start + bytesPerElement - 1 - i];
  }
  return swapped;
}

/**
 * View storage bytes as elements of `dtype`. Typed arrays need an aligned offset and the
 * platform's byte order (little-endian in every browser), so misaligned or big-endian data is copied.
 */
export function storageElements(bytes: Uint8Array, dtype: SourceDtype, bytesPerElement: number, littleEndian: boolean): ElementArray {
  let source = littleEndian || bytesPerElement === 1 ? bytes : swapByteOrder(bytes, bytesPerElement);
  if (source.byteOffset % bytesPerElement !== 0) source = source.slice();
  const length = Math.floor(source.byteLength / bytesPerElement);
  const { buffer, byteOffset } = source;
  switch (dtype) {
    case 'float32': return new Float32Array(buffer, byteOffset, length);
    case 'float64': return new Float64Array(buffer, byteOffset, length);
    case 'float16':
    case 'bfloat16': return new Uint16Array(buffer, byteOffset, length);
    case 'int64': return new BigInt64Array(buffer, byteOffset, length);
    case 'int32': return new Int32Array(buffer, byteOffset, length);
    case 'uint8':
    case 'bool': return new Uint8Array(buffer, byteOffset, length);
  }
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d -= 1) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** Copy a strided view into row-major order, walking the index like an odometer. */
function gather(source: IndexedElements, out: IndexedElements, offset: number, shape: readonly number[], stride: readonly number[]): void {
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let position = offset;
  for (let i = 0; i < out.length; i += 1) {
    out[i] = source[position];
    for (let d = rank - 1; d >= 0; d -= 1) {
      index[d] += 1;
      position += stride[d];
      if (index[d] < shape[d]) break;
      position -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
}

function toRawData(elements: ElementArray, dtype: SourceDtype, reusable: boolean): RawTensor['data'] {
  switch (dtype) {
    case 'float16': {
      const table = float16Lookup();
      const out = new Float32Array(elements.length);
      for (let i = 0; i < out.length; i += 1) out[i] = table[elements[i] as number];
      return out;
    }
    case 'bfloat16': {
      // bfloat16 is the upper half of a float32, so shifting the bits up is exact.
      const out = new Float32Array(elements.length);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < out.length; i += 1) bits[i] = (elements[i] as number) << 16;
      return out;
    }
    case 'float64':
      return Float32Array.from(elements as Float64Array);
    default:
      return reusable ? elements as Float32Array | BigInt64Array | Int32Array | Uint8Array : elements.slice() as RawTensor['data'];
  }
}

function checkBounds(name: string, tensor: TensorRef, available: number): void {
  const { shape, stride, storageOffset } = tensor;
  const problem = (message: string): never => {
    throw new CheckpointError('corrupt-archive', `Tensor "${name}" ${shapeToString(shape)} ${message}; `
      + 'the file is corrupt or truncated. Save it again with torch.save.');
  };
  if (stride.length !== shape.length) problem(`has ${stride.length} strides for ${shape.length} dimensions`);
  if (shape.some((size) => !Number.isInteger(size) || size < 0)) problem('has an invalid size');
  if (stride.some((step) => !Number.isInteger(step) || step < 0)) problem(`has invalid strides ${shapeToString(stride)}`);
  if (!Number.isInteger(storageOffset) || storageOffset < 0) problem(`has an invalid storage offset ${storageOffset}`);
  if (elementCount(shape) === 0) return;
  const last = shape.reduce((sum, size, d) => sum + (size - 1) * stride[d], storageOffset);
  if (last >= available) {
    problem(`with strides ${shapeToString(stride)} and storage offset ${storageOffset} reads element ${last}, `
      + `but its storage "${tensor.storage.key}" holds ${available} elements`);
  }
}

export interface MaterializeOptions {
  littleEndian: boolean;
  /** True when `storageBytes` is a private copy that the result may keep without copying again. */
  ownsStorage: boolean;
}

/**
 * Decode one tensor from the bytes of its whole storage. Floating-point dtypes become float32,
 * and `sourceDtype` records what the file stored.
 */
export function materializeTensor(name: string, tensor: TensorRef, storageBytes: Uint8Array, options: MaterializeOptions): RawTensor {
  const { storage } = tensor;
  if (storage.dtype === null) {
    throw new CheckpointError('unsupported-tensor', `Tensor "${name}" is stored as torch.${storage.typeName}, `
      + 'which this app does not decode (it reads float32, float16, bfloat16, float64, int64, int32, uint8 and bool). '
      + 'Convert the weights with model.float() before torch.save.');
  }
  const { dtype, bytesPerElement } = storage.dtype;
  const elements = storageElements(storageBytes, dtype, bytesPerElement, options.littleEndian);
  const available = Math.min(elements.length - storage.elementOffset, storage.numel);
  checkBounds(name, tensor, available);

  const count = elementCount(tensor.shape);
  const start = storage.elementOffset + tensor.storageOffset;
  let contiguous: ElementArray;
  let reusable = false;
  if (isContiguous(tensor.shape, tensor.stride)) {
    contiguous = elements.subarray(start, start + count);
    // A tensor that is exactly its own freshly copied storage can keep that copy.
    reusable = options.ownsStorage && contiguous.byteOffset === 0 && contiguous.byteLength === contiguous.buffer.byteLength;
  } else {
    contiguous = createElements(dtype, count);
    gather(elements, contiguous, start, tensor.shape, tensor.stride);
    reusable = true;
  }
  return { shape: [...tensor.shape], sourceDtype: dtype, data: toRawData(contiguous, dtype, reusable) };
}
