import { describe, expect, it } from 'vitest';

import {
  CheckpointError, checkLabelCount, gridsForTableRows, inferArchitecture, parseLabelsFile,
} from '../src/checkpoint';
import { GlobalRef, ObjectStub, type PickleDict, type PickleValue } from '../src/checkpoint/pickleValues';
import { StorageRef, TensorRef } from '../src/checkpoint/torchTypes';
import { selectPickledWeights, stripWrapperPrefixes } from '../src/checkpoint/unwrap';
import { PRESETS, stageGrid, type CoAtNetConfig } from '../src/model/config';
import { expectedStateDict, relativeIndex } from '../src/model/stateDict';
import type { RawTensorMap } from '../src/model/tensors';

/**
 * Tensors with every key and shape the reference state_dict of `config` has. Inference reads
 * only shapes and relative_index values, so float tensors carry no data (coatnet_4 would
 * otherwise need over 1 GB).
 */
function shapesOnly(config: CoAtNetConfig, options: { withRelativeIndex: boolean } = { withRelativeIndex: true }): RawTensorMap {
  const tensors: RawTensorMap = new Map();
  for (const [key, spec] of expectedStateDict(config)) {
    if (key.endsWith('relative_index')) {
      if (!options.withRelativeIndex) continue;
      const index = relativeIndex(stageGrid(config, Number(key[1])));
      tensors.set(key, { shape: spec.shape, sourceDtype: 'int64', data: BigInt64Array.from(index, BigInt) });
    } else if (spec.kind === 'int') {
      tensors.set(key, { shape: spec.shape, sourceDtype: 'int64', data: new BigInt64Array(1) });
    } else {
      tensors.set(key, { shape: spec.shape, sourceDtype: 'float32', data: new Float32Array(0) });
    }
  }
  return tensors;
}

function inferenceError(tensors: RawTensorMap): CheckpointError {
  try {
    inferArchitecture(tensors, 'weights.pth');
  } catch (error) {
    if (error instanceof CheckpointError) return error;
    throw error;
  }
  throw new Error('inferArchitecture accepted the weights');
}

const VARIANTS: Record<string, CoAtNetConfig> = {
  ...PRESETS,
  cttt_gray_64: { imageSize: [64, 64], inChannels: 1, numBlocks: [1, 2, 3, 1, 2], channels: [8, 16, 24, 32, 40], numClasses: 10, blockTypes: ['C', 'T', 'T', 'T'] },
  ctct_128x64: { imageSize: [128, 64], inChannels: 3, numBlocks: [2, 1, 1, 1, 1], channels: [8, 8, 8, 8, 8], numClasses: 2, blockTypes: ['C', 'T', 'C', 'T'] },
  tttt_32: { imageSize: [32, 32], inChannels: 3, numBlocks: [1, 1, 1, 1, 1], channels: [4, 4, 4, 4, 4], numClasses: 1, blockTypes: ['T', 'T', 'T', 'T'] },
};

describe.each(Object.entries(VARIANTS))('inferArchitecture %s', (_name, config) => {
  it('recovers the config from keys and shapes', () => {
    const inferred = inferArchitecture(shapesOnly(config), 'weights.pth');

    expect(inferred.inChannels).toBe(config.inChannels);
    expect(inferred.numBlocks).toEqual(config.numBlocks);
    expect(inferred.channels).toEqual(config.channels);
    expect(inferred.numClasses).toBe(config.numClasses);
    expect(inferred.blockTypes).toEqual(config.blockTypes);
    expect(inferred.imageSize).toEqual(config.imageSize);
    expect(inferred.imageSizeSource).toBe('relative-index');
  });
});

