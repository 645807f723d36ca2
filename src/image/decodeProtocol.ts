// Messages between the page and the decode worker. Errors cross as plain data, because a thrown
// ImageDecodeError loses its class and fields when the structured clone copies it.

import type { DecodedPixels, DecodeErrorCode, DecodeErrorParams } from './decode';

export interface DecodeRequest {
  id: number;
  /** A File keeps its name through the structured clone; an unnamed Blob is reported as 'image'. */
  file: Blob;
}

export interface DecodeFailure {
  /** Set for ImageDecodeError; absent for unexpected errors, which the page reports as decode-failed. */
  code?: DecodeErrorCode;
  params?: DecodeErrorParams;
  message: string;
}

export type DecodeResponse =
  | { id: number; ok: true; decoded: DecodedPixels }
  | { id: number; ok: false; failure: DecodeFailure };
