import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';

import {
  CheckpointError, checkLabelCount, completeImport, importCheckpoint, parseLabelsFile, readCheckpointFile, readTorchFile, sniffFormat,
  UnsafeGlobalError, type CheckpointLayoutKind, type ImportedCheckpoint,
} from '../src/checkpoint';
import { CoAtNet } from '../src/model/coatnet';
import { PRESETS, type CoAtNetConfig } from '../src/model/config';
import { parseSafetensors } from '../src/model/safetensors';
import type { RawTensor, RawTensorMap, SourceDtype } from '../src/model/tensors';
import { maxAbsDifference, nchwToNhwc } from './helpers/fixtures';

// Fixtures written by tools/make_checkpoint_fixtures.py from the reference PyTorch CoAtNet.
const DIR = join(__dirname, 'fixtures', 'checkpoints');

interface Manifest {
  models: Record<string, { config: CoAtNetConfig }>;
  labels: string[];
  pwnedMarkers: Record<string, string>;
}

interface ViewsFixture {
  storageCount: number;
  tensors: Record<string, { shape: number[]; dtype: string; values: Array<number | boolean> }>;
}

function fixtureBytes(name: string): Uint8Array {
  const bytes = readFileSync(join(DIR, name));
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function fixtureJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(DIR, name), 'utf8')) as T;
}

const MANIFEST = fixtureJson<Manifest>('manifest.json');
const EXPECTED: RawTensorMap = (() => {
  const bytes = fixtureBytes('expected.safetensors');
  return parseSafetensors(bytes.slice().buffer as ArrayBuffer, 'expected.safetensors').tensors;
})();

async function rejection(promise: Promise<unknown>): Promise<CheckpointError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CheckpointError) return error;
    throw error;
  }
  throw new Error('the file was accepted');
}

