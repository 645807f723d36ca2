import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { DecodedPixels, ImageDecodeError as ImageDecodeErrorType } from './decode';

// Node has neither createImageBitmap nor Worker, so the browser decode is mocked. The page side
// (decodeFile.ts) and the worker side (decode.worker.ts) run for real, joined by a fake Worker.
// Replies pass through structuredClone, as between a browser worker and its page.
const decodeImagePixels = vi.fn<(file: Blob & { name?: string }) => Promise<DecodedPixels>>();
vi.mock('./decode', async (importOriginal) => ({
  ...(await importOriginal<typeof import('./decode')>()),
  decodeImagePixels,
}));

type Listener = (event: { data: unknown }) => void;

const workerScope = { listeners: [] as Listener[], toPage: null as Listener | null };

class FakeWorker {
  static instances = 0;
  static failToLoad = false;
  private readonly listeners = new Map<string, ((event: { data: unknown }) => void)[]>();

  constructor() {
    FakeWorker.instances += 1;
    workerScope.toPage = (event) => this.emit('message', event);
    if (FakeWorker.failToLoad) queueMicrotask(() => this.emit('error', { data: null }));
  }

  addEventListener(type: string, listener: (event: { data: unknown }) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  postMessage(data: unknown): void {
    if (FakeWorker.failToLoad) return;
    for (const listener of workerScope.listeners) listener({ data });
  }

  terminate(): void {}

  private emit(type: string, event: { data: unknown }): void {
    for (const listener of this.listeners.get(type) ?? []) listener(event);
  }
}

const PIXELS: DecodedPixels = {
  pixels: { data: new Uint8ClampedArray([1, 2, 3, 255]), width: 1, height: 1 },
  width: 6000,
  height: 4000,
  format: 'jpeg',
};

async function loadModules() {
  vi.resetModules();
  workerScope.listeners = [];
  vi.stubGlobal('self', {
    addEventListener: (_type: string, listener: Listener) => workerScope.listeners.push(listener),
    postMessage: (data: unknown) => workerScope.toPage?.({ data: structuredClone(data) }),
  });
  await import('./decode.worker');
  const { ImageDecodeError } = await import('./decode');
  const { decodeImageFile } = await import('./decodeFile');
  return { ImageDecodeError, decodeImageFile };
}

const photo = () => new File([new Uint8Array([0xff, 0xd8, 0xff])], 'photo.jpg', { type: 'image/jpeg' });

describe('decodeImageFile', () => {
  beforeEach(() => {
    FakeWorker.instances = 0;
    FakeWorker.failToLoad = false;
    decodeImagePixels.mockReset();
    vi.stubGlobal('Worker', FakeWorker);
    vi.spyOn(URL, 'createObjectURL').mockReturnValue('blob:photo');
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('returns worker pixels and file URL', async () => {
    decodeImagePixels.mockResolvedValue(PIXELS);
    const { decodeImageFile } = await loadModules();
    const file = photo();

    const decoded = await decodeImageFile(file);

    expect(decoded).toEqual({ ...PIXELS, displayUrl: 'blob:photo' });
    expect(decodeImagePixels).toHaveBeenCalledWith(file);
    expect(URL.createObjectURL).toHaveBeenCalledWith(file);
  });

  it('shares one worker across files', async () => {
    decodeImagePixels.mockImplementation(async (file) => ({ ...PIXELS, width: file.size }));
    const { decodeImageFile } = await loadModules();

    const sizes = [1, 22, 333].map((size) => new File([new Uint8Array(size)], `f${size}.png`));
    const results = await Promise.all(sizes.map((file) => decodeImageFile(file)));

    expect(results.map((result) => result.width)).toEqual([1, 22, 333]);
    expect(FakeWorker.instances).toBe(1);
  });

  it('rebuilds ImageDecodeError from worker', async () => {
    const { ImageDecodeError, decodeImageFile } = await loadModules();
    decodeImagePixels.mockRejectedValue(new ImageDecodeError('unsupported-format', { name: 'photo.jpg', format: 'HEIC' }, 'File "photo.jpg" is HEIC'));

    const error = await decodeImageFile(photo()).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ImageDecodeError);
    expect(error).toMatchObject({ code: 'unsupported-format', params: { name: 'photo.jpg', format: 'HEIC' }, message: 'File "photo.jpg" is HEIC' });
    expect(URL.createObjectURL).not.toHaveBeenCalled();
  });

  it('maps unexpected worker error to decode-failed', async () => {
    const { ImageDecodeError, decodeImageFile } = await loadModules();
    decodeImagePixels.mockRejectedValue(new TypeError('getImageData is not a function'));

    const error = await decodeImageFile(photo()).catch((caught: unknown) => caught) as ImageDecodeErrorType;

    expect(error).toBeInstanceOf(ImageDecodeError);
    expect(error.code).toBe('decode-failed');
    expect(error.params).toEqual({ name: 'photo.jpg' });
    expect(error.message).toContain('getImageData is not a function');
  });

  it('falls back when worker fails to load', async () => {
    FakeWorker.failToLoad = true;
    decodeImagePixels.mockResolvedValue(PIXELS);
    const { decodeImageFile } = await loadModules();

    await expect(decodeImageFile(photo())).resolves.toMatchObject({ width: 6000 });
    await expect(decodeImageFile(photo())).resolves.toMatchObject({ width: 6000 });

    expect(FakeWorker.instances).toBe(1);
    expect(decodeImagePixels).toHaveBeenCalledTimes(2);
  });

  it('falls back without Worker', async () => {
    vi.stubGlobal('Worker', undefined);
    decodeImagePixels.mockResolvedValue(PIXELS);
    const { decodeImageFile } = await loadModules();

    await expect(decodeImageFile(photo())).resolves.toMatchObject({ format: 'jpeg', displayUrl: 'blob:photo' });
    expect(FakeWorker.instances).toBe(0);
  });
});