describe('image size from relative-position tables', () => {
  it('729 rows mean a 14x14 grid', () => {
    expect(gridsForTableRows(729)).toContainEqual([14, 14]);
    expect(gridsForTableRows(15)).toEqual([[1, 8], [2, 3], [3, 2], [8, 1]]);
  });

  it('several tables without relative_index agree on one size', () => {
    const inferred = inferArchitecture(shapesOnly(PRESETS.coatnet_0, { withRelativeIndex: false }), 'weights.pth');

    expect(inferred.imageSize).toEqual([224, 224]);
    expect(inferred.imageSizeSource).toBe('bias-table');
  });

  it('one square table without relative_index assumes square', () => {
    const config: CoAtNetConfig = { ...PRESETS.coatnet_0, blockTypes: ['C', 'C', 'C', 'T'] };
    const inferred = inferArchitecture(shapesOnly(config, { withRelativeIndex: false }), 'weights.pth');

    expect(inferred.imageSize).toEqual([224, 224]);
    expect(inferred.imageSizeSource).toBe('assumed-square');
    expect(inferred.suggestedSizes).toEqual([[32, 2720], [224, 224], [2720, 32]]);
  });

  it('non-square table without relative_index asks', () => {
    const config: CoAtNetConfig = { ...VARIANTS.ctct_128x64, imageSize: [64, 96], blockTypes: ['C', 'C', 'C', 'T'] };
    const inferred = inferArchitecture(shapesOnly(config, { withRelativeIndex: false }), 'weights.pth');

    expect(inferred.imageSize).toBeNull();
    expect(inferred.imageSizeSource).toBe('unknown');
    expect(inferred.suggestedSizes).toEqual([[32, 256], [64, 96], [96, 64], [256, 32]]);
  });

  it('relative_index tells 64x96 from 96x64', () => {
    const config: CoAtNetConfig = { ...VARIANTS.ctct_128x64, imageSize: [96, 64], blockTypes: ['C', 'C', 'C', 'T'] };

    expect(inferArchitecture(shapesOnly(config), 'weights.pth').imageSize).toEqual([96, 64]);
  });

  it('tables of different sizes are rejected', () => {
    const tensors = shapesOnly(PRESETS.coatnet_0, { withRelativeIndex: false });
    tensors.set('s4.0.attn.1.fn.relative_bias_table', { shape: [1, 8], sourceDtype: 'float32', data: new Float32Array(0) });
    const error = inferenceError(tensors);

    expect(error.code).toBe('image-size');
    expect(error.message).toMatch(/s3: [^;]*\b224x224\b/);
    expect(error.message).toContain('s4: 32x32');
  });

  it('no Transformer stage suggests common sizes', () => {
    const config: CoAtNetConfig = { ...PRESETS.coatnet_0, blockTypes: ['C', 'C', 'C', 'C'] };
    const inferred = inferArchitecture(shapesOnly(config), 'weights.pth');

    expect(inferred.imageSize).toBeNull();
    expect(inferred.suggestedSizes).toEqual([[224, 224], [128, 128], [96, 96], [64, 64], [32, 32]]);
  });
});

describe('inferArchitecture rejects other layouts', () => {
  it('unrelated keys list the expected ones', () => {
    const tensors: RawTensorMap = new Map([['features.0.weight', { shape: [8, 3, 3, 3], sourceDtype: 'float32', data: new Float32Array(0) }]]);
    const error = inferenceError(tensors);

    expect(error.code).toBe('unrecognized-architecture');
    expect(error.message).toContain('s0.0.0.weight');
    expect(error.message).toContain('fc.weight');
    expect(error.message).toContain('Keys found: features.0.weight');
  });

  it('missing stage is named', () => {
    const tensors = shapesOnly(PRESETS.coatnet_0);
    for (const key of [...tensors.keys()]) if (key.startsWith('s2.')) tensors.delete(key);

    expect(inferenceError(tensors).message).toContain('stage s2 has no weights');
  });

  it('mixed block keys are named', () => {
    const tensors = shapesOnly(PRESETS.coatnet_0);
    tensors.set('s1.0.attn.1.norm.weight', { shape: [96], sourceDtype: 'float32', data: new Float32Array(0) });

    expect(inferenceError(tensors).message).toContain('stage s1 has both MBConv (conv.*) and Transformer (attn.*) keys');
  });
});

function tensorRef(): TensorRef {
  return new TensorRef(new StorageRef('0', 'FloatStorage', { dtype: 'float32', bytesPerElement: 4 }, 1, 'cpu'), 0, [1], [1], false);
}

function tensorDict(...names: string[]): PickleDict {
  return new Map(names.map((name) => [name, tensorRef()]));
}

function moduleStub(className: string, parameters: PickleDict, buffers: PickleDict, modules: PickleDict, nonPersistent: string[] = []): ObjectStub {
  const stub = new ObjectStub(className, []);
  stub.state = new Map<PickleValue, PickleValue>([
    ['training', false],
    ['_parameters', parameters],
    ['_buffers', buffers],
    ['_non_persistent_buffers_set', new Set(nonPersistent)],
    ['_modules', modules],
  ]);
  return stub;
}

