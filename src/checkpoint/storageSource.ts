// Sources of torch storage bytes (zip entries or the legacy file's data section), and batched
// decoding of the chosen tensors from them, with progress.

import type { RawTensor, RawTensorMap } from '../model/tensors';
import { CheckpointError } from './errors';
import { materializeTensor } from './materialize';
import type { TensorRef } from './torchTypes';

export interface StorageSource {
  /** Bytes of each storage key; a key the file lacks is missing from the result. */
  readStorages(keys: readonly string[]): Map<string, Uint8Array>;
  /** Stored size of a storage in bytes, or undefined when the file has no such storage. */
  storageByteLength(key: string): number | undefined;
  /** True when readStorages returns private copies that tensors may keep. */
  readonly returnsCopies: boolean;
  readonly littleEndian: boolean;
}

/**
 * Storages are read in batches of about this many bytes, so at most one batch of copied entry
 * bytes is alive next to the input file and the decoded tensors.
 */
const BATCH_BYTES = 16 * 1024 * 1024;

/** Let the page paint and handle input between batches. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function groupByStorage(tensors: Map<string, TensorRef>): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const [name, tensor] of tensors) {
    const users = groups.get(tensor.storage.key) ?? [];
    users.push(name);
    groups.set(tensor.storage.key, users);
  }
  return groups;
}

function splitIntoBatches(keys: string[], source: StorageSource): string[][] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let batchBytes = 0;
  for (const key of keys) {
    batch.push(key);
    batchBytes += source.storageByteLength(key) ?? 0;
    if (batchBytes >= BATCH_BYTES) {
      batches.push(batch);
      batch = [];
      batchBytes = 0;
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/**
 * Largest total of storage bytes read for one import: 2 GiB, an estimate of what a browser tab can
 * hold. The float32 state_dict of coatnet_4, the largest preset (204 M parameters), is about 0.8 GB.
 */
export const MAX_STORAGE_BYTES = 2 * 1024 ** 3;

function checkTotalBytes(totalBytes: number, fileName: string): void {
  if (totalBytes <= MAX_STORAGE_BYTES) return;
  throw new CheckpointError('archive-too-large', `The weights in ${fileName} take ${totalBytes} bytes, over the `
    + `${MAX_STORAGE_BYTES}-byte limit of this reader. Save only the model weights, in float32 or float16: `
    + 'torch.save(model.state_dict(), "weights.pth").');
}

/**
 * Decode `tensors` (name -> placeholder) into RawTensors, in the order of `tensors`.
 * `onProgress` gets the fraction of storage bytes decoded, from 0 to 1.
 */
export async function loadTensors(
  tensors: Map<string, TensorRef>, source: StorageSource, fileName: string, onProgress?: (fraction: number) => void,
): Promise<RawTensorMap> {
  const groups = groupByStorage(tensors);
  const keys = [...groups.keys()];
  for (const key of keys) {
    if (source.storageByteLength(key) === undefined) {
      throw new CheckpointError('corrupt-archive', `${fileName} has no data for storage "${key}", which tensor `
        + `"${groups.get(key)![0]}" uses; the file is truncated or corrupt. Save it again with torch.save.`);
    }
  }
  const totalBytes = keys.reduce((sum, key) => sum + source.storageByteLength(key)!, 0);
  checkTotalBytes(totalBytes, fileName);
  let doneBytes = 0;
  onProgress?.(0);

  const decoded = new Map<string, RawTensor>();
  for (const batch of splitIntoBatches(keys, source)) {
    const storages = source.readStorages(batch);
    for (const key of batch) {
      const users = groups.get(key)!;
      const bytes = storages.get(key)!;
      const ownsStorage = source.returnsCopies && users.length === 1;
      for (const name of users) {
        decoded.set(name, materializeTensor(name, tensors.get(name)!, bytes, { littleEndian: source.littleEndian, ownsStorage }));
      }
      doneBytes += source.storageByteLength(key)!;
    }
    onProgress?.(totalBytes === 0 ? 1 : doneBytes / totalBytes);
    await yieldToEventLoop();
  }
  onProgress?.(1);

  const ordered: RawTensorMap = new Map();
  for (const name of tensors.keys()) ordered.set(name, decoded.get(name)!);
  return ordered;
}
