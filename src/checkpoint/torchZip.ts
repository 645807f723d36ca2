// The zip format of torch.save (PyTorch >= 1.6): ARCHIVE/data.pkl contains the pickle,
// ARCHIVE/data/KEY the raw bytes of each storage, ARCHIVE/byteorder "little" or "big"
// (absent before PyTorch 1.10: little). ARCHIVE is any folder name. PyTorch stores the
// entries uncompressed; deflated entries, as other zip tools may write, are inflated by fflate.

import { unzipSync, type UnzipFileInfo } from 'fflate';

import { CheckpointError } from './errors';
import { unpickle } from './pickle';
import type { PickleValue } from './pickleValues';
import type { StorageSource } from './storageSource';
import { createTorchPolicy } from './torchPolicy';
import { storageFromPersistentId, type StorageRef } from './torchTypes';

export interface TorchZipContents {
  /** The unpickled data.pkl, with StorageRef / TensorRef placeholders. */
  root: PickleValue;
  storages: StorageSource;
}

function corrupt(fileName: string, reason: string, cause?: unknown): CheckpointError {
  return new CheckpointError('corrupt-archive', `${fileName} is not a readable torch.save archive: ${reason}. `
    + 'The file is probably truncated or corrupt; copy or download it again, or save it again with torch.save.', { cause });
}

/** Run fflate's unzipSync on the entries that `accept` selects, turning its errors into ours. */
function unzipEntries(bytes: Uint8Array, fileName: string, accept: (info: UnzipFileInfo) => boolean): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes, { filter: accept });
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw corrupt(fileName, `the zip reader failed (${(error as Error).message})`, error);
  }
}

/**
 * Maximum ratio of inflated to compressed size. A DEFLATE match copies at most 258 bytes and
 * takes at least 2 bits (a length code and a distance code), so 258 bytes per 2 bits is 1032.
 */
const MAX_DEFLATE_RATIO = 1032;

const STORED = 0;

function checkDeclaredSize(info: UnzipFileInfo, fileName: string): void {
  const limit = info.compression === STORED ? info.size : info.size * MAX_DEFLATE_RATIO;
  if (info.originalSize > limit) {
    throw corrupt(fileName, `entry ${info.name} claims ${info.originalSize} bytes from ${info.size} `
      + `${info.compression === STORED ? 'stored' : 'compressed'} bytes, more than the zip format allows`);
  }
}

function listEntries(bytes: Uint8Array, fileName: string): Map<string, UnzipFileInfo> {
  const entries = new Map<string, UnzipFileInfo>();
  unzipEntries(bytes, fileName, (info) => {
    checkDeclaredSize(info, fileName);
    entries.set(info.name, info);
    return false;
  });
  return entries;
}

function readEntries(bytes: Uint8Array, fileName: string, entries: Map<string, UnzipFileInfo>, names: readonly string[]): Map<string, Uint8Array> {
  const wanted = new Set(names);
  const files = unzipEntries(bytes, fileName, (info) => wanted.has(info.name));
  const result = new Map<string, Uint8Array>();
  for (const name of names) {
    const data = files[name];
    const expected = entries.get(name)?.originalSize;
    if (data === undefined || data.length !== expected) {
      throw corrupt(fileName, `entry ${name} has ${data?.length ?? 0} bytes but the zip directory lists ${expected}`);
    }
    result.set(name, data);
  }
  return result;
}

/** Return the ARCHIVE/ prefix of the single ARCHIVE/data.pkl, after rejecting TorchScript archives. */
function findArchivePrefix(entries: Map<string, UnzipFileInfo>, fileName: string): string {
  const names = [...entries.keys()];
  const isTorchScript = names.some((name) => /^[^/]+\/(constants\.pkl|code\/)/.test(name));
  if (isTorchScript) {
    throw new CheckpointError('torchscript', `${fileName} is a TorchScript archive (written by torch.jit.save), which stores `
      + 'code next to the weights. Export the weights instead: torch.save(model.state_dict(), "weights.pth").');
  }
  const pickles = names.filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) {
    const listed = names.slice(0, 8).join(', ') + (names.length > 8 ? ', ...' : '');
    throw new CheckpointError('corrupt-archive', `${fileName} is a zip archive but not a torch.save file: it has `
      + `${pickles.length} ARCHIVE/data.pkl entries where exactly one is expected (entries: ${listed || 'none'}). `
      + 'Save the weights with torch.save(model.state_dict(), "weights.pth").');
  }
  return pickles[0].slice(0, -'data.pkl'.length);
}

function readByteOrder(bytes: Uint8Array, fileName: string, entries: Map<string, UnzipFileInfo>, prefix: string): boolean {
  const name = `${prefix}byteorder`;
  if (!entries.has(name)) return true;
  const text = new TextDecoder().decode(readEntries(bytes, fileName, entries, [name]).get(name)).trim();
  if (text !== 'little' && text !== 'big') {
    throw corrupt(fileName, `${name} contains "${text}" where "little" or "big" is expected`);
  }
  return text === 'little';
}

/** Open a torch.save zip archive held in memory and unpickle its data.pkl without running anything. */
export function openTorchZip(bytes: Uint8Array, fileName: string): TorchZipContents {
  const entries = listEntries(bytes, fileName);
  const prefix = findArchivePrefix(entries, fileName);
  const littleEndian = readByteOrder(bytes, fileName, entries, prefix);
  const pickleName = `${prefix}data.pkl`;
  const pickleBytes = readEntries(bytes, fileName, entries, [pickleName]).get(pickleName)!;

  const storageRefs = new Map<string, StorageRef>();
  const persistentLoad = (pid: PickleValue): PickleValue => {
    const storage = storageFromPersistentId(pid, fileName);
    // Tensors that share a storage get the same StorageRef, so its bytes are read once.
    const known = storageRefs.get(storage.key);
    if (known !== undefined) return known;
    storageRefs.set(storage.key, storage);
    return storage;
  };
  const { value: root } = unpickle(pickleBytes, createTorchPolicy(fileName, persistentLoad), `${fileName} (${pickleName})`);

  const entryName = (key: string) => `${prefix}data/${key}`;
  const storages: StorageSource = {
    returnsCopies: true,
    littleEndian,
    storageByteLength: (key) => entries.get(entryName(key))?.originalSize,
    readStorages(keys) {
      const files = readEntries(bytes, fileName, entries, keys.map(entryName));
      return new Map(keys.map((key) => [key, files.get(entryName(key))!]));
    },
  };
  return { root, storages };
}
