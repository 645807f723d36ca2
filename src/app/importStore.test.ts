// The import flow on the real checkpoint reader and fixtures, with TF.js model building mocked:
// what reaches the model card, and that failures leave the current model in use.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { ModelCard } from '../model/modelCard';
import { parseSafetensors } from '../model/safetensors';
import type { RawTensorMap } from '../model/tensors';
import { createLoadedModel, initBackend, loadModelFromUrl, type ClassifyResult, type LoadedModel } from '../model/session';
import { encodeSafetensors } from '../storage/safetensorsBlob';
import {
  addBlocker, confirmImport, importCheckpointFile, resetImportStore, selectPending, setImportImageSize,
  setImportLabelsFile, setImportPreset, useImportStore, type ImportCardText,
} from './importStore';
import { BUNDLED_MODEL_ID, resetLibraryStore, restoreActiveModel, SESSION_MODEL_ID, switchModel, useLibraryStore } from './libraryStore';
import { decodeImageFile } from '../image/decodeFile';
import { openFile, replaceModel, resetAppStore, selectResult, startApp, useAppStore } from './store';

vi.mock('../model/session', () => ({
  initBackend: vi.fn(),
  loadModelFromUrl: vi.fn(),
  createLoadedModel: vi.fn(),
}));

vi.mock('../image/decodeFile', () => ({
  decodeImageFile: vi.fn(),
}));

const FIXTURES = join(__dirname, '..', '..', 'tests', 'fixtures', 'checkpoints');
const START = { cardUrl: 'http://127.0.0.1/model.json', sampleIndexUrl: 'http://127.0.0.1/samples.json', backendOrder: [] };

const TEXT: ImportCardText = {
  defaultClassName: { en: (index) => `class ${index}`, ja: (index) => `クラス ${index}` },
  description: { en: 'Imported', ja: '読み込み' },
};

function fixtureFile(name: string): File {
  return new File([readFileSync(join(FIXTURES, name))], name);
}

function fakeModel(name: string): LoadedModel {
  return { card: { name } as ModelCard, cardUrl: name, dispose: vi.fn() } as unknown as LoadedModel;
}

const mockedCreate = vi.mocked(createLoadedModel);
const mockedLoad = vi.mocked(loadModelFromUrl);
let bundled: LoadedModel;

function currentModel(): LoadedModel | null {
  const { model } = useAppStore.getState();
  return model.status === 'ready' ? model.model : null;
}

/** Build a fake model from whatever card and weights the import passes, as createLoadedModel would. */
function acceptBuilds(): void {
  mockedCreate.mockImplementation(async (card: ModelCard, cardUrl: string, tensors: RawTensorMap) => (
    { card, cardUrl, tensorCount: tensors.size, dispose: vi.fn() } as unknown as LoadedModel
  ));
}

async function importForReview(name: string): Promise<void> {
  await importCheckpointFile(fixtureFile(name));
  const { current, failure } = useImportStore.getState();
  expect(failure, `failure importing ${name}`).toBeNull();
  expect(current.status).toBe('review');
}

beforeEach(async () => {
  vi.mocked(initBackend).mockResolvedValue({ name: 'cpu', fallbacks: [], softwareAdapter: false });
  vi.stubGlobal('fetch', vi.fn(async () => new Response('[]', { status: 200 })));
  bundled = fakeModel('bundled');
  mockedLoad.mockResolvedValue(bundled);
  await startApp(START);
  expect(currentModel()).toBe(bundled);
});

afterEach(() => {
  resetImportStore();
  resetLibraryStore();
  resetAppStore();
  vi.clearAllMocks();
  vi.unstubAllGlobals();
});

