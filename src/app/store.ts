// Application state (zustand): backend, model loading, the current image and its classification.
// Actions are module-level functions that read the state, compute, then set it.

import { create } from 'zustand';

import type { DecodedImage } from '../image/decode';
import { decodeImageFile } from '../image/decodeFile';
import type { RgbaImage } from '../model/preprocess';
import {
  initBackend,
  loadModelFromUrl,
  type BackendName,
  type BackendStatus,
  type ClassifyResult,
  type LoadedModel,
  type LoadProgress,
} from '../model/session';
import { errorDetail, toAppError, type AppError } from './appError';
import { fetchSampleFile, fetchSampleIndex, type SampleEntry } from './samples';

/** Number of classes listed in the prediction. */
export const TOP_K = 5;

/** 'backend' is the TensorFlow.js backend start that precedes the model's own phases. */
export type LoadPhase = 'backend' | LoadProgress['phase'];

export type ModelState =
  | { status: 'loading'; phase: LoadPhase; fraction: number }
  | { status: 'ready'; model: LoadedModel }
  | { status: 'error'; error: AppError };

export interface CurrentImage {
  /** Serial number of the input that produced this image. */
  id: number;
  /** Object URL of the original file, revoked when the image is replaced. */
  displayUrl: string;
  fileName: string;
  /** Original size after EXIF orientation. */
  width: number;
  height: number;
  pixels: RgbaImage;
  /** Class index for sample images, null for the user's own files. */
  trueLabel: number | null;
}

export interface Classification {
  imageId: number;
  value: ClassifyResult;
}

export type SamplesState =
  | { status: 'loading' }
  | { status: 'ready'; entries: SampleEntry[] }
  | { status: 'error'; detail: string };

export interface AppState {
  started: boolean;
  cardUrl: string | null;
  backendOrder: BackendName[];
  backend: BackendStatus | null;
  model: ModelState;
  image: CurrentImage | null;
  result: Classification | null;
  /** Serial number of the newest input. A decode that finishes after a newer input began is dropped. */
  inputSerial: number;
  decoding: boolean;
  classifying: boolean;
  /** Image id of the last classification attempt, so a failing image is not retried in a loop. */
  attemptedImageId: number | null;
  error: AppError | null;
  /** Completed classifications whose result reached the screen. */
  classifyCount: number;
  samples: SamplesState;
}

export const initialState: AppState = {
  started: false,
  cardUrl: null,
  backendOrder: [],
  backend: null,
  model: { status: 'loading', phase: 'backend', fraction: 0 },
  image: null,
  result: null,
  inputSerial: 0,
  decoding: false,
  classifying: false,
  attemptedImageId: null,
  error: null,
  classifyCount: 0,
  samples: { status: 'loading' },
};

export const useAppStore = create<AppState>()(() => initialState);

const get = useAppStore.getState;
const set = useAppStore.setState;

// Selectors return values already in the state, so components re-render only when those change.

export const selectModel = (state: AppState): ModelState => state.model;
export const selectCard = (state: AppState) => (state.model.status === 'ready' ? state.model.model.card : null);
/** True while the bundled model is in use: the sample images' labels are its class indices only. */
export const selectUsesBundledModel = (state: AppState): boolean => (
  state.model.status === 'ready' && state.cardUrl !== null && state.model.model.cardUrl === state.cardUrl
);
export const selectBackend = (state: AppState): BackendStatus | null => state.backend;
export const selectImage = (state: AppState): CurrentImage | null => state.image;
export const selectDecoding = (state: AppState): boolean => state.decoding;
export const selectClassifying = (state: AppState): boolean => state.classifying;
export const selectError = (state: AppState): AppError | null => state.error;
export const selectClassifyCount = (state: AppState): number => state.classifyCount;
export const selectSamples = (state: AppState): SamplesState => state.samples;

/** The result for the image on screen, or null while it is pending. */
export const selectResult = (state: AppState): ClassifyResult | null => (
  state.result && state.image && state.result.imageId === state.image.id ? state.result.value : null
);

/** The backend that ran the last classification, else the one that initialized. */
export const selectActiveBackend = (state: AppState): BackendName | null => (
  state.result?.value.backend ?? state.backend?.name ?? null
);

