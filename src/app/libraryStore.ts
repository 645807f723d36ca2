// The list of models to switch between: the bundled model, always present, and the imported
// models kept in IndexedDB. Switching builds the chosen model before the current one is
// disposed, so a failed switch leaves the current model working and selected.

import { create } from 'zustand';

import type { ModelCard } from '../model/modelCard';
import { createLoadedModel, loadModelFromUrl, type LoadedModel, type LoadProgress } from '../model/session';
import type { RawTensorMap } from '../model/tensors';
import { ModelStore, type StoredModelSummary } from '../storage/modelStore';
import { toImportFailure, type ImportFailure } from './importError';
import { replaceModel, useAppStore } from './store';

/** Id of the bundled model in the list; imported models have UUIDs. */
export const BUNDLED_MODEL_ID = 'bundled';

/** Id of an imported model that could not be stored and lives only until the next switch. */
export const SESSION_MODEL_ID = 'session';

export type StorageStatus = 'opening' | 'ready' | 'unavailable';

export type SwitchPhase = 'read' | LoadProgress['phase'];

export interface SwitchProgress {
  id: string;
  phase: SwitchPhase;
  fraction: number;
}

export interface LibraryState {
  storage: StorageStatus;
  /** Imported models in IndexedDB, oldest first. */
  models: StoredModelSummary[];
  /** The model in the main store: BUNDLED_MODEL_ID, a stored id or SESSION_MODEL_ID. */
  activeId: string;
  /** Name of the session-only model while it is active. */
  sessionModelName: string | null;
  switching: SwitchProgress | null;
  /** Id of a model being removed. */
  removing: string | null;
  failure: ImportFailure | null;
}

export const initialLibraryState: LibraryState = {
  storage: 'opening',
  models: [],
  // NOTE: the chosen model is not remembered across reloads. The app starts with the bundled
  // model, and stored models stay one click away in the list.
  activeId: BUNDLED_MODEL_ID,
  sessionModelName: null,
  switching: null,
  removing: null,
  failure: null,
};

export const useLibraryStore = create<LibraryState>()(() => initialLibraryState);

const get = useLibraryStore.getState;
const set = useLibraryStore.setState;

let modelStore: ModelStore | null = null;
let opening: Promise<void> | null = null;

export const selectLibrary = (state: LibraryState): LibraryState => state;
export const selectModels = (state: LibraryState): StoredModelSummary[] => state.models;
export const selectActiveId = (state: LibraryState): string => state.activeId;
export const selectSwitching = (state: LibraryState): SwitchProgress | null => state.switching;
export const selectLibraryFailure = (state: LibraryState): ImportFailure | null => state.failure;
export const selectStorage = (state: LibraryState): StorageStatus => state.storage;

/** Return true while a switch or removal runs; the list's buttons and the import's Add button wait for it. */
export function isLibraryBusy(state: LibraryState = get()): boolean {
  return state.switching !== null || state.removing !== null;
}

/** Open IndexedDB and list the stored models; later calls return the first call's promise. */
export function openModelLibrary(factory?: IDBFactory): Promise<void> {
  opening ??= (async () => {
    try {
      modelStore = await ModelStore.open(factory);
      set({ storage: 'ready', models: await modelStore.list() });
    } catch (error) {
      modelStore = null;
      set({ storage: 'unavailable', failure: toImportFailure(error, 'storage-unavailable') });
    }
  })();
  return opening;
}

/** Close the database and restore the initial state (used by tests). */
export function resetLibraryStore(): void {
  modelStore?.close();
  modelStore = null;
  opening = null;
  set(initialLibraryState, true);
}

export function dismissLibraryFailure(): void {
  set({ failure: null });
}

/** localStorage key of the model in use, so a reload brings the same model back. */
const ACTIVE_MODEL_KEY = 'coatnet-browser.activeModel';

/** Remember `id` for the next visit. A session-only model cannot come back, so it is not kept. */
function rememberActive(id: string): void {
  if (id === SESSION_MODEL_ID) return;
  try {
    globalThis.localStorage?.setItem(ACTIVE_MODEL_KEY, id);
  } catch {
    // Storage blocked (private mode, site settings): the next visit starts with the bundled model.
  }
}