describe('selectPickledWeights', () => {
  it.each(['state_dict', 'model_state_dict', 'model', 'net', 'ema'])('finds weights under %s', (key) => {
    const root: PickleDict = new Map<PickleValue, PickleValue>([['epoch', 3], [key, tensorDict('fc.weight')], ['optimizer', new Map()]]);
    const { tensors, layout } = selectPickledWeights(root, 'ckpt.pth');

    expect([...tensors.keys()]).toEqual(['fc.weight']);
    expect(layout.kind).toBe('wrapped-state-dict');
    expect(layout.weightsKey).toBe(key);
    expect(layout.ignoredKeys).toEqual(['epoch', 'optimizer']);
  });

  it('prefers state_dict and reports ema', () => {
    const root: PickleDict = new Map([['ema', tensorDict('a')], ['state_dict', tensorDict('b')]]);
    const { tensors, layout } = selectPickledWeights(root, 'ckpt.pth');

    expect([...tensors.keys()]).toEqual(['b']);
    expect(layout.otherWeightsKeys).toEqual(['ema']);
  });

  it('whole module tree gets dotted names without non-persistent buffers', () => {
    const block = moduleStub('__main__.Block', tensorDict('weight'), tensorDict('running_mean', 'scratch'), new Map(), ['scratch']);
    const act = moduleStub('torch.nn.modules.activation.GELU', new Map(), new Map(), new Map());
    const root = moduleStub('__main__.Net', tensorDict('scale'), new Map(),
      new Map<PickleValue, PickleValue>([['s0', moduleStub('torch.nn.modules.container.Sequential', new Map(), new Map(),
        new Map<PickleValue, PickleValue>([['0', block], ['1', act], ['2', null]]))]]));
    const { tensors, layout } = selectPickledWeights(root, 'model.pth');

    expect([...tensors.keys()]).toEqual(['scale', 's0.0.weight', 's0.0.running_mean']);
    expect(layout.kind).toBe('whole-model');
  });

  it('whole model under a wrapper key', () => {
    const root: PickleDict = new Map<PickleValue, PickleValue>([['model', moduleStub('__main__.Net', tensorDict('w'), new Map(), new Map())]]);

    expect(selectPickledWeights(root, 'ckpt.pth').layout.kind).toBe('wrapped-whole-model');
  });

  it('dict subclass stubs act as dicts', () => {
    const attributeDict = new ObjectStub('lightning.fabric.utilities.data.AttributeDict', []);
    attributeDict.dictItems.set('state_dict', tensorDict('model.fc.weight'));
    const { tensors, layout } = selectPickledWeights(attributeDict, 'last.ckpt');

    expect([...tensors.keys()]).toEqual(['fc.weight']);
    expect(layout.strippedPrefix).toBe('model.');
  });

  it('unknown layout lists the top-level keys', () => {
    const root: PickleDict = new Map<PickleValue, PickleValue>([
      ['epoch', 3], ['weights', tensorDict('a', 'b')], ['args', new ObjectStub('argparse.Namespace', [])], ['fn', new GlobalRef('torch', 'float32')],
    ]);
    let message = '';
    try {
      selectPickledWeights(root, 'ckpt.pth');
    } catch (error) {
      message = (error as CheckpointError).message;
      expect((error as CheckpointError).code).toBe('unknown-layout');
    }

    expect(message).toContain('epoch (int), weights (dict with 2 tensors), args (argparse.Namespace), fn (torch.float32)');
    expect(message).toContain('state_dict, model_state_dict, model, net, ema');
  });

  it('deeply nested modules are rejected', () => {
    let module = moduleStub('__main__.Leaf', tensorDict('w'), new Map(), new Map());
    for (let level = 0; level < 300; level += 1) {
      module = moduleStub('__main__.Wrapper', new Map(), new Map(), new Map<PickleValue, PickleValue>([['inner', module]]));
    }

    expect(() => selectPickledWeights(module, 'deep.pth')).toThrow('more than 200 levels deep');
  });

  it('long key lists are cut short', () => {
    const root: PickleDict = new Map(Array.from({ length: 30 }, (_, i) => [`key${i}`, i] as [PickleValue, PickleValue]));

    expect(() => selectPickledWeights(root, 'many.pth')).toThrow('key19 (int), ... (30 keys)');
  });

  it('a bare list is an unknown layout', () => {
    expect(() => selectPickledWeights([tensorRef()], 'list.pth')).toThrow('contains a list, not a state_dict');
  });
});