export type PredictionStatus = 'empty' | 'done' | 'waiting-for-model' | 'model-unavailable' | 'failed' | 'classifying';

/** Return the state of the prediction panel for the current image. */
export function selectPredictionStatus(state: AppState): PredictionStatus {
  if (!state.image) return 'empty';
  if (selectResult(state)) return 'done';
  if (state.model.status === 'loading') return 'waiting-for-model';
  if (state.model.status === 'error') return 'model-unavailable';
  if (state.attemptedImageId === state.image.id) return 'failed';
  return 'classifying';
}

/** Restore the initial state and release the image URL and the model (used by tests). */
export function resetAppStore(): void {
  const { image, model } = get();
  if (image) URL.revokeObjectURL(image.displayUrl);
  if (model.status === 'ready') model.model.dispose();
  set(initialState, true);
}

export function dismissError(): void {
  set({ error: null });
}

function isCurrentModel(model: LoadedModel): boolean {
  const current = get().model;
  return current.status === 'ready' && current.model === model;
}

function imageToClassify(): CurrentImage | null {
  const { image, model, attemptedImageId } = get();
  if (!image || model.status !== 'ready' || attemptedImageId === image.id) return null;
  return image;
}

async function classifyImage(model: LoadedModel, image: CurrentImage): Promise<void> {
  try {
    const value = await model.classify(image.pixels, TOP_K);

    // A newer image or model replaced this one during inference, so the loop classifies again.
    if (get().image?.id !== image.id || !isCurrentModel(model)) return;
    set((state) => ({
      result: { imageId: image.id, value },
      attemptedImageId: image.id,
      classifyCount: state.classifyCount + 1,
    }));
  } catch (error) {
    if (get().image?.id !== image.id || !isCurrentModel(model)) return;
    set({ attemptedImageId: image.id, error: toAppError(error, 'classify-failed') });
  }
}

/**
 * Classify the current image once the model is ready. One inference runs at a time. Images
 * that arrive meanwhile wait, and only the newest of them is classified next.
 */
export async function classifyCurrentImage(): Promise<void> {
  const { model, classifying } = get();
  if (classifying || model.status !== 'ready') return;

  set({ classifying: true });
  try {
    // The model is read on every round because replaceModel may swap it during an inference.
    for (let image = imageToClassify(); image; image = imageToClassify()) {
      await classifyImage((get().model as Extract<ModelState, { status: 'ready' }>).model, image);
    }
  } finally {
    set({ classifying: false });
  }
}

function beginInput(): number {
  const serial = get().inputSerial + 1;
  set({ inputSerial: serial, decoding: true });
  return serial;
}

function acceptImage(serial: number, decoded: DecodedImage, fileName: string, trueLabel: number | null): void {
  if (get().inputSerial !== serial) {
    URL.revokeObjectURL(decoded.displayUrl);
    return;
  }

  const previous = get().image;
  const image: CurrentImage = {
    id: serial,
    displayUrl: decoded.displayUrl,
    fileName,
    width: decoded.width,
    height: decoded.height,
    pixels: decoded.pixels,
    trueLabel,
  };
  set({ image, result: null, error: null, decoding: false });
  if (previous) URL.revokeObjectURL(previous.displayUrl);

  void classifyCurrentImage();
}

/** Show the error of a failed input, leaving the previous image and its result on screen. */
function rejectInput(serial: number, error: AppError): void {
  if (get().inputSerial !== serial) return;
  set({ error, decoding: false });
}

async function decodeAndAccept(serial: number, file: File, trueLabel: number | null): Promise<void> {
  try {
    const decoded = await decodeImageFile(file);
    acceptImage(serial, decoded, file.name, trueLabel);
  } catch (error) {
    rejectInput(serial, toAppError(error, 'decode-failed', { name: file.name }));
  }
}

/** Open a file the user chose, dropped or pasted. `null` means the drop carried no file. */
export async function openFile(file: File | null | undefined): Promise<void> {
  if (!file) {
    set({ error: { code: 'no-file', params: {} } });
    return;
  }
  const serial = beginInput();
  await decodeAndAccept(serial, file, null);
}