describe('checkpoint import', () => {
  it('builds the card from the inferred config and form', async () => {
    acceptBuilds();
    await importForReview('cctt_wrapped.pth');
    expect(addBlocker(selectPending(useImportStore.getState())!)).toBeNull();

    await confirmImport(TEXT);

    const model = currentModel()!;
    expect(model).not.toBe(bundled);
    expect(model.card.name).toBe('cctt_wrapped');
    expect(model.card.config.imageSize).toEqual([32, 32]);
    expect(model.card.preprocessing).toMatchObject({ channels: 'grayscale', size: [32, 32], mean: [0.5], std: [0.5] });
    expect(model.card.labels).toEqual({ en: ['class 0', 'class 1', 'class 2'], ja: ['クラス 0', 'クラス 1', 'クラス 2'] });
    expect(bundled.dispose).toHaveBeenCalledTimes(1);
    expect(useImportStore.getState().current.status).toBe('idle');
    expect(useImportStore.getState().added).toBe('cctt_wrapped');
  });

  it('keeps a model session-only without IndexedDB', async () => {
    acceptBuilds();
    await importForReview('cctt_bare.pth');
    await confirmImport(TEXT);

    const library = useLibraryStore.getState();
    expect(library.storage).toBe('unavailable');
    expect(library.activeId).toBe(SESSION_MODEL_ID);
    expect(library.sessionModelName).toBe('cctt_bare');
  });

  it('names the labels file count mismatch', async () => {
    await importForReview('cctt_bare.pth');
    await setImportLabelsFile(fixtureFile('cctt_labels_wrong_count.txt'));

    const pending = selectPending(useImportStore.getState())!;
    expect(pending.labelsFailure?.code).toBe('label-count');
    expect(pending.labelsFailure?.params).toMatchObject({ name: 'cctt_labels_wrong_count.txt', labels: 4, classes: 3 });
    expect(pending.labels).toBeNull();
    expect(addBlocker(pending)).toBe('labels');
  });

  it('uses the labels file names', async () => {
    acceptBuilds();
    await importForReview('cctt_bare.pth');
    await setImportLabelsFile(fixtureFile('cctt_labels.txt'));
    await confirmImport(TEXT);

    expect(currentModel()!.card.labels).toEqual({ en: ['cat', 'dog', 'bird'], ja: ['cat', 'dog', 'bird'] });
  });

  it('takes the C,T,T,T size from the weights', async () => {
    await importForReview('cttt_64.pth');
    const pending = selectPending(useImportStore.getState())!;

    expect(pending.imageSize).toEqual([64, 64]);
    expect(pending.imported.architecture.imageSizeSource).toBe('relative-index');
    expect(pending.preset).toBe('imagenet');
    expect(pending.normalization).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
  });

  it('asks for the size of a model without Transformer stage', async () => {
    acceptBuilds();
    await importForReview('cccc_32.pth');
    const pending = selectPending(useImportStore.getState())!;
    expect(pending.imageSize).toBeNull();
    expect(pending.imported.architecture.suggestedSizes).toContainEqual([224, 224]);
    expect(addBlocker(pending)).toBe('size');

    setImportImageSize([96, 64]);
    setImportPreset('imagenet');
    await confirmImport(TEXT);

    const card = currentModel()!.card;
    expect(card.config.imageSize).toEqual([96, 64]);
    expect(card.preprocessing.size).toEqual([96, 64]);
    expect(card.preprocessing.mean).toEqual([0.485, 0.456, 0.406]);
  });

  it.each([
    ['malicious_os_system.pth', 'unsafe-global', { global: 'posix.system' }],
    ['malicious_exec.pth', 'unsafe-global', { global: '__builtin__.exec' }],
    ['cctt_truncated.pth', 'corrupt-archive', {}],
    ['random_bytes.bin', 'not-a-checkpoint', {}],
    ['cctt_timm_style.pth', 'foreign-architecture', {}],
  ])('rejects %s and keeps the current model', async (name, code, params) => {
    await importCheckpointFile(fixtureFile(name));

    const { failure, current } = useImportStore.getState();
    expect(failure?.code).toBe(code);
    expect(failure?.params).toMatchObject({ name, ...params });
    expect(current.status).toBe('idle');
    expect(currentModel()).toBe(bundled);
    expect(bundled.dispose).not.toHaveBeenCalled();
    expect(mockedCreate).not.toHaveBeenCalled();
  });

  it('lists the keys of mismatched weights', async () => {
    const bytes = readFileSync(join(FIXTURES, 'cctt.safetensors'));
    const tensors = parseSafetensors(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer).tensors;
    tensors.delete('s0.0.1.running_var');
    tensors.set('extra.weight', { shape: [2], sourceDtype: 'float32', data: new Float32Array([1, 2]) });
    const file = new File([encodeSafetensors(tensors)], 'edited.safetensors');

    await importCheckpointFile(file);

    const { failure } = useImportStore.getState();
    expect(failure?.code).toBe('weights-mismatch');
    expect(failure?.params).toEqual({ name: 'edited.safetensors', count: 2 });
    expect(failure?.problems?.missing).toEqual(['s0.0.1.running_var']);
    expect(failure?.problems?.unexpected).toEqual(['extra.weight']);
    expect(currentModel()).toBe(bundled);
  });

  it('keeps the current model when building fails', async () => {
    mockedCreate.mockRejectedValueOnce(new Error('WebGPU device lost'));
    await importForReview('cctt_bare.pth');
    await confirmImport(TEXT);

    const { failure, current } = useImportStore.getState();
    expect(failure?.code).toBe('build-failed');
    expect(failure?.detail).toBe('WebGPU device lost');
    expect(current.status).toBe('review');
    expect(currentModel()).toBe(bundled);
    expect(bundled.dispose).not.toHaveBeenCalled();
    expect(useLibraryStore.getState().activeId).toBe(BUNDLED_MODEL_ID);
  });
});

