// Camera state (zustand), kept apart from the main store: the session, the camera choice, the
// live prediction and camera errors. It reads the main store only through its selectors and
// sends snapshots through its openCapturedImage action.

import { create } from 'zustand';

import type { RgbaImage } from '../model/preprocess';
import type { BackendName, ClassifyResult, LoadedModel, TopKEntry } from '../model/session';
import {
  browserMediaEnvironment,
  listCameras,
  requireMediaDevices,
  watchDeviceChanges,
  type CameraInfo,
  type FacingMode,
  type MediaEnvironment,
} from '../webcam/camera';
import { toWebcamError, WebcamError, type WebcamErrorCode } from '../webcam/errors';
import { canvasToPng } from '../webcam/frameCapture';
import type { LoopFrame } from '../webcam/loop';
import { WebcamSession } from '../webcam/session';
import { publishWebcamStats } from '../webcam/stats';
import { watchVisibility, type VisibilityTarget } from '../webcam/visibility';
import { openCapturedImage, selectModel, useAppStore } from './store';

/** Number of classes shown over the video. */
export const LIVE_TOP_K = 3;

export type WebcamStatus = 'idle' | 'starting' | 'live';

export interface LivePrediction {
  topK: TopKEntry[];
  /** Classified frames per second, or null until two frames are done. */
  fps: number | null;
  /** Milliseconds from taking the frame to its result. */
  latencyMs: number;
  /** Milliseconds of that spent in the forward pass and read-back. */
  inferenceMs: number;
  /** Frames classified since the camera started. */
  frames: number;
  backend: BackendName;
}

export interface WebcamErrorState {
  code: WebcamErrorCode;
  /** Technical English message, shown under "Details". */
  detail: string;
}

export interface WebcamState {
  status: WebcamStatus;
  session: WebcamSession | null;
  /** Serial of the latest start or stop. A start that finishes after a newer one releases its camera. */
  serial: number;
  /** Listeners of the live session (page visibility, model readiness), removed on stop. */
  subscriptions: Array<() => void>;
  cameras: CameraInfo[];
  /** The camera chosen in the list, or null to choose by facing mode. */
  deviceId: string | null;
  facingMode: FacingMode;
  /** Whether the preview is mirrored. Frames passed to the model are never mirrored. */
  mirror: boolean;
  /** The tab is hidden, so the loop is paused. */
  hidden: boolean;
  /** The model whose preprocessing the running loop reduces frames with. */
  loopModel: LoadedModel | null;
  prediction: LivePrediction | null;
  error: WebcamErrorState | null;
  /** Sources of camera access and page visibility, which tests replace. */
  environment: MediaEnvironment;
  visibility: VisibilityTarget | null;
}

export const initialWebcamState: WebcamState = {
  status: 'idle',
  session: null,
  serial: 0,
  subscriptions: [],
  cameras: [],
  deviceId: null,
  facingMode: 'user',
  mirror: true,
  hidden: false,
  loopModel: null,
  prediction: null,
  error: null,
  environment: browserMediaEnvironment(),
  visibility: typeof document === 'undefined' ? null : document,
};

export const useWebcamStore = create<WebcamState>()(() => initialWebcamState);

const get = useWebcamStore.getState;
const set = useWebcamStore.setState;

export const selectWebcamStatus = (state: WebcamState): WebcamStatus => state.status;
export const selectCameras = (state: WebcamState): CameraInfo[] => state.cameras;
export const selectDeviceId = (state: WebcamState): string | null => state.deviceId;
export const selectFacingMode = (state: WebcamState): FacingMode => state.facingMode;
export const selectMirror = (state: WebcamState): boolean => state.mirror;
export const selectHidden = (state: WebcamState): boolean => state.hidden;
export const selectLivePrediction = (state: WebcamState): LivePrediction | null => state.prediction;
export const selectWebcamError = (state: WebcamState): WebcamErrorState | null => state.error;

function errorState(error: unknown): WebcamErrorState {
  const webcamError = toWebcamError(error);
  return { code: webcamError.code, detail: webcamError.message };
}

/** Release the session and its listeners, leaving the camera choice as it is. */
function releaseSession(): void {
  const { session, subscriptions, prediction } = get();
  for (const unsubscribe of subscriptions) unsubscribe();
  session?.stop();
  set({ session: null, subscriptions: [], loopModel: null, prediction: null });
  if (session) publishWebcamStats(prediction?.frames ?? 0);
}

/** End the session with an error, unless a newer start or stop already replaced it. */
function failSession(serial: number, error: unknown): void {
  if (get().serial !== serial) return;
  releaseSession();
  set({ status: 'idle', serial: serial + 1, error: errorState(error) });
}

function showFrame(session: WebcamSession, frame: LoopFrame): void {
  if (get().session !== session) return;
  const prediction: LivePrediction = {
    topK: frame.result.topK,
    fps: frame.fps,
    latencyMs: frame.latencyMs,
    inferenceMs: frame.result.ms,
    frames: frame.count,
    backend: frame.result.backend,
  };
  set({ prediction });
  publishWebcamStats(frame.count);
}