/** Open a sample image from `url`, remembering its true label. */
export async function openSample(entry: SampleEntry, url: string): Promise<void> {
  const serial = beginInput();
  let file: File;
  try {
    file = await fetchSampleFile(url, entry.file);
  } catch (error) {
    rejectInput(serial, toAppError(error, 'sample-failed', { name: entry.file }));
    return;
  }
  await decodeAndAccept(serial, file, entry.label);
}

/** Pixels captured in the page, such as a camera snapshot, rather than read from a file. */
export interface CapturedImage {
  /** Pixels to classify, at most MAX_DECODED_SIDE on the longest side like decoded files. */
  pixels: RgbaImage;
  /** Size of the capture before any downscale. */
  width: number;
  height: number;
  /** Encoded copy for the preview. */
  png: Blob;
}

/**
 * Make a captured image the current image and classify it, as if it were an opened file, so every
 * panel that shows the current image receives it. The store owns the preview URL it creates here.
 */
export function openCapturedImage(image: CapturedImage, fileName: string): void {
  const serial = beginInput();
  const decoded: DecodedImage = {
    pixels: image.pixels,
    width: image.width,
    height: image.height,
    format: 'png',
    displayUrl: URL.createObjectURL(image.png),
  };
  acceptImage(serial, decoded, fileName, null);
}

export async function loadSamples(indexUrl: string): Promise<void> {
  set({ samples: { status: 'loading' } });
  try {
    const entries = await fetchSampleIndex(indexUrl);
    set({ samples: { status: 'ready', entries } });
  } catch (error) {
    set({ samples: { status: 'error', detail: errorDetail(error) } });
  }
}

function failModel(error: AppError): void {
  set({ model: { status: 'error', error }, error });
}

async function startBackend(order: BackendName[]): Promise<boolean> {
  set({ model: { status: 'loading', phase: 'backend', fraction: 0 } });
  try {
    set({ backend: await initBackend(order) });
    return true;
  } catch (error) {
    failModel(toAppError(error, 'backend-failed'));
    return false;
  }
}

function reportProgress(progress: LoadProgress): void {
  // Progress that arrives after the load settled must not turn the state back to loading.
  if (get().model.status !== 'loading') return;
  set({ model: { status: 'loading', phase: progress.phase, fraction: progress.fraction } });
}

async function loadModel(cardUrl: string): Promise<void> {
  set({ model: { status: 'loading', phase: 'download', fraction: 0 } });
  try {
    const model = await loadModelFromUrl(cardUrl, reportProgress);
    const { error } = get();
    const loadError = error?.code === 'model-load-failed' || error?.code === 'backend-failed';
    set({ model: { status: 'ready', model }, error: loadError ? null : error });
  } catch (error) {
    failModel(toAppError(error, 'model-load-failed'));
    return;
  }
  await classifyCurrentImage();
}

export interface StartOptions {
  cardUrl: string;
  sampleIndexUrl: string;
  /** Backends to try, first to last. */
  backendOrder: BackendName[];
}

/** Start the first working backend, then load the model; later calls do nothing. */
export async function startApp(options: StartOptions): Promise<void> {
  if (get().started) return;
  set({ started: true, cardUrl: options.cardUrl, backendOrder: options.backendOrder });

  void loadSamples(options.sampleIndexUrl);
  if (await startBackend(options.backendOrder)) await loadModel(options.cardUrl);
}

/** Retry after a backend or model load failure. */
export async function retryModel(): Promise<void> {
  const { cardUrl, backend, backendOrder, model } = get();
  if (!cardUrl || model.status !== 'error') return;
  if (!backend && !(await startBackend(backendOrder))) return;
  await loadModel(cardUrl);
}

/**
 * Make `model` the current model, for example one imported from a checkpoint, and dispose the
 * previous one's tensors. The current image is classified again with the new model.
 */
export async function replaceModel(model: LoadedModel): Promise<void> {
  const previous = get().model;
  const { error } = get();
  const loadError = error?.code === 'model-load-failed' || error?.code === 'backend-failed';
  set({ model: { status: 'ready', model }, result: null, attemptedImageId: null, error: loadError ? null : error });
  if (previous.status === 'ready' && previous.model !== model) previous.model.dispose();
  await classifyCurrentImage();
}
