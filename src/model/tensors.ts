// Framework-free tensors as read from weight files, before they become TF.js tensors.

export type SourceDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'uint8' | 'bool';

/** Size of one element of each dtype in a weight file, in bytes. */
export const BYTES_PER_ELEMENT: Record<SourceDtype, number> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1,
};

/**
 * One named tensor in PyTorch layout (NCHW activations, OIHW kernels, [out, in] linears).
 * Floating-point data is always float32 here; `sourceDtype` records what the file stored.
 */
export interface RawTensor {
  shape: number[];
  sourceDtype: SourceDtype;
  data: Float32Array | BigInt64Array | Int32Array | Uint8Array;
}

export type RawTensorMap = Map<string, RawTensor>;

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

export function shapeToString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Return the data of a floating-point tensor, or throw naming the tensor and its dtype. */
export function floatData(name: string, tensor: RawTensor): Float32Array {
  if (!(tensor.data instanceof Float32Array)) {
    throw new Error(`Tensor "${name}" has dtype ${tensor.sourceDtype}; a floating-point tensor is expected`);
  }
  return tensor.data;
}