/** Logits of the TF.js CoAtNet built from imported weights, on the fixture input of `model`. */
function logitsOf(config: CoAtNetConfig, tensors: RawTensorMap, model: string): Float32Array {
  const input = EXPECTED.get(`input_${model}`)!;
  const [, channels, height, width] = input.shape;
  const net = new CoAtNet(config, tensors);
  const x = tf.tensor4d(nchwToNhwc(input), [1, height, width, channels]);
  const { logits } = net.forward(x);
  const values = logits.dataSync() as Float32Array;
  tf.dispose([x, logits]);
  net.dispose();
  return values;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface LoadableCase {
  file: string;
  model: string;
  logits: string;
  format: 'torch-zip' | 'torch-legacy' | 'safetensors';
  kind: CheckpointLayoutKind;
  weightsKey: string | null;
  strippedPrefix: string;
  convertedFrom: SourceDtype[];
}

const LOADABLE: LoadableCase[] = [
  { file: 'cctt_bare.pth', model: 'cctt', logits: 'logits_cctt', format: 'torch-zip', kind: 'state-dict', weightsKey: null, strippedPrefix: '', convertedFrom: [] },
  { file: 'cctt_wrapped.pth', model: 'cctt', logits: 'logits_cctt', format: 'torch-zip', kind: 'wrapped-state-dict', weightsKey: 'state_dict', strippedPrefix: '', convertedFrom: [] },
  { file: 'cctt_model_state_dict.pth', model: 'cctt', logits: 'logits_cctt', format: 'torch-zip', kind: 'wrapped-state-dict', weightsKey: 'model_state_dict', strippedPrefix: '', convertedFrom: [] },
  { file: 'cctt_module_prefix.pth', model: 'cctt', logits: 'logits_cctt', format: 'torch-zip', kind: 'state-dict', weightsKey: null, strippedPrefix: 'module.', convertedFrom: [] },
  { file: 'cctt_orig_mod_prefix.pth', model: 'cctt', logits: 'logits_cctt', format: 'torch-zip', kind: 'state-dict', weightsKey: null, strippedPrefix: '_orig_mod.', convertedFrom: [] },
  { file: 'cctt_whole_model.pth', model: 'cctt', logits: 'logits_cctt', format: 'torch-zip', kind: 'whole-model', weightsKey: null, strippedPrefix: '', convertedFrom: [] },
  { file: 'cctt_float16.pth', model: 'cctt', logits: 'logits_cctt_float16', format: 'torch-zip', kind: 'state-dict', weightsKey: null, strippedPrefix: '', convertedFrom: ['float16'] },
  { file: 'cctt_bfloat16.pth', model: 'cctt', logits: 'logits_cctt_bfloat16', format: 'torch-zip', kind: 'state-dict', weightsKey: null, strippedPrefix: '', convertedFrom: ['bfloat16'] },
  { file: 'cctt.safetensors', model: 'cctt', logits: 'logits_cctt', format: 'safetensors', kind: 'safetensors', weightsKey: null, strippedPrefix: '', convertedFrom: [] },
  { file: 'cctt_legacy.pth', model: 'cctt', logits: 'logits_cctt', format: 'torch-legacy', kind: 'state-dict', weightsKey: null, strippedPrefix: '', convertedFrom: [] },
  { file: 'cttt_64.pth', model: 'cttt_64', logits: 'logits_cttt_64', format: 'torch-zip', kind: 'state-dict', weightsKey: null, strippedPrefix: '', convertedFrom: [] },
  { file: 'ccct_64x96.pth', model: 'ccct_64x96', logits: 'logits_ccct_64x96', format: 'torch-zip', kind: 'state-dict', weightsKey: null, strippedPrefix: '', convertedFrom: [] },
];

describe.each(LOADABLE)('importCheckpoint $file', (fixture) => {
  let imported: ImportedCheckpoint;

  beforeAll(async () => {
    imported = await importCheckpoint(fixtureBytes(fixture.file), fixture.file);
  });

  it('reports format, layout and converted dtypes', () => {
    expect(imported.format).toBe(fixture.format);
    expect(imported.layout.kind).toBe(fixture.kind);
    expect(imported.layout.weightsKey).toBe(fixture.weightsKey);
    expect(imported.layout.strippedPrefix).toBe(fixture.strippedPrefix);
    expect(imported.convertedFrom).toEqual(fixture.convertedFrom);
  });

  it('infers the config PyTorch was built with', () => {
    expect(imported.config).toEqual(MANIFEST.models[fixture.model].config);
  });

  it('gives the PyTorch logits within 1e-4', () => {
    const logits = logitsOf(imported.config!, imported.tensors, fixture.model);
    const expected = EXPECTED.get(fixture.logits)!.data as Float32Array;

    expect(logits).toHaveLength(MANIFEST.models[fixture.model].config.numClasses);
    expect(maxAbsDifference(logits, expected)).toBeLessThanOrEqual(1e-4);
  });
});

describe('checkpoint layouts of the C,C,T,T model', () => {
  it('wrapped checkpoint ignores training state', async () => {
    const result = await readTorchFile(fixtureBytes('cctt_wrapped.pth'), 'cctt_wrapped.pth');

    expect(result.layout.ignoredKeys).toEqual(['epoch', 'optimizer', 'args', 'best_acc']);
    expect(result.layout.otherWeightsKeys).toEqual([]);
  });

  it('every variant has the bare state_dict names in order', async () => {
    const bare = await readTorchFile(fixtureBytes('cctt_bare.pth'), 'cctt_bare.pth');
    for (const file of ['cctt_whole_model.pth', 'cctt_module_prefix.pth', 'cctt_orig_mod_prefix.pth', 'cctt_legacy.pth']) {
      const variant = await readTorchFile(fixtureBytes(file), file);
      expect([...variant.tensors.keys()], file).toEqual([...bare.tensors.keys()]);
    }
  });

  it('whole model tensors equal the state_dict', async () => {
    const bare = await readTorchFile(fixtureBytes('cctt_bare.pth'), 'cctt_bare.pth');
    const whole = await readTorchFile(fixtureBytes('cctt_whole_model.pth'), 'cctt_whole_model.pth');
    for (const [name, tensor] of bare.tensors) {
      expect(whole.tensors.get(name)!.shape, name).toEqual(tensor.shape);
      expect(whole.tensors.get(name)!.data, name).toEqual(tensor.data);
    }
  });

  it('keeps int64 buffers as BigInt64Array', async () => {
    const { tensors } = await readTorchFile(fixtureBytes('cctt_bare.pth'), 'cctt_bare.pth');
    const counter = tensors.get('s0.0.1.num_batches_tracked')!;
    const index = tensors.get('s3.0.attn.1.fn.relative_index')!;

    expect(counter.sourceDtype).toBe('int64');
    expect(counter.shape).toEqual([]);
    expect(counter.data).toEqual(new BigInt64Array([1n]));
    expect(index.data).toBeInstanceOf(BigInt64Array);
    expect(index.shape).toEqual([16, 1]);
  });

  it('float16 weights are upcast with their source dtype recorded', async () => {
    const { tensors } = await readTorchFile(fixtureBytes('cctt_float16.pth'), 'cctt_float16.pth');
    const weight = tensors.get('fc.weight')!;

    expect(weight.sourceDtype).toBe('float16');
    expect(weight.data).toBeInstanceOf(Float32Array);
    expect(tensors.get('s3.0.attn.1.fn.relative_index')!.sourceDtype).toBe('int64');
  });

  it('weightsKey picks a top-level entry', async () => {
    const result = await readTorchFile(fixtureBytes('cctt_wrapped.pth'), 'cctt_wrapped.pth', { weightsKey: 'state_dict' });
    const error = await rejection(readTorchFile(fixtureBytes('cctt_wrapped.pth'), 'cctt_wrapped.pth', { weightsKey: 'optimizer' }));

    expect(result.tensors.size).toBe(118);
    expect(error.code).toBe('unknown-layout');
    expect(error.message).toContain('no weights under the key "optimizer"');
    expect(error.message).toContain('state_dict (dict with 118 tensors)');
  });

  it('progress rises from 0 to 1', async () => {
    const fractions: number[] = [];
    await readTorchFile(fixtureBytes('cctt_bare.pth'), 'cctt_bare.pth', { onProgress: (fraction) => fractions.push(fraction) });

    expect(fractions[0]).toBe(0);
    expect(fractions[fractions.length - 1]).toBe(1);
    expect(fractions.every((fraction, i) => i === 0 || fraction >= fractions[i - 1])).toBe(true);
  });
});

describe('image size inference from files', () => {
  it('C,T,T,T at 64x64 from relative_index', async () => {
    const imported = await importCheckpoint(fixtureBytes('cttt_64.pth'), 'cttt_64.pth');

    expect(imported.architecture.imageSize).toEqual([64, 64]);
    expect(imported.architecture.imageSizeSource).toBe('relative-index');
  });

  it('non-square 64x96 from relative_index', async () => {
    const imported = await importCheckpoint(fixtureBytes('ccct_64x96.pth'), 'ccct_64x96.pth');

    expect(imported.architecture.imageSize).toEqual([64, 96]);
    expect(imported.architecture.imageSizeSource).toBe('relative-index');
  });

  it('all-MBConv model asks for the size', async () => {
    const imported = await importCheckpoint(fixtureBytes('cccc_32.pth'), 'cccc_32.pth');

    expect(imported.config).toBeNull();
    expect(imported.architecture.imageSize).toBeNull();
    expect(imported.architecture.suggestedSizes).toContainEqual([224, 224]);
    expect(imported.architecture.suggestedSizes).toContainEqual([32, 32]);
  });

  it('all-MBConv model with the chosen size gives the PyTorch logits', async () => {
    const imported = await importCheckpoint(fixtureBytes('cccc_32.pth'), 'cccc_32.pth');
    const config = completeImport(imported, [32, 32]);
    const logits = logitsOf(config, imported.tensors, 'cccc_32');

    expect(config).toEqual(MANIFEST.models.cccc_32.config);
    expect(maxAbsDifference(logits, EXPECTED.get('logits_cccc_32')!.data as Float32Array)).toBeLessThanOrEqual(1e-4);
  });

  it('a chosen size that contradicts the tables is rejected', async () => {
    const imported = await importCheckpoint(fixtureBytes('cttt_64.pth'), 'cttt_64.pth');

    expect(() => completeImport(imported, [32, 32])).toThrow('Shape mismatch for s3.0.attn.1.fn.relative_bias_table: expected [9, 8], found [49, 8]');
  });
});

describe('content sniffing', () => {
  it('safetensors named .pth loads as safetensors', async () => {
    const result = await readCheckpointFile(fixtureBytes('cctt.safetensors'), 'weights.pth');

    expect(result.format).toBe('safetensors');
    expect(result.tensors.size).toBe(118);
  });

  it('torch zip named .safetensors loads as torch', async () => {
    const result = await readCheckpointFile(fixtureBytes('cctt_bare.pth'), 'weights.safetensors');

    expect(result.format).toBe('torch-zip');
  });

  it.each([
    ['cctt_bare.pth', 'torch-zip'],
    ['cctt_legacy.pth', 'torch-legacy'],
    ['cctt.safetensors', 'safetensors'],
    ['random_bytes.bin', 'unknown'],
  ])('sniffFormat %s is %s', (file, format) => {
    expect(sniffFormat(fixtureBytes(file))).toBe(format);
  });

  it('readTorchFile rejects safetensors with a pointer', async () => {
    const error = await rejection(readTorchFile(fixtureBytes('cctt.safetensors'), 'cctt.safetensors'));

    expect(error.code).toBe('not-a-checkpoint');
    expect(error.message).toContain('readCheckpointFile');
  });
});

describe('files that must be rejected', () => {
  it('timm-style keys are a foreign architecture', async () => {
    const error = await rejection(importCheckpoint(fixtureBytes('cctt_timm_style.pth'), 'cctt_timm_style.pth'));

    expect(error.code).toBe('foreign-architecture');
    expect(error.message).toContain('stem.*, stages.*');
    expect(error.message).toContain('s0.0.0.weight');
    expect(error.message).toContain('fc.weight');
    expect(error.message).toContain('Keys found: stem.0.0.weight');
  });

  it('truncated zip is a corrupt archive', async () => {
    const error = await rejection(importCheckpoint(fixtureBytes('cctt_truncated.pth'), 'cctt_truncated.pth'));

    expect(error.code).toBe('corrupt-archive');
    expect(error.message).toContain('cctt_truncated.pth');
    expect(error.message).toContain('truncated or corrupt');
  });

  it('random bytes are not a checkpoint', async () => {
    const bytes = fixtureBytes('random_bytes.bin');
    const error = await rejection(importCheckpoint(bytes, 'random_bytes.bin'));
    const firstByte = bytes[0].toString(16).padStart(2, '0');

    expect(error.code).toBe('not-a-checkpoint');
    expect(error.message).toContain(`starts with the bytes ${firstByte}`);
  });

  it('empty file is not a checkpoint', async () => {
    const error = await rejection(importCheckpoint(new Uint8Array(0), 'empty.pth'));

    expect(error.code).toBe('not-a-checkpoint');
    expect(error.message).toContain('the file is empty');
  });

  it.each([
    ['malicious_os_system.pth', 'posix.system'],
    ['malicious_exec.pth', '__builtin__.exec'],
    ['malicious_legacy.pth', 'posix.system'],
  ])('%s is rejected naming %s and runs nothing', async (file, globalName) => {
    const marker = MANIFEST.pwnedMarkers[file];
    rmSync(marker, { force: true });

    const error = await rejection(importCheckpoint(fixtureBytes(file), file));

    expect(error).toBeInstanceOf(UnsafeGlobalError);
    expect(error.code).toBe('unsafe-global');
    expect((error as UnsafeGlobalError).globalName).toBe(globalName);
    expect(error.message).toContain(globalName);
    expect(error.message).toContain('nothing in it was run');
    expect(existsSync(marker)).toBe(false);
  });
});

describe('labels files', () => {
  it('three-class labels match the head', () => {
    const labels = parseLabelsFile(readFileSync(join(DIR, 'cctt_labels.txt'), 'utf8'), 'cctt_labels.txt');

    expect(labels).toEqual(MANIFEST.labels);
    expect(() => checkLabelCount(labels, MANIFEST.models.cctt.config.numClasses)).not.toThrow();
  });

  it('wrong count names both numbers', () => {
    const labels = parseLabelsFile(readFileSync(join(DIR, 'cctt_labels_wrong_count.txt'), 'utf8'), 'cctt_labels_wrong_count.txt');

    expect(labels).toHaveLength(4);
    expect(() => checkLabelCount(labels, 3, 'cctt_labels_wrong_count.txt'))
      .toThrow('cctt_labels_wrong_count.txt has 4 class names but the model has 3 classes');
  });
});

function expectedView(view: ViewsFixture['tensors'][string]): RawTensor['data'] {
  switch (view.dtype) {
    case 'int64': return BigInt64Array.from(view.values as number[], (value) => BigInt(value));
    case 'int32': return Int32Array.from(view.values as number[]);
    case 'bool': return Uint8Array.from(view.values as boolean[], Number);
    default: return Float32Array.from(view.values as number[]);
  }
}

const VIEWS = fixtureJson<ViewsFixture>('views.json');

describe.each(['views.pth', 'views_protocol5.pth'])('strided and shared tensors in %s', (file) => {
  let tensors: RawTensorMap;

  beforeAll(async () => {
    tensors = (await readTorchFile(fixtureBytes(file), file)).tensors;
  });

  it('the fixture shares storages between tensors', () => {
    const entries = Object.keys(unzipSync(fixtureBytes(file), { filter: (info) => /\/data\/\d+$/.test(info.name) && info.originalSize > 0 }));

    expect(entries).toHaveLength(VIEWS.storageCount);
    expect(VIEWS.storageCount).toBeLessThan(Object.keys(VIEWS.tensors).length - 1);
  });

  it.each(Object.entries(VIEWS.tensors))('%s matches PyTorch', (name, view) => {
    const tensor = tensors.get(name)!;

    expect(tensor.shape).toEqual(view.shape);
    expect(tensor.sourceDtype).toBe(view.dtype);
    expect(tensor.data).toEqual(expectedView(view));
  });
});

// Opt-in: COATNET0_PTH=/tmp/coatnet0.pth, written by
// tools/make_checkpoint_fixtures.py --coatnet0 /tmp/coatnet0.pth (about 71 MB).
const COATNET0_PTH = process.env.COATNET0_PTH;

describe.skipIf(COATNET0_PTH === undefined)('coatnet_0 import', () => {
  it('peak ArrayBuffer memory stays under 3x the file size', async () => {
    const file = readFileSync(COATNET0_PTH!);
    const bytes = new Uint8Array(file.buffer, file.byteOffset, file.byteLength);
    const before = process.memoryUsage().arrayBuffers - bytes.byteLength;
    let peak = 0;
    const started = performance.now();

    const imported = await importCheckpoint(bytes, 'coatnet0.pth', {
      onProgress: () => { peak = Math.max(peak, process.memoryUsage().arrayBuffers - before); },
    });
    const seconds = (performance.now() - started) / 1000;
    const megabytes = bytes.byteLength / 2 ** 20;
    console.info(`coatnet_0 import: ${megabytes.toFixed(1)} MB in ${seconds.toFixed(2)} s `
      + `(${(megabytes / seconds).toFixed(0)} MB/s), peak ArrayBuffers ${(peak / bytes.byteLength).toFixed(2)}x the file`);

    expect(imported.config).toEqual(PRESETS.coatnet_0);
    expect(peak).toBeLessThan(3 * bytes.byteLength);
  });
});
