// Decode worker: createImageBitmap, its downscale and getImageData of a large photo take hundreds
// of milliseconds, so they run here instead of blocking the page.

import { decodeImagePixels, ImageDecodeError } from './decode';
import type { DecodeFailure, DecodeRequest, DecodeResponse } from './decodeProtocol';

function toFailure(error: unknown): DecodeFailure {
  if (error instanceof ImageDecodeError) {
    return { code: error.code, params: error.params, message: error.message };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

async function handle(request: DecodeRequest): Promise<void> {
  let response: DecodeResponse;
  try {
    response = { id: request.id, ok: true, decoded: await decodeImagePixels(request.file) };
  } catch (error) {
    response = { id: request.id, ok: false, failure: toFailure(error) };
  }

  // Transfer the RGBA buffer instead of copying it: up to 4 MB at 1024x1024.
  const transfer = response.ok ? [response.decoded.pixels.data.buffer] : [];
  self.postMessage(response, { transfer });
}

self.addEventListener('message', (event: MessageEvent<DecodeRequest>) => {
  void handle(event.data);
});
