// The legacy torch.save format (PyTorch < 1.6, or _use_new_zipfile_serialization=False):
// five pickles back to back (magic number, protocol version 1001, sys_info, the object with
// storage persistent ids, the sorted list of storage keys), then for each key in that order
// an int64 element count followed by the storage's raw bytes.

import { CheckpointError } from './errors';
import { unpickle, type UnpicklePolicy } from './pickle';
import { GlobalRef, describeValue, type PickleValue } from './pickleValues';
import type { StorageSource } from './storageSource';
import { createTorchPolicy } from './torchPolicy';
import { StorageRef, storageElementBytes, storageFromPersistentId } from './torchTypes';
import type { TorchZipContents } from './torchZip';

/** torch.serialization.MAGIC_NUMBER, the first pickle of a legacy file. */
export const LEGACY_MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL_VERSION = 1001;

function legacyError(fileName: string, reason: string): CheckpointError {
  return new CheckpointError('corrupt-archive', `${fileName} is not a readable legacy torch.save file: ${reason}. `
    + 'Re-save it with a recent PyTorch (torch.save with the default zip format) and import it again.');
}

/** Policy for the header pickles, which hold only numbers, strings and dicts. */
function plainDataPolicy(fileName: string): UnpicklePolicy {
  const reject = (content: string): never => {
    throw legacyError(fileName, `its header pickle contains ${content}`);
  };
  return {
    findGlobal: (module, name) => reject(`the global ${module}.${name}`),
    call: () => reject('a call'),
    construct: () => reject('an object'),
    build: () => reject('an object state'),
    persistentLoad: () => reject('a persistent id'),
  };
}

interface StorageSpan {
  start: number;
  byteLength: number;
}

function legacyPersistentLoad(fileName: string, storages: Map<string, StorageRef>) {
  return (pid: PickleValue): PickleValue => {
    // ('module', cls, source_file, source) records the source of nn.Module classes; the class
    // itself is all that is kept, as an inert name.
    if (Array.isArray(pid) && pid[0] === 'module') return pid[1] instanceof GlobalRef ? pid[1] : null;
    const storage = storageFromPersistentId(pid, fileName);
    const viewMetadata = (pid as readonly PickleValue[])[5];
    const root = storages.get(storage.key) ?? storage;
    storages.set(storage.key, root);
    if (!Array.isArray(viewMetadata)) return root;

    // (view_key, offset, size): a view into the root storage, written by PyTorch < 0.4.
    // NOTE: no test covers this branch, because PyTorch 1.13 and later no longer write views.
    const [viewKey, offset, size] = viewMetadata;
    const known = storages.get(`view:${String(viewKey)}`);
    if (known !== undefined) return known;
    if (typeof offset !== 'number' || typeof size !== 'number') throw legacyError(fileName, 'a storage view has a non-integer offset or size');
    const view = new StorageRef(root.key, root.typeName, root.dtype, size, root.location, offset);
    storages.set(`view:${String(viewKey)}`, view);
    return view;
  };
}

function readStorageSpans(
  bytes: Uint8Array, start: number, keys: PickleValue, storages: Map<string, StorageRef>, fileName: string,
): Map<string, StorageSpan> {
  if (!Array.isArray(keys)) throw legacyError(fileName, `the storage key list is a ${describeValue(keys)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const spans = new Map<string, StorageSpan>();
  let position = start;
  for (const rawKey of keys) {
    const key = String(rawKey);
    const storage = storages.get(key);
    if (storage === undefined) throw legacyError(fileName, `storage "${key}" is listed but never used`);
    if (position + 8 > bytes.length) throw legacyError(fileName, `the data of storage "${key}" is missing (the file is truncated)`);
    const elementBytes = storageElementBytes(storage.typeName);
    if (elementBytes === undefined) {
      throw legacyError(fileName, `storage "${key}" has the unknown type torch.${storage.typeName}, so the storages after it cannot be located`);
    }
    const count = Number(view.getBigInt64(position, true));
    const byteLength = count * elementBytes;
    position += 8;
    if (count < 0 || position + byteLength > bytes.length) {
      throw legacyError(fileName, `storage "${key}" needs ${byteLength} bytes but the file ends after ${bytes.length - position}`);
    }
    spans.set(key, { start: position, byteLength });
    position += byteLength;
  }
  return spans;
}

/** Read a legacy torch.save file held in memory without running anything in it. */
export function openLegacyTorch(bytes: Uint8Array, fileName: string): TorchZipContents {
  const header = plainDataPolicy(fileName);
  const magic = unpickle(bytes, header, fileName);
  if (magic.value !== LEGACY_MAGIC_NUMBER) throw legacyError(fileName, 'the magic number is missing');
  const version = unpickle(bytes, header, fileName, magic.end);
  if (version.value !== LEGACY_PROTOCOL_VERSION) {
    throw legacyError(fileName, `protocol version ${String(version.value)} is not ${LEGACY_PROTOCOL_VERSION}`);
  }
  const sysInfo = unpickle(bytes, header, fileName, version.end);
  const littleEndian = !(sysInfo.value instanceof Map) || sysInfo.value.get('little_endian') !== false;

  const storages = new Map<string, StorageRef>();
  const policy = createTorchPolicy(fileName, legacyPersistentLoad(fileName, storages));
  const main = unpickle(bytes, policy, fileName, sysInfo.end);
  const keys = unpickle(bytes, header, fileName, main.end);
  const spans = readStorageSpans(bytes, keys.end, keys.value, storages, fileName);

  const source: StorageSource = {
    // Storages are views of the input; tensors copy what they need from them.
    returnsCopies: false,
    littleEndian,
    storageByteLength: (key) => spans.get(key)?.byteLength,
    readStorages: (keysToRead) => new Map(keysToRead.map((key) => {
      const span = spans.get(key)!;
      return [key, bytes.subarray(span.start, span.start + span.byteLength)];
    })),
  };
  return { root: main.value, storages: source };
}
