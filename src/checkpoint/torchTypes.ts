// Placeholders for torch storages and tensors as the pickle describes them. Their bytes stay
// in the archive until the weights are chosen, so optimizer state is never decoded.

import { BYTES_PER_ELEMENT, type SourceDtype } from '../model/tensors';
import { CheckpointError } from './errors';
import { GlobalRef, PickleExtension, describeValue, type PickleValue } from './pickleValues';

export interface StorageDtype {
  dtype: SourceDtype;
  bytesPerElement: number;
}

const withSize = (dtype: SourceDtype): StorageDtype => ({ dtype, bytesPerElement: BYTES_PER_ELEMENT[dtype] });

/** torch.*Storage class names that the reader decodes, by the dtype of their elements. */
const STORAGE_DTYPES: Record<string, StorageDtype> = {
  FloatStorage: withSize('float32'),
  HalfStorage: withSize('float16'),
  BFloat16Storage: withSize('bfloat16'),
  DoubleStorage: withSize('float64'),
  LongStorage: withSize('int64'),
  IntStorage: withSize('int32'),
  ByteStorage: withSize('uint8'),
  BoolStorage: withSize('bool'),
  UntypedStorage: withSize('uint8'),
};

/** torch dtype names (torch.float32 and its aliases) of the dtypes that the reader decodes. */
const TORCH_DTYPES: Record<string, StorageDtype> = {
  float32: STORAGE_DTYPES.FloatStorage,
  float: STORAGE_DTYPES.FloatStorage,
  float16: STORAGE_DTYPES.HalfStorage,
  half: STORAGE_DTYPES.HalfStorage,
  bfloat16: STORAGE_DTYPES.BFloat16Storage,
  float64: STORAGE_DTYPES.DoubleStorage,
  double: STORAGE_DTYPES.DoubleStorage,
  int64: STORAGE_DTYPES.LongStorage,
  long: STORAGE_DTYPES.LongStorage,
  int32: STORAGE_DTYPES.IntStorage,
  int: STORAGE_DTYPES.IntStorage,
  uint8: STORAGE_DTYPES.ByteStorage,
  bool: STORAGE_DTYPES.BoolStorage,
};

/** Return the element type of a torch dtype name such as "float16", or null if it is not decoded. */
export function torchDtype(name: string): StorageDtype | null {
  return Object.hasOwn(TORCH_DTYPES, name) ? TORCH_DTYPES[name] : null;
}

/** Element sizes of storage types that are read only to skip past them (legacy format). */
const UNSUPPORTED_ELEMENT_BYTES: Record<string, number> = {
  ShortStorage: 2, CharStorage: 1, ComplexFloatStorage: 8, ComplexDoubleStorage: 16, ComplexHalfStorage: 4,
  QInt8Storage: 1, QUInt8Storage: 1, QInt32Storage: 4, QUInt4x2Storage: 1, QUInt2x4Storage: 1,
};

/** Return the bytes per element of a torch.*Storage type, or undefined for an unknown type. */
export function storageElementBytes(typeName: string): number | undefined {
  if (Object.hasOwn(STORAGE_DTYPES, typeName)) return STORAGE_DTYPES[typeName].bytesPerElement;
  return Object.hasOwn(UNSUPPORTED_ELEMENT_BYTES, typeName) ? UNSUPPORTED_ELEMENT_BYTES[typeName] : undefined;
}

/** One torch storage: `numel` elements of one dtype, stored under `key` (data/KEY in the zip). */
export class StorageRef extends PickleExtension {
  readonly kind = 'torch storage';

  constructor(
    readonly key: string,
    /** The torch class name, for example "FloatStorage", or the dtype name for _rebuild_tensor_v3. */
    readonly typeName: string,
    /** Null for storage types this reader does not decode (int8, int16, complex, quantized). */
    readonly dtype: StorageDtype | null,
    readonly numel: number,
    readonly location: string,
    /** Element offset into the stored bytes; non-zero only for storage views of the legacy format. */
    readonly elementOffset = 0,
  ) {
    super();
  }
}

/** A tensor as torch._utils._rebuild_tensor_v2 describes it: a strided view of a storage. */
export class TensorRef extends PickleExtension {
  readonly kind = 'torch tensor';

  constructor(
    readonly storage: StorageRef,
    /** Offset of element [0, ..., 0] in the storage, in elements. */
    readonly storageOffset: number,
    readonly shape: readonly number[],
    /** Strides in elements, one per dimension. */
    readonly stride: readonly number[],
    readonly isParameter: boolean,
  ) {
    super();
  }
}

/** A tensor kind that is read as a placeholder and only rejected if it is among the weights. */
export class UnsupportedTensor extends PickleExtension {
  readonly kind = 'unsupported torch tensor';

  constructor(readonly description: string) {
    super();
  }
}

export function storageDtype(typeName: string): StorageDtype | null {
  return Object.hasOwn(STORAGE_DTYPES, typeName) ? STORAGE_DTYPES[typeName] : null;
}

function invalidStorageId(source: string, pid: PickleValue, reason: string): never {
  throw new CheckpointError('corrupt-archive', `${source}: invalid storage reference ${describeValue(pid)} `
    + `in the pickle (${reason}); the file is corrupt or not written by torch.save. Save it again with torch.save.`);
}

/**
 * Build a StorageRef from the persistent id ('storage', storage_type, key, location, numel, ...)
 * that torch.save writes for each storage (the legacy format adds view metadata after numel).
 */
export function storageFromPersistentId(pid: PickleValue, source: string): StorageRef {
  if (!Array.isArray(pid) || pid.length < 5 || pid[0] !== 'storage') {
    invalidStorageId(source, pid, 'expected a tuple starting with "storage"');
  }
  const [, storageType, key, location, numel] = pid;
  if (!(storageType instanceof GlobalRef) || storageType.module !== 'torch' || !storageType.name.endsWith('Storage')) {
    invalidStorageId(source, pid, `storage type ${describeValue(storageType)} is not a torch.*Storage class`);
  }
  if (typeof key !== 'string' && typeof key !== 'number') invalidStorageId(source, pid, 'the storage key is not a string');
  if (typeof numel !== 'number' || !Number.isInteger(numel) || numel < 0) {
    invalidStorageId(source, pid, `element count ${String(numel)} is not a non-negative integer`);
  }
  return new StorageRef(String(key), storageType.name, storageDtype(storageType.name), numel, String(location));
}
