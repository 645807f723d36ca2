// Selection of the weights in what people save: a bare state_dict, a training checkpoint that
// contains one next to other entries, or a whole pickled nn.Module.

import { CheckpointError } from './errors';
import {
  ObjectStub, describeValue, stubAttributes, type PickleDict, type PickleValue,
} from './pickleValues';
import { TensorRef, UnsupportedTensor } from './torchTypes';

/** Top-level keys that training scripts store the weights under, in order of preference. */
export const WEIGHTS_KEYS = ['state_dict', 'model_state_dict', 'model', 'net', 'ema'] as const;

/**
 * Key prefixes added by wrappers: nn.DataParallel / DistributedDataParallel ("module."),
 * torch.compile ("_orig_mod.") and PyTorch Lightning, whose LightningModule usually keeps the
 * network in an attribute named "model".
 */
export const WRAPPER_PREFIXES = ['module.', '_orig_mod.', 'model.'] as const;

export type CheckpointLayoutKind = 'state-dict' | 'wrapped-state-dict' | 'whole-model' | 'wrapped-whole-model' | 'safetensors';

/** Location of the weights in the file. */
export interface CheckpointLayout {
  kind: CheckpointLayoutKind;
  /** The top-level key the weights came from, for wrapped checkpoints. */
  weightsKey: string | null;
  /** Other top-level entries (epoch, optimizer state, ...), read as inert data and ignored. */
  ignoredKeys: string[];
  /** Ignored top-level keys that also hold weights, such as "ema" next to "state_dict". */
  otherWeightsKeys: string[];
  /** The prefix removed from every tensor name, for example "module."; empty when none. */
  strippedPrefix: string;
}

export type TensorPlaceholder = TensorRef | UnsupportedTensor;

/** Module nesting limit: real networks nest a few levels deep, a crafted pickle could nest millions. */
const MAX_MODULE_DEPTH = 200;

/** Top-level keys listed in an unknown-layout error before the rest are counted. */
const MAX_LISTED_KEYS = 20;

function isTensor(value: PickleValue): value is TensorPlaceholder {
  return value instanceof TensorRef || value instanceof UnsupportedTensor;
}

/** Return the entries of a dict or of a dict subclass stub (for example Lightning's AttributeDict). */
function dictEntries(value: PickleValue): PickleDict | null {
  if (value instanceof Map) return value;
  if (value instanceof ObjectStub && value.dictItems.size > 0) return value.dictItems;
  return null;
}

/** Return the tensors of a state_dict-like dict, where every key is a string and every value a tensor. */
function tensorDict(value: PickleValue): Map<string, TensorPlaceholder> | null {
  const entries = dictEntries(value);
  if (entries === null || entries.size === 0) return null;
  const tensors = new Map<string, TensorPlaceholder>();
  for (const [key, item] of entries) {
    if (typeof key !== 'string' || !isTensor(item)) return null;
    tensors.set(key, item);
  }
  return tensors;
}

function isModuleStub(value: PickleValue): value is ObjectStub {
  if (!(value instanceof ObjectStub)) return false;
  const attributes = stubAttributes(value);
  return attributes !== null && attributes.get('_parameters') instanceof Map && attributes.get('_modules') instanceof Map;
}

/**
 * Collect parameters and persistent buffers of a pickled nn.Module tree under dotted names, in
 * the order of Module.state_dict(): a module's parameters, then its buffers, then its children.
 */
export function collectModuleTensors(root: ObjectStub): Map<string, TensorPlaceholder> {
  const tensors = new Map<string, TensorPlaceholder>();
  const visiting = new Set<ObjectStub>();

  const visit = (module: ObjectStub, prefix: string, depth: number): void => {
    // A module that contains itself would recurse forever; PyTorch's state_dict would too.
    if (visiting.has(module)) return;
    if (depth > MAX_MODULE_DEPTH) {
      throw new CheckpointError('unknown-layout', `The pickled model nests modules more than ${MAX_MODULE_DEPTH} levels deep `
        + `(at ${prefix}), which no CoAtNet does. Save the weights with torch.save(model.state_dict(), "weights.pth").`);
    }
    visiting.add(module);
    const attributes = stubAttributes(module)!;
    const nonPersistent = attributes.get('_non_persistent_buffers_set');
    for (const field of ['_parameters', '_buffers']) {
      for (const [name, tensor] of attributes.get(field) as PickleDict) {
        const skipped = field === '_buffers' && nonPersistent instanceof Set && nonPersistent.has(name);
        if (isTensor(tensor) && !skipped) tensors.set(`${prefix}${String(name)}`, tensor);
      }
    }
    for (const [name, child] of attributes.get('_modules') as PickleDict) {
      if (isModuleStub(child)) visit(child, `${prefix}${String(name)}.`, depth + 1);
    }
    visiting.delete(module);
  };

  visit(root, '', 0);
  return tensors;
}

