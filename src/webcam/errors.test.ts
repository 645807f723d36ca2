import { describe, expect, it } from 'vitest';

import { toWebcamError, WebcamError } from './errors';

describe('toWebcamError', () => {
  it.each([
    ['NotAllowedError', 'permission-denied'],
    ['PermissionDeniedError', 'permission-denied'],
    ['SecurityError', 'permission-denied'],
    ['NotFoundError', 'no-camera'],
    ['DevicesNotFoundError', 'no-camera'],
    ['OverconstrainedError', 'no-camera'],
    ['NotReadableError', 'camera-in-use'],
    ['TrackStartError', 'camera-in-use'],
    ['AbortError', 'camera-failed'],
    ['TypeError', 'camera-failed'],
  ])('maps DOMException %s to %s', (name, code) => {
    const error = toWebcamError(new DOMException('Could not start video source', name));
    expect(error.code).toBe(code);
    expect(error.message).toBe(`${name}: Could not start video source`);
  });

  it('keeps the original error as cause', () => {
    const original = new DOMException('Permission denied', 'NotAllowedError');
    expect(toWebcamError(original).cause).toBe(original);
  });

  it('passes a WebcamError through unchanged', () => {
    const error = new WebcamError('insecure-context', 'not secure');
    expect(toWebcamError(error)).toBe(error);
  });

  it('maps values without a name to camera-failed', () => {
    const error = toWebcamError('broken');
    expect(error.code).toBe('camera-failed');
    expect(error.message).toBe('broken');
  });
});
