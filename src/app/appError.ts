// Errors shown to the user: a code the UI translates, its parameters and a technical detail.

import { ImageDecodeError, type DecodeErrorCode } from '../image/decode';

export type AppErrorCode =
  | DecodeErrorCode
  | 'no-file'
  | 'sample-failed'
  | 'model-load-failed'
  | 'backend-failed'
  | 'classify-failed';

export interface AppError {
  code: AppErrorCode;
  /** Values for the translated message, such as the file name. */
  params: Record<string, string | number>;
  /** Technical English message of the underlying error, shown under "Details". */
  detail?: string;
}

export function errorDetail(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Wrap an unknown failure; decode errors keep their own code and parameters. */
export function toAppError(error: unknown, fallbackCode: AppErrorCode, params: AppError['params'] = {}): AppError {
  if (error instanceof ImageDecodeError) {
    const decodeParams = Object.fromEntries(
      Object.entries(error.params).filter(([, value]) => value !== undefined),
    ) as AppError['params'];
    return { code: error.code, params: decodeParams, detail: error.message };
  }
  return { code: fallbackCode, params, detail: errorDetail(error) };
}
