// Imported models kept in IndexedDB across reloads: the model card as a structured-clone
// record, the weights as one safetensors Blob. Framework-free: no React, no zustand, no TF.js.

import { parseModelCard, type ModelCard } from '../model/modelCard';
import { parseSafetensors } from '../model/safetensors';
import type { RawTensorMap } from '../model/tensors';
import { encodeSafetensors } from './safetensorsBlob';

export const DATABASE_NAME = 'coatnet-browser';
const DATABASE_VERSION = 1;
const MODELS = 'models';
const WEIGHTS = 'weights';

export type ModelStoreErrorCode =
  /** IndexedDB is missing or refused to open (some private modes, blocked site data). */
  | 'unavailable'
  /** The browser's storage quota for this site is used up. */
  | 'quota'
  /** No model with the requested id is stored. */
  | 'not-found'
  /** A stored record cannot be read back as a model card and weights. */
  | 'corrupt'
  | 'failed';

export class ModelStoreError extends Error {
  readonly code: ModelStoreErrorCode;

  constructor(code: ModelStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelStoreError';
    this.code = code;
  }
}

/** Summary of a stored model, which the model list shows without reading the weights. */
export interface StoredModelSummary {
  id: string;
  name: string;
  /** Name of the checkpoint file the model was imported from. */
  fileName: string;
  /** Milliseconds since the epoch. */
  importedAt: number;
  /** Size of the stored safetensors weights. */
  weightsBytes: number;
}

interface ModelRecord extends StoredModelSummary {
  card: ModelCard;
}

interface WeightsRecord {
  id: string;
  blob: Blob;
}

export interface StoredModel {
  summary: StoredModelSummary;
  card: ModelCard;
  tensors: RawTensorMap;
}

function summaryOf(record: ModelRecord): StoredModelSummary {
  const { id, name, fileName, importedAt, weightsBytes } = record;
  return { id, name, fileName, importedAt, weightsBytes };
}

function storeError(error: unknown, action: string): ModelStoreError {
  if (error instanceof ModelStoreError) return error;
  const name = error instanceof DOMException ? error.name : '';
  const reason = error instanceof Error ? error.message : String(error);
  if (name === 'QuotaExceededError') {
    return new ModelStoreError('quota', `${action} failed: the browser's storage quota for this site is full (${reason}). `
      + 'Remove imported models you no longer need, or free disk space, and try again.', { cause: error });
  }
  return new ModelStoreError('failed', `${action} failed: ${name || 'IndexedDB error'} (${reason}).`, { cause: error });
}

function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function transactionDone(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    // An abort after a failed request (quota, for example) carries that request's error.
    transaction.onabort = () => reject(transaction.error ?? new DOMException('The transaction was aborted', 'AbortError'));
    transaction.onerror = () => reject(transaction.error);
  });
}

function newModelId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

function openDatabase(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(name, DATABASE_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(MODELS)) db.createObjectStore(MODELS, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(WEIGHTS)) db.createObjectStore(WEIGHTS, { keyPath: 'id' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
    // Another tab keeps an older version open. Tabs of this version close on versionchange (see the constructor).
    request.onblocked = () => reject(new DOMException('Another tab of this app keeps an older database open', 'VersionError'));
  });
}

export interface SaveModelRequest {
  name: string;
  fileName: string;
  card: ModelCard;
  tensors: RawTensorMap;
}

/** IndexedDB store of imported models; open it with ModelStore.open. */
export class ModelStore {
  private constructor(private readonly db: IDBDatabase) {
    // Let a newer version of the app in another tab upgrade the database.
    db.onversionchange = () => db.close();
  }

  /** Open (or create) the database. Throws ModelStoreError 'unavailable' where IndexedDB cannot be used. */
  static async open(factory: IDBFactory | undefined = globalThis.indexedDB, name = DATABASE_NAME): Promise<ModelStore> {
    if (factory === undefined) {
      throw new ModelStoreError('unavailable', 'This browser has no IndexedDB, so imported models cannot be kept '
        + 'after the page is closed. Use a current browser outside private mode.');
    }
    try {
      return new ModelStore(await openDatabase(factory, name));
    } catch (error) {
      throw new ModelStoreError('unavailable', `IndexedDB database "${name}" could not be opened (${errorText(error)}), `
        + 'so imported models cannot be kept. Allow site data for this page, or leave private mode.', { cause: error });
    }
  }

