// Camera access: device list, opening a stream for a device or facing mode, and releasing it.

import { WebcamError } from './errors';

/** 'user' is the front (selfie) camera and 'environment' the back camera, as in MediaTrackConstraints. */
export type FacingMode = 'user' | 'environment';

export interface CameraRequest {
  /** A deviceId from listCameras(), or null to pick by facing mode. */
  deviceId: string | null;
  facingMode: FacingMode;
}

export interface CameraInfo {
  deviceId: string;
  /** Empty until the page has camera permission, as enumerateDevices() hides labels before. */
  label: string;
}

/** The parts of the page's environment the camera code reads, so tests can supply their own. */
export interface MediaEnvironment {
  mediaDevices?: Pick<MediaDevices, 'getUserMedia' | 'enumerateDevices'>
    & Partial<Pick<MediaDevices, 'addEventListener' | 'removeEventListener'>>;
  isSecureContext: boolean;
}

export function browserMediaEnvironment(): MediaEnvironment {
  return {
    mediaDevices: globalThis.navigator?.mediaDevices,
    isSecureContext: globalThis.isSecureContext ?? false,
  };
}

/** Return navigator.mediaDevices, or throw the reason it is missing. */
export function requireMediaDevices(environment: MediaEnvironment): NonNullable<MediaEnvironment['mediaDevices']> {
  const { mediaDevices } = environment;
  if (mediaDevices?.getUserMedia) return mediaDevices;
  if (!environment.isSecureContext) {
    throw new WebcamError('insecure-context',
      'navigator.mediaDevices is undefined because the page is not a secure context: serve it over HTTPS or from localhost');
  }
  throw new WebcamError('no-media-devices',
    'navigator.mediaDevices.getUserMedia is undefined in this browser: use a current Chrome, Edge, Firefox or Safari');
}

/** List the video inputs. Throws WebcamError('no-camera') when there are none. */
export async function listCameras(environment: MediaEnvironment): Promise<CameraInfo[]> {
  const devices = await requireMediaDevices(environment).enumerateDevices();
  const cameras = devices
    .filter((device) => device.kind === 'videoinput')
    .map((device) => ({ deviceId: device.deviceId, label: device.label }));
  if (cameras.length === 0) {
    throw new WebcamError('no-camera', 'enumerateDevices() lists no videoinput device');
  }
  return cameras;
}

/** Call `onChange` when a camera is plugged in or removed. Returns a function that removes the listener. */
export function watchDeviceChanges(environment: MediaEnvironment, onChange: () => void): () => void {
  const { mediaDevices } = environment;
  if (!mediaDevices?.addEventListener || !mediaDevices.removeEventListener) return () => {};
  mediaDevices.addEventListener('devicechange', onChange);
  return () => mediaDevices.removeEventListener!('devicechange', onChange);
}

/**
 * Video constraints for a request. A chosen device is required exactly, so a missing device
 * fails instead of silently opening another camera. The facing mode is only preferred, because
 * laptops have a single camera that reports no facing mode.
 */
export function cameraConstraints(request: CameraRequest): MediaStreamConstraints {
  const video: MediaTrackConstraints = request.deviceId
    ? { deviceId: { exact: request.deviceId } }
    : { facingMode: { ideal: request.facingMode } };
  return { video, audio: false };
}

/** Streams opened by this module whose tracks may still be live; stopStream removes them. */
const openStreams = new Set<MediaStream>();

export async function openCamera(environment: MediaEnvironment, request: CameraRequest): Promise<MediaStream> {
  const stream = await requireMediaDevices(environment).getUserMedia(cameraConstraints(request));
  openStreams.add(stream);
  return stream;
}

/** Stop every track of the stream, which releases the camera and turns its light off. */
export function stopStream(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
  openStreams.delete(stream);
}

/** Live tracks across every stream this module opened, including any a caller forgot to stop. */
export function liveTrackCount(): number {
  let count = 0;
  for (const stream of openStreams) {
    count += stream.getTracks().filter((track) => track.readyState === 'live').length;
  }
  return count;
}

/**
 * Call `onEnded` once when any track of the stream ends on its own (unplugged camera, revoked
 * permission). track.stop() does not fire 'ended', so stopping the stream does not call it.
 * Returns a function that removes the listeners.
 */
export function watchTrackEnd(stream: MediaStream, onEnded: (track: MediaStreamTrack) => void): () => void {
  const tracks = stream.getTracks();
  let fired = false;
  const listeners = tracks.map((track) => {
    const listener = () => {
      if (fired) return;
      fired = true;
      onEnded(track);
    };
    track.addEventListener('ended', listener);
    return listener;
  });
  return () => tracks.forEach((track, index) => track.removeEventListener('ended', listeners[index]));
}
