// Import of a PyTorch checkpoint through the UI: read the file with progress, show what was
// found, collect the input size, class names and preprocessing, then build, store and use the
// model. The current model stays in use until the imported one is built and stored.

import { create } from 'zustand';

import {
  checkLabelCount, completeImport, importCheckpoint, parseLabelsFile, type ImportedCheckpoint,
} from '../checkpoint';
import type { CoAtNetConfig } from '../model/config';
import type { ModelCard, ResizeMode } from '../model/modelCard';
import { createLoadedModel, type LoadedModel, type LoadProgress } from '../model/session';
import {
  availablePresets, buildImportedCard, classNames, countParameters, imageChannelsFor, invalidImageSide,
  invalidNormalization, presetNormalization, type Normalization, type NormalizationPreset,
} from './importCard';
import { toImportFailure, type ImportFailure } from './importError';
import { addImportedModel, isLibraryBusy, useLibraryStore } from './libraryStore';
import { useAppStore } from './store';

/** File extensions offered by the picker; the reader recognizes the format from the bytes anyway. */
export const CHECKPOINT_EXTENSIONS = ['.pth', '.pt', '.bin', '.ckpt', '.safetensors'] as const;
export const LABELS_EXTENSIONS = ['.txt', '.json'] as const;

export interface LabelsChoice {
  fileName: string;
  names: string[];
}

/** A checkpoint that was read and validated, waiting for the user's choices. */
export interface PendingImport {
  fileName: string;
  fileBytes: number;
  imported: ImportedCheckpoint;
  /** The inferred size, the user's choice, or null while the user has not chosen one. */
  imageSize: [number, number] | null;
  labels: LabelsChoice | null;
  /** Reason the last labels file was rejected; `labels` then stays as before. */
  labelsFailure: ImportFailure | null;
  name: string;
  resize: ResizeMode;
  preset: NormalizationPreset;
  /** Mean and std per channel, from the preset or typed by the user. */
  normalization: Normalization;
}

export type ReadPhase = 'file' | 'decode';
export type AddPhase = LoadProgress['phase'] | 'save';

export type ImportStatus =
  | { status: 'idle' }
  | { status: 'reading'; fileName: string; phase: ReadPhase; fraction: number }
  | { status: 'review'; pending: PendingImport }
  | { status: 'adding'; pending: PendingImport; phase: AddPhase; fraction: number };

export interface ImportState {
  current: ImportStatus;
  /** The failure of the last import step, shown until the next import or a dismiss. */
  failure: ImportFailure | null;
  /** Serial number of the newest file; the result of an older read is dropped. */
  serial: number;
  /** Name of the last model added, for the success notice. */
  added: string | null;
}

export const initialImportState: ImportState = { current: { status: 'idle' }, failure: null, serial: 0, added: null };

export const useImportStore = create<ImportState>()(() => initialImportState);

const get = useImportStore.getState;
const set = useImportStore.setState;

export const selectImport = (state: ImportState): ImportStatus => state.current;
export const selectImportFailure = (state: ImportState): ImportFailure | null => state.failure;
export const selectAdded = (state: ImportState): string | null => state.added;

/** The pending import, while the user reviews it or it is being added. */
export const selectPending = (state: ImportState): PendingImport | null => (
  state.current.status === 'review' || state.current.status === 'adding' ? state.current.pending : null
);

export function resetImportStore(): void {
  set(initialImportState, true);
}

export function dismissImportFailure(): void {
  set({ failure: null });
}

/** Read a File into memory in chunks, reporting the fraction read, so large files show progress. */
export async function readFileBytes(file: File, onFraction: (fraction: number) => void): Promise<Uint8Array> {
  onFraction(0);
  if (typeof file.stream !== 'function' || file.size === 0) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    onFraction(1);
    return bytes;
  }
  const bytes = new Uint8Array(file.size);
  const reader = file.stream().getReader();
  let offset = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (offset + value.byteLength > bytes.length) {
      throw new Error(`${file.name} grew while it was read: more than its size of ${file.size} bytes arrived`);
    }
    bytes.set(value, offset);
    offset += value.byteLength;
    onFraction(offset / bytes.length);
  }
  if (offset !== bytes.length) {
    throw new Error(`${file.name} was read only up to byte ${offset} of ${file.size}; the file changed or became unreadable`);
  }
  return bytes;
}

