// Camera failures mapped to codes the UI translates, each with a way forward.

/**
 * - permission-denied: the user or a browser policy rejected camera access (NotAllowedError).
 * - no-camera: no video input exists, or the chosen one is gone (NotFoundError, OverconstrainedError).
 * - camera-in-use: the operating system or another program is using the camera (NotReadableError).
 * - camera-disconnected: a live track ended without the app stopping it, as when a camera is unplugged.
 * - insecure-context: navigator.mediaDevices is missing because the page is not served over HTTPS
 *   or from localhost.
 * - no-media-devices: navigator.mediaDevices is missing in a secure context (an old browser or an
 *   embedded web view without camera support).
 * - classify-failed: the network failed on a frame.
 * - snapshot-failed: the frame could not be copied or encoded for the prediction panel.
 * - camera-failed: any other getUserMedia failure (AbortError, TypeError, unknown names).
 */
export type WebcamErrorCode =
  | 'permission-denied'
  | 'no-camera'
  | 'camera-in-use'
  | 'camera-disconnected'
  | 'insecure-context'
  | 'no-media-devices'
  | 'classify-failed'
  | 'snapshot-failed'
  | 'camera-failed';

/** A camera failure with a code for the UI. `message` is technical English for the details line. */
export class WebcamError extends Error {
  readonly code: WebcamErrorCode;

  constructor(code: WebcamErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WebcamError';
    this.code = code;
  }
}

/**
 * DOMException names from getUserMedia (Media Capture and Streams) and the legacy names older
 * Chrome and Firefox versions used for the same failures.
 */
const CODE_BY_EXCEPTION_NAME: Record<string, WebcamErrorCode> = {
  NotAllowedError: 'permission-denied',
  PermissionDeniedError: 'permission-denied',
  SecurityError: 'permission-denied',
  NotFoundError: 'no-camera',
  DevicesNotFoundError: 'no-camera',
  OverconstrainedError: 'no-camera',
  ConstraintNotSatisfiedError: 'no-camera',
  NotReadableError: 'camera-in-use',
  TrackStartError: 'camera-in-use',
};

function exceptionName(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const { name } = error as { name?: unknown };
  return typeof name === 'string' ? name : null;
}

/** Classify a getUserMedia failure; WebcamErrors pass through unchanged. */
export function toWebcamError(error: unknown): WebcamError {
  if (error instanceof WebcamError) return error;
  const name = exceptionName(error);
  const message = error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)
    ? `${name ?? 'Error'}: ${String((error as { message: unknown }).message)}`
    : String(error);
  const code = (name && CODE_BY_EXCEPTION_NAME[name]) || 'camera-failed';
  return new WebcamError(code, message, { cause: error });
}