describe('model switching', () => {
  it('drops a result of the replaced model', async () => {
    let finishOld!: (value: ClassifyResult) => void;
    bundled.classify = vi.fn(() => new Promise<ClassifyResult>((resolve) => { finishOld = resolve; }));
    const next = fakeModel('next');
    next.classify = vi.fn(async () => ({ topK: [{ index: 7, probability: 1 }] }) as ClassifyResult);
    vi.mocked(decodeImageFile).mockResolvedValueOnce({
      pixels: { data: new Uint8ClampedArray(4), width: 1, height: 1 }, width: 1, height: 1, format: 'png', displayUrl: 'blob:test/1',
    });
    vi.stubGlobal('URL', { ...URL, revokeObjectURL: vi.fn() });

    await openFile(new File([new Uint8Array([1])], 'one.png'));
    expect(bundled.classify).toHaveBeenCalledTimes(1);
    await replaceModel(next);
    finishOld({ topK: [{ index: 3, probability: 1 }] } as ClassifyResult);
    await vi.waitFor(() => expect(useAppStore.getState().classifying).toBe(false));

    expect(next.classify).toHaveBeenCalledTimes(1);
    expect(selectResult(useAppStore.getState())?.topK[0].index).toBe(7);
    expect(bundled.dispose).toHaveBeenCalledTimes(1);
  });

  it('keeps the current model when the bundled one fails to load', async () => {
    acceptBuilds();
    await importForReview('cctt_bare.pth');
    await confirmImport(TEXT);
    const imported = currentModel()!;
    mockedLoad.mockRejectedValueOnce(new Error('HTTP 404'));

    expect(await switchModel(BUNDLED_MODEL_ID)).toBe(false);

    expect(currentModel()).toBe(imported);
    expect(imported.dispose).not.toHaveBeenCalled();
    expect(useLibraryStore.getState().failure?.code).toBe('bundled-failed');
    expect(useLibraryStore.getState().activeId).toBe(SESSION_MODEL_ID);
  });

  it('disposes the previous model after a switch', async () => {
    acceptBuilds();
    await importForReview('cctt_bare.pth');
    await confirmImport(TEXT);
    const imported = currentModel()!;
    const reloaded = fakeModel('bundled again');
    mockedLoad.mockResolvedValueOnce(reloaded);

    expect(await switchModel(BUNDLED_MODEL_ID)).toBe(true);

    expect(currentModel()).toBe(reloaded);
    expect(imported.dispose).toHaveBeenCalledTimes(1);
    expect(useLibraryStore.getState().activeId).toBe(BUNDLED_MODEL_ID);
  });
});

describe('model in use across reloads', () => {
  const ACTIVE_MODEL_KEY = 'coatnet-browser.activeModel';
  let saved: Map<string, string>;

  beforeEach(() => {
    saved = new Map();
    vi.stubGlobal('localStorage', {
      getItem: (key: string) => saved.get(key) ?? null,
      setItem: (key: string, value: string) => saved.set(key, value),
    });
  });

  it('does not remember a session-only model', async () => {
    acceptBuilds();
    await importForReview('cctt_bare.pth');
    await confirmImport(TEXT);

    expect(useLibraryStore.getState().activeId).toBe(SESSION_MODEL_ID);
    expect(saved.has(ACTIVE_MODEL_KEY)).toBe(false);
  });

  it('remembers the bundled model after a switch', async () => {
    acceptBuilds();
    await importForReview('cctt_bare.pth');
    await confirmImport(TEXT);

    expect(await switchModel(BUNDLED_MODEL_ID)).toBe(true);

    expect(saved.get(ACTIVE_MODEL_KEY)).toBe(BUNDLED_MODEL_ID);
  });

  it('forgets a remembered model that is gone', async () => {
    saved.set(ACTIVE_MODEL_KEY, 'model-removed-elsewhere');

    await restoreActiveModel();

    expect(currentModel()).toBe(bundled);
    expect(useLibraryStore.getState().activeId).toBe(BUNDLED_MODEL_ID);
    expect(saved.get(ACTIVE_MODEL_KEY)).toBe(BUNDLED_MODEL_ID);
  });
});