function stripExtension(fileName: string): string {
  return fileName.replace(/\.[^.]+$/, '') || fileName;
}

function defaultPending(file: File, imported: ImportedCheckpoint): PendingImport {
  const channels = imported.architecture.inChannels;
  const preset: NormalizationPreset = availablePresets(channels).includes('imagenet') ? 'imagenet' : 'half';
  return {
    fileName: file.name,
    fileBytes: file.size,
    imported,
    imageSize: imported.config?.imageSize ?? null,
    labels: null,
    labelsFailure: null,
    name: stripExtension(file.name),
    resize: 'stretch',
    preset,
    normalization: presetNormalization(preset, channels) as Normalization,
  };
}

function isStale(serial: number): boolean {
  return get().serial !== serial;
}

function reportRead(serial: number, fileName: string, phase: ReadPhase) {
  return (fraction: number) => {
    if (isStale(serial) || get().current.status !== 'reading') return;
    set({ current: { status: 'reading', fileName, phase, fraction } });
  };
}

/**
 * Read a dropped or chosen checkpoint, infer its architecture and validate its weights. A failure
 * is shown and nothing else changes: the current model stays in use.
 */
export async function importCheckpointFile(file: File | null | undefined): Promise<void> {
  if (!file) return;
  if (get().current.status === 'adding') return;
  const serial = get().serial + 1;
  set({ serial, failure: null, added: null, current: { status: 'reading', fileName: file.name, phase: 'file', fraction: 0 } });

  let imported: ImportedCheckpoint;
  try {
    const bytes = await readFileBytes(file, reportRead(serial, file.name, 'file'));
    if (isStale(serial)) return;
    set({ current: { status: 'reading', fileName: file.name, phase: 'decode', fraction: 0 } });
    imported = await importCheckpoint(bytes, file.name, { onProgress: reportRead(serial, file.name, 'decode') });
  } catch (error) {
    if (!isStale(serial)) set({ current: { status: 'idle' }, failure: toImportFailure(error, 'read-failed', { name: file.name }) });
    return;
  }
  if (isStale(serial)) return;

  const { inChannels } = imported.architecture;
  if (imageChannelsFor(inChannels) === null) {
    set({
      current: { status: 'idle' },
      failure: {
        code: 'unsupported-channels',
        params: { name: file.name, channels: inChannels },
        detail: `${file.name}: s0.0.0.weight takes ${inChannels} input channels; images give 1 (grayscale) or 3 (RGB).`,
      },
    });
    return;
  }
  set({ current: { status: 'review', pending: defaultPending(file, imported) } });
}

function updatePending(update: (pending: PendingImport) => Partial<PendingImport>): void {
  const { current } = get();
  if (current.status !== 'review') return;
  set({ current: { status: 'review', pending: { ...current.pending, ...update(current.pending) } } });
}

export function setImportImageSize(size: [number, number] | null): void {
  updatePending(() => ({ imageSize: size }));
}

export function setImportName(name: string): void {
  updatePending(() => ({ name }));
}

export function setImportResize(resize: ResizeMode): void {
  updatePending(() => ({ resize }));
}

/** Choose a preset; 'custom' keeps the current values as the starting point for editing. */
export function setImportPreset(preset: NormalizationPreset): void {
  updatePending((pending) => {
    if (preset === 'custom') return { preset };
    const values = presetNormalization(preset, pending.imported.architecture.inChannels);
    return values === null ? {} : { preset, normalization: values };
  });
}

export function setImportNormalization(field: 'mean' | 'std', channel: number, value: number): void {
  updatePending((pending) => {
    const values = [...pending.normalization[field]];
    values[channel] = value;
    return { preset: 'custom', normalization: { ...pending.normalization, [field]: values } };
  });
}

