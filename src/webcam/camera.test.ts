import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  cameraConstraints,
  listCameras,
  liveTrackCount,
  openCamera,
  requireMediaDevices,
  stopStream,
  watchDeviceChanges,
  watchTrackEnd,
  type MediaEnvironment,
} from './camera';
import { WebcamError } from './errors';
import { fakeStream, tracksOf } from './testDoubles';

function device(kind: MediaDeviceKind, deviceId: string, label = ''): MediaDeviceInfo {
  return { kind, deviceId, label, groupId: 'group', toJSON: () => ({}) } as MediaDeviceInfo;
}

function environment(devices: MediaDeviceInfo[], streams: MediaStream[] = []): MediaEnvironment & { requests: MediaStreamConstraints[] } {
  const requests: MediaStreamConstraints[] = [];
  return {
    isSecureContext: true,
    requests,
    mediaDevices: {
      enumerateDevices: async () => devices,
      getUserMedia: async (constraints?: MediaStreamConstraints) => {
        requests.push(constraints ?? {});
        const stream = streams.shift();
        if (!stream) throw new Error('test opened more streams than it prepared');
        return stream;
      },
    },
  };
}

const opened: MediaStream[] = [];

afterEach(() => {
  // The module counts every stream it opened, so release them to keep tests independent.
  for (const stream of opened.splice(0)) stopStream(stream);
});

async function open(env: MediaEnvironment, deviceId: string | null = null): Promise<MediaStream> {
  const stream = await openCamera(env, { deviceId, facingMode: 'user' });
  opened.push(stream);
  return stream;
}

describe('requireMediaDevices', () => {
  it('reports an insecure context when mediaDevices is missing there', () => {
    expect(() => requireMediaDevices({ isSecureContext: false })).toThrowError(
      expect.objectContaining({ code: 'insecure-context' }) as Error,
    );
  });

  it('reports a browser without the API in a secure context', () => {
    expect(() => requireMediaDevices({ isSecureContext: true })).toThrowError(
      expect.objectContaining({ code: 'no-media-devices' }) as Error,
    );
  });

  it('returns mediaDevices when present', () => {
    const env = environment([]);
    expect(requireMediaDevices(env)).toBe(env.mediaDevices);
  });
});

describe('listCameras', () => {
  it('keeps only video inputs', async () => {
    const env = environment([
      device('audioinput', 'mic'),
      device('videoinput', 'front', 'Front Camera'),
      device('audiooutput', 'speaker'),
      device('videoinput', 'back', ''),
    ]);
    await expect(listCameras(env)).resolves.toEqual([
      { deviceId: 'front', label: 'Front Camera' },
      { deviceId: 'back', label: '' },
    ]);
  });

  it('throws no-camera without video inputs', async () => {
    const error = await listCameras(environment([device('audioinput', 'mic')])).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WebcamError);
    expect((error as WebcamError).code).toBe('no-camera');
  });
});

describe('cameraConstraints', () => {
  it('requires a chosen device exactly', () => {
    expect(cameraConstraints({ deviceId: 'abc', facingMode: 'user' })).toEqual({
      video: { deviceId: { exact: 'abc' } },
      audio: false,
    });
  });

  it('prefers the facing mode without a device', () => {
    expect(cameraConstraints({ deviceId: null, facingMode: 'environment' })).toEqual({
      video: { facingMode: { ideal: 'environment' } },
      audio: false,
    });
  });
});

describe('openCamera and stopStream', () => {
  it('passes the constraints to getUserMedia', async () => {
    const env = environment([], [fakeStream()]);
    await open(env, 'back');
    expect(env.requests).toEqual([{ video: { deviceId: { exact: 'back' } }, audio: false }]);
  });

  it('counts live tracks and stops every track', async () => {
    const stream = fakeStream('camera-1', true);
    await open(environment([], [stream]));
    expect(liveTrackCount()).toBe(2);

    stopStream(stream);
    expect(tracksOf(stream).map((track) => track.readyState)).toEqual(['ended', 'ended']);
    expect(liveTrackCount()).toBe(0);
  });

  it('counts a stream that was never stopped', async () => {
    const first = fakeStream('camera-1');
    const second = fakeStream('camera-2');
    await open(environment([], [first, second]));
    await open(environment([], [second]));
    stopStream(first);
    expect(liveTrackCount()).toBe(1);
  });
});

describe('watchTrackEnd', () => {
  it('reports an unplugged camera once', () => {
    const stream = fakeStream('camera-1', true);
    const onEnded = vi.fn();
    watchTrackEnd(stream, onEnded);
    tracksOf(stream)[0].unplug();
    tracksOf(stream)[1].unplug();
    expect(onEnded).toHaveBeenCalledTimes(1);
    expect(onEnded).toHaveBeenCalledWith(tracksOf(stream)[0]);
  });

  it('stops reporting after unsubscribe', () => {
    const stream = fakeStream();
    const onEnded = vi.fn();
    watchTrackEnd(stream, onEnded)();
    tracksOf(stream)[0].unplug();
    expect(onEnded).not.toHaveBeenCalled();
  });

  it('ignores tracks stopped by stopStream', () => {
    const stream = fakeStream();
    const onEnded = vi.fn();
    watchTrackEnd(stream, onEnded);
    stopStream(stream);
    expect(onEnded).not.toHaveBeenCalled();
  });
});

describe('watchDeviceChanges', () => {
  it('calls back on devicechange until removed', () => {
    const target = new EventTarget();
    const env: MediaEnvironment = {
      isSecureContext: true,
      mediaDevices: {
        enumerateDevices: async () => [],
        getUserMedia: async () => fakeStream(),
        addEventListener: target.addEventListener.bind(target),
        removeEventListener: target.removeEventListener.bind(target),
      },
    };
    const onChange = vi.fn();
    const unwatch = watchDeviceChanges(env, onChange);
    target.dispatchEvent(new Event('devicechange'));
    unwatch();
    target.dispatchEvent(new Event('devicechange'));
    expect(onChange).toHaveBeenCalledTimes(1);
  });
});