  /** Summaries of every stored model, oldest import first. */
  async list(): Promise<StoredModelSummary[]> {
    try {
      const transaction = this.db.transaction(MODELS, 'readonly');
      const records = await requestResult(transaction.objectStore(MODELS).getAll() as IDBRequest<ModelRecord[]>);
      return records.map(summaryOf).sort((a, b) => a.importedAt - b.importedAt || a.id.localeCompare(b.id));
    } catch (error) {
      throw storeError(error, 'Listing the imported models');
    }
  }

  /** Store a model card and its weights under a new id, in one transaction. */
  async save(request: SaveModelRequest): Promise<StoredModelSummary> {
    const id = newModelId();
    const blob = encodeSafetensors(request.tensors, { source: request.fileName });
    const record: ModelRecord = {
      id,
      name: request.name,
      fileName: request.fileName,
      importedAt: Date.now(),
      weightsBytes: blob.size,
      card: request.card,
    };
    try {
      const transaction = this.db.transaction([MODELS, WEIGHTS], 'readwrite');
      const done = transactionDone(transaction);
      transaction.objectStore(WEIGHTS).put({ id, blob } satisfies WeightsRecord);
      transaction.objectStore(MODELS).put(record);
      await done;
    } catch (error) {
      throw storeError(error, `Saving model "${request.name}"`);
    }
    return summaryOf(record);
  }

  /** Read a stored model's card and weights. Throws ModelStoreError 'not-found' or 'corrupt'. */
  async load(id: string): Promise<StoredModel> {
    let record: ModelRecord | undefined;
    let weights: WeightsRecord | undefined;
    try {
      const transaction = this.db.transaction([MODELS, WEIGHTS], 'readonly');
      [record, weights] = await Promise.all([
        requestResult(transaction.objectStore(MODELS).get(id) as IDBRequest<ModelRecord | undefined>),
        requestResult(transaction.objectStore(WEIGHTS).get(id) as IDBRequest<WeightsRecord | undefined>),
      ]);
    } catch (error) {
      throw storeError(error, `Reading stored model ${id}`);
    }
    if (record === undefined) {
      throw new ModelStoreError('not-found', `No imported model with id ${id} is stored; it was removed, possibly in another tab.`);
    }
    if (weights === undefined) {
      throw new ModelStoreError('corrupt', `The weights of imported model "${record.name}" are missing from IndexedDB. `
        + 'Remove the model and import its file again.');
    }
    return { summary: summaryOf(record), ...await decodeStoredModel(record, weights.blob) };
  }

  /** Delete a model and its weights; deleting an id that is not stored does nothing. */
  async remove(id: string): Promise<void> {
    try {
      const transaction = this.db.transaction([MODELS, WEIGHTS], 'readwrite');
      const done = transactionDone(transaction);
      transaction.objectStore(MODELS).delete(id);
      transaction.objectStore(WEIGHTS).delete(id);
      await done;
    } catch (error) {
      throw storeError(error, `Removing stored model ${id}`);
    }
  }

  close(): void {
    this.db.close();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function decodeStoredModel(record: ModelRecord, blob: Blob): Promise<{ card: ModelCard; tensors: RawTensorMap }> {
  const source = `imported model "${record.name}" (IndexedDB id ${record.id})`;
  try {
    const card = parseModelCard(record.card, source);
    const { tensors } = parseSafetensors(await blob.arrayBuffer(), source);
    return { card, tensors };
  } catch (error) {
    throw new ModelStoreError('corrupt', `The stored copy of ${source} cannot be read (${errorText(error)}). `
      + 'Remove the model and import its file again.', { cause: error });
  }
}
