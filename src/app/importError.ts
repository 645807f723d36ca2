// Failures of checkpoint import, model switching and model storage, as codes the UI translates.

import { CheckpointError, EXPECTED_KEY_EXAMPLES, UnsafeGlobalError, type CheckpointErrorCode } from '../checkpoint';
import { WeightValidationError, type WeightProblems } from '../model/validate';
import { ModelStoreError, type ModelStoreErrorCode } from '../storage/modelStore';
import { errorDetail } from './appError';

/** Every CheckpointErrorCode; the type below fails to compile when a code is added to the core but not here. */
export const CHECKPOINT_ERROR_CODES = [
  'unsafe-global', 'invalid-pickle', 'not-a-checkpoint', 'corrupt-archive', 'archive-too-large', 'legacy-format', 'torchscript',
  'unsupported-tensor', 'unknown-layout', 'foreign-architecture', 'unrecognized-architecture', 'image-size',
  'invalid-labels', 'label-count',
] as const satisfies readonly CheckpointErrorCode[];

type AssertNever<T extends never> = T;
export type UntranslatedCheckpointCodes = AssertNever<Exclude<CheckpointErrorCode, (typeof CHECKPOINT_ERROR_CODES)[number]>>;

export type StorageErrorCode = `storage-${ModelStoreErrorCode}`;

export const STORAGE_ERROR_CODES: readonly StorageErrorCode[] = [
  'storage-unavailable', 'storage-quota', 'storage-not-found', 'storage-corrupt', 'storage-failed',
];

export type ImportErrorCode =
  | CheckpointErrorCode
  | StorageErrorCode
  /** WeightValidationError: keys missing, unexpected or of the wrong shape for the inferred config. */
  | 'weights-mismatch'
  /** The browser could not read the chosen file. */
  | 'read-failed'
  /** The model takes a channel count that no image gives (neither 1 nor 3). */
  | 'unsupported-channels'
  /** TF.js could not build or run the network (out of GPU memory, lost device, ...). */
  | 'build-failed'
  /** Switching back to the bundled model failed to download or build it. */
  | 'bundled-failed';

export const OTHER_IMPORT_ERROR_CODES = [
  'weights-mismatch', 'read-failed', 'unsupported-channels', 'build-failed', 'bundled-failed',
] as const satisfies readonly ImportErrorCode[];

export interface ImportFailure {
  code: ImportErrorCode;
  /** Values for the translated message. */
  params: Record<string, string | number>;
  /** The technical English message, shown under "Details". */
  detail: string;
  /** Every key at fault, for weights-mismatch. */
  problems?: WeightProblems;
}

/**
 * Turn an error of the import or switch pipeline into a failure the UI can translate. `fallback`
 * is the code of an error that none of the known classes describes.
 */
export function toImportFailure(
  error: unknown, fallback: ImportErrorCode, params: ImportFailure['params'] = {},
): ImportFailure {
  const detail = errorDetail(error);
  if (error instanceof UnsafeGlobalError) {
    return { code: 'unsafe-global', params: { ...params, global: error.globalName }, detail };
  }
  if (error instanceof CheckpointError) {
    const namesKeys = error.code === 'foreign-architecture' || error.code === 'unrecognized-architecture';
    const extra: ImportFailure['params'] = namesKeys ? { expectedKeys: EXPECTED_KEY_EXAMPLES.slice(0, 4).join(', ') } : {};
    return { code: error.code, params: { ...params, ...extra }, detail };
  }
  if (error instanceof WeightValidationError) {
    const { missing, unexpected, mismatched, invalid } = error.problems;
    return {
      code: 'weights-mismatch',
      params: { ...params, count: missing.length + unexpected.length + mismatched.length + invalid.length },
      detail,
      problems: error.problems,
    };
  }
  if (error instanceof ModelStoreError) {
    return { code: `storage-${error.code}`, params, detail };
  }
  return { code: fallback, params, detail };
}