function rememberedActive(): string | null {
  try {
    return globalThis.localStorage?.getItem(ACTIVE_MODEL_KEY) ?? null;
  } catch {
    return null;
  }
}

/** Make `model` current. The current image is classified with it in the background. */
function activate(model: LoadedModel, activeId: string, sessionModelName: string | null = null): void {
  set({ activeId, sessionModelName });
  rememberActive(activeId);
  void replaceModel(model);
}

/**
 * Switch to the stored model that was in use on the last visit, once the bundled model is ready.
 * A model that is gone or fails to build leaves the bundled one in use and is not tried again.
 * NOTE: the bundled model is downloaded and built first even when it is replaced at once.
 */
export async function restoreActiveModel(): Promise<void> {
  const id = rememberedActive();
  if (id === null || id === BUNDLED_MODEL_ID || useAppStore.getState().model.status !== 'ready') return;

  await openModelLibrary();
  const stored = get().models.some((entry) => entry.id === id);
  if (!stored || !(await switchModel(id))) rememberActive(BUNDLED_MODEL_ID);
}

/**
 * Store an imported model that is already built and make it the current model. Where IndexedDB
 * is unavailable the model is used for this session only. Throws ModelStoreError when saving
 * fails; the caller then still owns `model`.
 */
export async function addImportedModel(
  model: LoadedModel, request: { name: string; fileName: string; card: ModelCard; tensors: RawTensorMap },
): Promise<void> {
  await openModelLibrary();
  if (modelStore === null) {
    activate(model, SESSION_MODEL_ID, request.name);
    return;
  }
  const summary = await modelStore.save(request);
  set((state) => ({ models: [...state.models, summary], failure: null }));
  activate(model, summary.id);
}

function switchProgress(id: string) {
  return (progress: LoadProgress) => {
    if (get().switching?.id !== id) return;
    set({ switching: { id, phase: progress.phase, fraction: progress.fraction } });
  };
}

async function buildStoredModel(id: string): Promise<LoadedModel> {
  if (modelStore === null) throw new Error('IndexedDB is not open, so stored models cannot be read');
  const stored = await modelStore.load(id);
  return createLoadedModel(stored.card, `indexeddb:${id}`, stored.tensors, switchProgress(id));
}

function buildBundledModel(): Promise<LoadedModel> {
  const { cardUrl } = useAppStore.getState();
  if (cardUrl === null) return Promise.reject(new Error('The app has not started, so the bundled model URL is unknown'));
  return loadModelFromUrl(cardUrl, switchProgress(BUNDLED_MODEL_ID));
}

/**
 * Build model `id` and make it current. Returns true once it is current, at once when it already
 * is. Returns false with the current model still in place when it cannot be built (then
 * `failure` gives the reason), or while another switch, a removal or the first model load runs.
 */
export async function switchModel(id: string): Promise<boolean> {
  if (id === get().activeId) return true;
  if (isLibraryBusy() || useAppStore.getState().model.status === 'loading') return false;

  set({ switching: { id, phase: id === BUNDLED_MODEL_ID ? 'download' : 'read', fraction: 0 }, failure: null });
  let model: LoadedModel;
  try {
    model = id === BUNDLED_MODEL_ID ? await buildBundledModel() : await buildStoredModel(id);
  } catch (error) {
    const name = get().models.find((entry) => entry.id === id)?.name ?? id;
    set({ switching: null, failure: toImportFailure(error, id === BUNDLED_MODEL_ID ? 'bundled-failed' : 'build-failed', { name }) });
    return false;
  }
  set({ switching: null });
  activate(model, id);
  return true;
}

/** Delete a stored model. The active one is first replaced by the bundled model. */
export async function removeModel(id: string): Promise<void> {
  if (isLibraryBusy() || id === BUNDLED_MODEL_ID || modelStore === null) return;
  if (id === get().activeId && !(await switchModel(BUNDLED_MODEL_ID))) return;

  set({ removing: id, failure: null });
  try {
    await modelStore.remove(id);
    set((state) => ({ models: state.models.filter((entry) => entry.id !== id), removing: null }));
  } catch (error) {
    const name = get().models.find((entry) => entry.id === id)?.name ?? id;
    set({ removing: null, failure: toImportFailure(error, 'storage-failed', { name }) });
  }
}
