// Decode a user's file off the main thread and pair the pixels with an object URL for <img>.

import { decodeImagePixels, ImageDecodeError, type DecodedImage, type DecodedPixels } from './decode';
import type { DecodeFailure, DecodeRequest, DecodeResponse } from './decodeProtocol';

interface Pending {
  resolve: (decoded: DecodedPixels) => void;
  reject: (error: unknown) => void;
}

let worker: Worker | null = null;
let workerBroken = false;
let nextId = 1;
const pending = new Map<number, Pending>();

function fromFailure(failure: DecodeFailure, name: string): Error {
  if (failure.code && failure.params) {
    return new ImageDecodeError(failure.code, failure.params, failure.message);
  }
  return new ImageDecodeError('decode-failed', { name }, `Decoding "${name}" failed in the worker: ${failure.message}`);
}

function settle(response: DecodeResponse): void {
  const entry = pending.get(response.id);
  if (!entry) return;
  pending.delete(response.id);

  if (response.ok) entry.resolve(response.decoded);
  else entry.reject(response.failure);
}

/**
 * Stop using a worker that failed to load, for example under a strict CSP or from a host that
 * serves .js with the wrong type. Requests in flight then decode on the main thread.
 */
function abandonWorker(): void {
  workerBroken = true;
  worker?.terminate();
  worker = null;

  const stranded = [...pending.values()];
  pending.clear();
  for (const entry of stranded) entry.reject(null);
}

function startWorker(): Worker | null {
  if (workerBroken || typeof Worker === 'undefined') return null;
  if (worker) return worker;
  try {
    worker = new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module' });
  } catch {
    workerBroken = true;
    return null;
  }
  worker.addEventListener('message', (event: MessageEvent<DecodeResponse>) => settle(event.data));
  worker.addEventListener('error', abandonWorker);
  return worker;
}

/** Resolve with the worker's pixels, reject with its DecodeFailure, or reject with null when the worker died. */
function decodeInWorker(target: Worker, file: Blob): Promise<DecodedPixels> {
  const id = nextId++;
  return new Promise<DecodedPixels>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    const request: DecodeRequest = { id, file };
    target.postMessage(request);
  });
}

async function decodePixels(file: Blob & { name?: string }): Promise<DecodedPixels> {
  const target = startWorker();
  if (!target) return decodeImagePixels(file);

  try {
    return await decodeInWorker(target, file);
  } catch (failure) {
    if (failure === null) return decodeImagePixels(file);
    throw fromFailure(failure as DecodeFailure, file.name && file.name.length > 0 ? file.name : 'image');
  }
}

/**
 * Decode an image file into RGBA pixels (see decodeImagePixels) in a worker when the browser
 * allows one, so a 6000x4000 photo does not stall the page. The caller owns `displayUrl`.
 */
export async function decodeImageFile(file: Blob & { name?: string }): Promise<DecodedImage> {
  const decoded = await decodePixels(file);
  return { ...decoded, displayUrl: URL.createObjectURL(file) };
}