/** Read and check a labels file against the class count; `null` removes the chosen labels. */
export async function setImportLabelsFile(file: File | null): Promise<void> {
  const pending = selectPending(get());
  if (pending === null || get().current.status !== 'review') return;
  if (file === null) {
    updatePending(() => ({ labels: null, labelsFailure: null }));
    return;
  }

  const numClasses = pending.imported.architecture.numClasses;
  let names: string[];
  try {
    names = parseLabelsFile(await file.text(), file.name);
  } catch (error) {
    updatePending(() => ({ labelsFailure: toImportFailure(error, 'read-failed', { name: file.name, classes: numClasses }) }));
    return;
  }

  try {
    checkLabelCount(names, numClasses, file.name);
  } catch (error) {
    const params = { name: file.name, labels: names.length, classes: numClasses };
    updatePending(() => ({ labelsFailure: toImportFailure(error, 'label-count', params) }));
    return;
  }
  updatePending(() => ({ labels: { fileName: file.name, names }, labelsFailure: null }));
}

export function cancelImport(): void {
  if (get().current.status !== 'review') return;
  set((state) => ({ current: { status: 'idle' }, serial: state.serial + 1 }));
}

/** Text of the card that depends on the UI language, supplied by the component. */
export interface ImportCardText {
  defaultClassName: Record<'en' | 'ja', (index: number) => string>;
  description: Record<'en' | 'ja', string>;
}

/** The reason the Add button is disabled, or null when the pending import can be added. */
export type AddBlocker = 'size' | 'normalization' | 'labels' | 'name' | 'model-loading' | 'busy';

export function addBlocker(pending: PendingImport): AddBlocker | null {
  if (pending.imageSize === null || invalidImageSide(pending.imageSize) !== null) return 'size';
  if (invalidNormalization(pending.normalization) !== null) return 'normalization';
  if (pending.labelsFailure !== null) return 'labels';
  if (pending.name.trim() === '') return 'name';
  if (useAppStore.getState().model.status === 'loading') return 'model-loading';
  if (isLibraryBusy(useLibraryStore.getState())) return 'busy';
  return null;
}

/** Return the config at the chosen size: the inferred one, or one checked against the weights at another size. */
function pendingConfig(pending: PendingImport): CoAtNetConfig {
  const { imported, imageSize } = pending;
  const inferred = imported.config;
  if (inferred !== null && inferred.imageSize[0] === imageSize![0] && inferred.imageSize[1] === imageSize![1]) return inferred;
  return completeImport(imported, imageSize!);
}

function pendingCard(pending: PendingImport, config: CoAtNetConfig, text: ImportCardText): ModelCard {
  return buildImportedCard({
    name: pending.name.trim(),
    fileName: pending.fileName,
    config,
    resize: pending.resize,
    normalization: pending.normalization,
    labels: classNames(pending.labels?.names ?? null, config.numClasses, text.defaultClassName),
    description: text.description,
    parameterCount: countParameters(pending.imported.tensors),
  });
}

function reportAdd(pending: PendingImport) {
  return (progress: LoadProgress) => {
    if (get().current.status !== 'adding') return;
    set({ current: { status: 'adding', pending, phase: progress.phase, fraction: progress.fraction } });
  };
}

/**
 * Build the network from the pending import, store it and make it the current model. On any
 * failure the review stays open with the failure shown, and the current model stays in use.
 */
export async function confirmImport(text: ImportCardText): Promise<void> {
  const { current } = get();
  if (current.status !== 'review' || addBlocker(current.pending) !== null) return;
  const { pending } = current;
  set({ failure: null, current: { status: 'adding', pending, phase: 'build', fraction: 0 } });

  let model: LoadedModel | null = null;
  let card: ModelCard;
  try {
    card = pendingCard(pending, pendingConfig(pending), text);
    model = await createLoadedModel(card, `import:${pending.fileName}`, pending.imported.tensors, reportAdd(pending));
    set({ current: { status: 'adding', pending, phase: 'save', fraction: 0 } });
    await addImportedModel(model, { name: card.name, fileName: pending.fileName, card, tensors: pending.imported.tensors });
  } catch (error) {
    // addImportedModel hands the model to the main store only after it was stored.
    if (model !== null && !isCurrentModel(model)) model.dispose();
    set({ current: { status: 'review', pending }, failure: toImportFailure(error, 'build-failed', { name: pending.fileName }) });
    return;
  }
  set({ current: { status: 'idle' }, added: card.name });
}

function isCurrentModel(model: LoadedModel): boolean {
  const current = useAppStore.getState().model;
  return current.status === 'ready' && current.model === model;
}