/** Classify with the model currently in the main store, so a reloaded model is used. */
async function classifyLive(image: RgbaImage): Promise<ClassifyResult> {
  const model = selectModel(useAppStore.getState());
  if (model.status !== 'ready') {
    throw new Error(`The model is ${model.status}, so the frame cannot be classified`);
  }
  return model.model.classify(image, LIVE_TOP_K);
}

/**
 * Start the loop once both the session and the model are ready; called again when either changes.
 * Another model may take another input size or channel count, so the loop restarts with its spec.
 */
function ensureLoop(serial: number): void {
  const { session, hidden, loopModel } = get();
  const model = selectModel(useAppStore.getState());
  if (!session || get().serial !== serial || model.status !== 'ready') return;
  if (session.loopRunning && loopModel === model.model) return;

  // The previous model is disposed right after the switch: stopping first drops its last result.
  session.stopLoop();
  set({ loopModel: model.model });
  session.startLoop(model.model.card.preprocessing, {
    classify: classifyLive,
    onFrame: (frame) => showFrame(session, frame),
    onError: (error) => failSession(serial, new WebcamError('classify-failed',
      `Classifying a camera frame failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error })),
  });
  if (hidden) session.pause();
}

function onVisibilityChange(hidden: boolean): void {
  set({ hidden });
  const { session } = get();
  if (hidden) session?.pause();
  else session?.resume();
}

function subscribeSession(serial: number): Array<() => void> {
  const { visibility } = get();
  const subscriptions = [useAppStore.subscribe(() => ensureLoop(serial))];
  if (visibility) {
    set({ hidden: visibility.hidden });
    subscriptions.push(watchVisibility(visibility, onVisibilityChange));
  }
  return subscriptions;
}

/** Report a missing or insecure camera API before the user presses Start. */
export function checkWebcamSupport(): void {
  try {
    requireMediaDevices(get().environment);
  } catch (error) {
    set({ error: errorState(error) });
  }
}

/** Update the camera list. Labels appear only once the page has camera permission. */
export async function refreshCameras(): Promise<void> {
  try {
    set({ cameras: await listCameras(get().environment) });
  } catch {
    // The list only fills the picker; Start reports the reason when the camera is really needed.
    set({ cameras: [] });
  }
}

/** Keep the camera list current while cameras are plugged in or removed. Returns the unsubscribe function. */
export function watchCameraList(): () => void {
  return watchDeviceChanges(get().environment, () => void refreshCameras());
}

/** Open the chosen camera in `video` and classify its frames as soon as the model is ready. */
export async function startWebcam(video: HTMLVideoElement): Promise<void> {
  releaseSession();
  const serial = get().serial + 1;
  set({ status: 'starting', serial, error: null });

  const { environment, deviceId, facingMode } = get();
  let session: WebcamSession;
  try {
    // Without any camera, say so instead of showing a permission prompt first.
    await listCameras(environment);
    session = await WebcamSession.open({
      video,
      environment,
      request: { deviceId, facingMode },
      onEnded: () => failSession(serial, new WebcamError('camera-disconnected',
        'A camera track ended while in use: the camera was unplugged, switched off or its permission revoked')),
    });
  } catch (error) {
    if (get().serial === serial) set({ status: 'idle', error: errorState(error) });
    return;
  }

  if (get().serial !== serial) {
    session.stop();
    return;
  }
  set({ status: 'live', session, subscriptions: subscribeSession(serial) });
  publishWebcamStats(0);
  ensureLoop(serial);
  void refreshCameras();
}

/** Stop the loop and release the camera (every track stopped). */
export function stopWebcam(): void {
  releaseSession();
  set((state) => ({ status: 'idle', serial: state.serial + 1 }));
}

function restartIfLive(): void {
  const { session } = get();
  if (session) void startWebcam(session.video);
}

/** Use a camera from the list, or null to choose by facing mode; a live camera switches at once. */
export function chooseCamera(deviceId: string | null): void {
  set({ deviceId });
  restartIfLive();
}

/** Switch between the front and back camera; a live camera switches at once. */
export function toggleFacingMode(): void {
  set((state) => ({ facingMode: state.facingMode === 'user' ? 'environment' : 'user', deviceId: null }));
  restartIfLive();
}

export function setMirror(mirror: boolean): void {
  set({ mirror });
}

export function dismissWebcamError(): void {
  set({ error: null });
}

function snapshotFileName(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `camera-${pad(date.getHours())}-${pad(date.getMinutes())}-${pad(date.getSeconds())}.png`;
}

/**
 * Send the frame on screen, unmirrored, to the main store as the current image, where the
 * prediction panel and any other panel of the current image pick it up.
 */
export async function snapshotWebcam(): Promise<void> {
  const { session } = get();
  if (!session) return;
  try {
    const frame = session.snapshot();
    const png = await canvasToPng(frame.canvas);
    openCapturedImage({ pixels: frame.pixels, width: frame.width, height: frame.height, png }, snapshotFileName(new Date()));
  } catch (error) {
    set({ error: { code: 'snapshot-failed', detail: error instanceof Error ? error.message : String(error) } });
  }
}

/** Restore the initial state after releasing the camera (used by tests). */
export function resetWebcamStore(overrides: Partial<WebcamState> = {}): void {
  releaseSession();
  set({ ...initialWebcamState, ...overrides }, true);
}