/** Return the weights in a value (a state_dict or a whole module), or null for anything else. */
function weightsOf(value: PickleValue): { tensors: Map<string, TensorPlaceholder>; isModule: boolean } | null {
  if (isModuleStub(value)) return { tensors: collectModuleTensors(value), isModule: true };
  const tensors = tensorDict(value);
  return tensors === null ? null : { tensors, isModule: false };
}

function describeEntry(key: string, value: PickleValue): string {
  const entries = dictEntries(value);
  if (isModuleStub(value)) return `${key} (${value.className} module)`;
  if (entries !== null) {
    const tensorCount = [...entries.values()].filter(isTensor).length;
    return tensorCount > 0 ? `${key} (dict with ${tensorCount} tensors)` : `${key} (dict)`;
  }
  return `${key} (${describeValue(value)})`;
}

function unknownLayout(fileName: string, entries: PickleDict | null, root: PickleValue, requestedKey?: string): CheckpointError {
  if (entries === null) {
    return new CheckpointError('unknown-layout', `${fileName} contains a ${describeValue(root)}, not a state_dict, a `
      + 'checkpoint dict or an nn.Module. Save the weights with torch.save(model.state_dict(), "weights.pth").');
  }
  const described = [...entries].slice(0, MAX_LISTED_KEYS).map(([key, value]) => describeEntry(String(key), value));
  const rest = entries.size > MAX_LISTED_KEYS ? `, ... (${entries.size} keys)` : '';
  const found = described.join(', ') + rest;
  const lead = requestedKey !== undefined
    ? `${fileName} has no weights under the key "${requestedKey}".`
    : `${fileName} has no weights where they are usually stored: expected a state_dict (a dict of tensors), `
      + `a dict with the weights under one of ${WEIGHTS_KEYS.join(', ')}, or a whole nn.Module.`;
  return new CheckpointError('unknown-layout', `${lead} Top-level keys found: ${found || 'none'}. `
    + 'Choose the key that holds the weights, or save them with torch.save(model.state_dict(), "weights.pth").');
}

export interface SelectedWeights {
  tensors: Map<string, TensorPlaceholder>;
  layout: CheckpointLayout;
}

/**
 * Find the weights in an unpickled torch.save object. `weightsKey` picks a top-level key
 * explicitly. Otherwise the first of WEIGHTS_KEYS that contains weights is used.
 */
export function selectPickledWeights(root: PickleValue, fileName: string, weightsKey?: string): SelectedWeights {
  const direct = weightsKey === undefined ? weightsOf(root) : null;
  if (direct !== null) {
    const kind = direct.isModule ? 'whole-model' : 'state-dict';
    return stripWrapperPrefixes(direct.tensors, { kind, weightsKey: null, ignoredKeys: [], otherWeightsKeys: [] });
  }

  const entries = dictEntries(root);
  if (entries === null) throw unknownLayout(fileName, null, root);
  const candidates = weightsKey !== undefined ? [weightsKey] : WEIGHTS_KEYS;
  const holders = candidates.filter((key) => entries.has(key) && weightsOf(entries.get(key)!) !== null);
  if (holders.length === 0) throw unknownLayout(fileName, entries, root, weightsKey);

  const chosen = holders[0];
  const selected = weightsOf(entries.get(chosen)!)!;
  const otherKeys = [...entries.keys()].map(String).filter((key) => key !== chosen);
  return stripWrapperPrefixes(selected.tensors, {
    kind: selected.isModule ? 'wrapped-whole-model' : 'wrapped-state-dict',
    weightsKey: chosen,
    ignoredKeys: otherKeys,
    otherWeightsKeys: otherKeys.filter((key) => weightsOf(entries.get(key)!) !== null),
  });
}

/**
 * Remove WRAPPER_PREFIXES while every name has the same one (so "module._orig_mod." goes too).
 * A prefix that only some names have is kept, so no name is changed by guesswork.
 */
export function stripWrapperPrefixes<T>(
  tensors: Map<string, T>, layout: Omit<CheckpointLayout, 'strippedPrefix'>,
): { tensors: Map<string, T>; layout: CheckpointLayout } {
  let current = tensors;
  let stripped = '';
  for (;;) {
    const names = [...current.keys()];
    const prefix = WRAPPER_PREFIXES.find((candidate) => names.length > 0 && names.every((name) => name.startsWith(candidate)));
    if (prefix === undefined) break;
    current = new Map([...current].map(([name, value]) => [name.slice(prefix.length), value]));
    stripped += prefix;
  }
  return { tensors: current, layout: { ...layout, strippedPrefix: stripped } };
}
