import { describe, expect, it } from 'vitest';

import { CheckpointError, UnsafeGlobalError } from '../checkpoint';
import { WeightValidationError } from '../model/validate';
import { ModelStoreError } from '../storage/modelStore';
import { en } from './i18n/en';
import { ja } from './i18n/ja';
import { CHECKPOINT_ERROR_CODES, OTHER_IMPORT_ERROR_CODES, STORAGE_ERROR_CODES, toImportFailure } from './importError';

const ALL_CODES = [...CHECKPOINT_ERROR_CODES, ...STORAGE_ERROR_CODES, ...OTHER_IMPORT_ERROR_CODES];

describe('import error messages', () => {
  it.each(ALL_CODES)('%s has English and Japanese text', (code) => {
    expect(en.import.errors[code]).toMatch(/\S/);
    expect(ja.import.errors[code]).toMatch(/\S/);
  });

  it('cover exactly the known codes', () => {
    expect(Object.keys(en.import.errors).sort()).toEqual([...ALL_CODES].sort());
  });
});

describe('toImportFailure', () => {
  it('names the global of an unsafe pickle', () => {
    const failure = toImportFailure(new UnsafeGlobalError('posix.system', 'runs shell commands'), 'read-failed', { name: 'x.pth' });
    expect(failure.code).toBe('unsafe-global');
    expect(failure.params).toEqual({ name: 'x.pth', global: 'posix.system' });
    expect(failure.detail).toContain('nothing in it was run');
  });

  it('keeps the checkpoint error code', () => {
    const failure = toImportFailure(new CheckpointError('corrupt-archive', 'truncated'), 'read-failed', { name: 'x.pth' });
    expect(failure).toEqual({ code: 'corrupt-archive', params: { name: 'x.pth' }, detail: 'truncated' });
  });

  it('adds the expected keys to foreign-architecture', () => {
    const failure = toImportFailure(new CheckpointError('foreign-architecture', 'timm'), 'read-failed');
    expect(failure.params.expectedKeys).toBe('s0.0.0.weight, s0.0.1.weight, s0.0.1.running_mean, s1.0.proj.weight');
  });

  it('lists every key at fault of a weight mismatch', () => {
    const problems = {
      missing: ['fc.weight'],
      unexpected: ['extra.weight', 'other.bias'],
      mismatched: [{ key: 's0.0.0.weight', expected: [8, 1, 3, 3], found: [8, 3, 3, 3] }],
      invalid: [],
    };
    const failure = toImportFailure(new WeightValidationError(problems), 'read-failed', { name: 'x.pth' });
    expect(failure.code).toBe('weights-mismatch');
    expect(failure.params).toEqual({ name: 'x.pth', count: 4 });
    expect(failure.problems).toEqual(problems);
  });

  it('prefixes storage error codes', () => {
    expect(toImportFailure(new ModelStoreError('quota', 'full'), 'build-failed').code).toBe('storage-quota');
  });

  it('falls back for unknown errors', () => {
    expect(toImportFailure(new TypeError('boom'), 'build-failed')).toEqual({ code: 'build-failed', params: {}, detail: 'boom' });
  });
});