describe('stripWrapperPrefixes', () => {
  const layout = { kind: 'state-dict' as const, weightsKey: null, ignoredKeys: [], otherWeightsKeys: [] };

  it('strips nested wrappers', () => {
    const { tensors, layout: result } = stripWrapperPrefixes(new Map([['module._orig_mod.fc.weight', 1], ['module._orig_mod.s0.0.0.weight', 2]]), layout);

    expect([...tensors.keys()]).toEqual(['fc.weight', 's0.0.0.weight']);
    expect(result.strippedPrefix).toBe('module._orig_mod.');
  });

  it('keeps a prefix that only some keys have', () => {
    const { tensors, layout: result } = stripWrapperPrefixes(new Map([['module.fc.weight', 1], ['s0.0.0.weight', 2]]), layout);

    expect([...tensors.keys()]).toEqual(['module.fc.weight', 's0.0.0.weight']);
    expect(result.strippedPrefix).toBe('');
  });
});

describe('parseLabelsFile', () => {
  it('text with CRLF and trailing blank lines', () => {
    expect(parseLabelsFile('\uFEFFcat\r\n dog \r\nbird\r\n\r\n\n', 'labels.txt')).toEqual(['cat', 'dog', 'bird']);
  });

  it('text keeps names that look like JSON', () => {
    expect(parseLabelsFile('[unused]\ncat\n', 'labels.txt')).toEqual(['[unused]', 'cat']);
  });

  it('blank line inside text is an error', () => {
    expect(() => parseLabelsFile('cat\n\ndog\n', 'labels.txt')).toThrow('line 2 is blank');
  });

  it('JSON list', () => {
    expect(parseLabelsFile('["cat", "dog"]', 'labels.json')).toEqual(['cat', 'dog']);
  });

  it('JSON index map in any key order', () => {
    expect(parseLabelsFile('{"1": "dog", "0": "cat", "2": "bird"}', 'classes.json')).toEqual(['cat', 'dog', 'bird']);
  });

  it('id2label of a config.json', () => {
    expect(parseLabelsFile('{"id2label": {"0": "cat", "1": "dog"}, "num_labels": 2}', 'config.json')).toEqual(['cat', 'dog']);
  });

  it('JSON sniffed without extension', () => {
    expect(parseLabelsFile('  ["a", "b"]', 'labels')).toEqual(['a', 'b']);
  });

  it.each([
    ['{"0": "cat", "2": "bird"}', 'class 1 has no name'],
    ['{"zero": "cat"}', 'key "zero" is not a class index'],
    ['{"00": "cat"}', 'key "00" is not a class index'],
    ['["cat", 3]', 'entry 1 is 3'],
    ['["cat", ""]', 'entry 1 is ""'],
    ['[]', 'contains no class names'],
    ['"cat"', 'not a list or an object'],
    ['["cat",', 'not valid JSON'],
  ])('JSON %s is rejected', (text, fragment) => {
    let error: unknown;
    try {
      parseLabelsFile(text, 'labels.json');
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).code).toBe('invalid-labels');
    expect((error as CheckpointError).message).toContain(fragment);
    expect((error as CheckpointError).message).toContain('labels.json');
  });

  it('empty text is rejected', () => {
    expect(() => parseLabelsFile('\n\n', 'labels.txt')).toThrow('contains no class names');
  });
});

describe('checkLabelCount', () => {
  it('accepts one name per class', () => {
    expect(() => checkLabelCount(['a', 'b'], 2)).not.toThrow();
  });

  it('names both numbers', () => {
    let error: unknown;
    try {
      checkLabelCount(['a', 'b'], 1000, 'imagenet.txt');
    } catch (caught) {
      error = caught;
    }

    expect((error as CheckpointError).code).toBe('label-count');
    expect((error as CheckpointError).message).toContain('imagenet.txt has 2 class names but the model has 1000 classes');
  });
});
