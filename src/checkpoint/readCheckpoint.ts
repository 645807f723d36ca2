// Reading a dropped weight file into named float32 / int tensors, and importing it as a
// CoAtNet: format detection, unwrapping, decoding, architecture inference and validation.

import type { CoAtNetConfig } from '../model/config';
import { parseSafetensors } from '../model/safetensors';
import type { RawTensorMap, SourceDtype } from '../model/tensors';
import { validateWeights } from '../model/validate';
import { CheckpointError } from './errors';
import { describeFirstBytes, sniffFormat, type CheckpointFormat } from './format';
import { configForWeights, inferArchitecture, type ArchitectureInference } from './infer';
import { loadTensors } from './storageSource';
import { openLegacyTorch } from './torchLegacy';
import { TensorRef } from './torchTypes';
import { openTorchZip } from './torchZip';
import { selectPickledWeights, stripWrapperPrefixes, type CheckpointLayout, type TensorPlaceholder } from './unwrap';

export interface ReadCheckpointOptions {
  /** Fraction (0..1) of the tensor data decoded; called at least at 0 and 1. */
  onProgress?: (fraction: number) => void;
  /** Take the weights from this top-level key instead of choosing one automatically. */
  weightsKey?: string;
}

export interface CheckpointReadResult {
  fileName: string;
  format: CheckpointFormat;
  /** The weights under their state_dict names, wrapper prefixes removed. */
  tensors: RawTensorMap;
  layout: CheckpointLayout;
  /**
   * Floating-point dtypes other than float32 found in the weights. Their tensors were converted
   * to float32: exactly for float16 and bfloat16, with rounding for float64.
   */
  convertedFrom: SourceDtype[];
}

function notACheckpoint(bytes: Uint8Array, fileName: string): CheckpointError {
  return new CheckpointError('not-a-checkpoint', `${fileName} is neither a PyTorch checkpoint nor a safetensors file: `
    + `it starts with the bytes ${describeFirstBytes(bytes) || '(none, the file is empty)'}, while torch.save files start `
    + 'with "PK" (a zip archive) and safetensors files with an 8-byte header length followed by "{". '
    + 'Choose the .pth, .pt, .bin or .ckpt file written by torch.save, or a .safetensors file.');
}

function rejectUnreadableFormat(bytes: Uint8Array, fileName: string): never {
  const format = sniffFormat(bytes);
  if (format === 'torch-tar') {
    throw new CheckpointError('legacy-format', `${fileName} uses the tar format of PyTorch older than 0.1.10, which this `
      + 'app does not read. Re-save it with a recent PyTorch (torch.save with the default zip format).');
  }
  if (format === 'safetensors') {
    throw new CheckpointError('not-a-checkpoint', `${fileName} is a safetensors file, not a torch.save file; `
      + 'read it with readCheckpointFile, which accepts both.');
  }
  if (format === 'pickle') {
    throw new CheckpointError('not-a-checkpoint', `${fileName} is a plain Python pickle (pickle.dump), not a torch.save file. `
      + 'Re-save it with a recent PyTorch: torch.save(model.state_dict(), "weights.pth").');
  }
  throw notACheckpoint(bytes, fileName);
}

function convertedDtypes(tensors: RawTensorMap): SourceDtype[] {
  const found = new Set<SourceDtype>();
  for (const tensor of tensors.values()) {
    if (tensor.data instanceof Float32Array && tensor.sourceDtype !== 'float32') found.add(tensor.sourceDtype);
  }
  return [...found];
}

function onlyDenseTensors(tensors: Map<string, TensorPlaceholder>, fileName: string): Map<string, TensorRef> {
  for (const [name, tensor] of tensors) {
    if (!(tensor instanceof TensorRef)) {
      throw new CheckpointError('unsupported-tensor', `${fileName}: weight "${name}" is ${tensor.description}, which this `
        + 'app cannot run. Save dense CPU float tensors, for example torch.save(model.float().cpu().state_dict(), "weights.pth").');
    }
  }
  return tensors as Map<string, TensorRef>;
}

/**
 * Read a torch.save file (the zip format of PyTorch >= 1.6 or the legacy format) held in
 * memory. The pickle is interpreted by an allowlist and nothing in the file is executed.
 */
export async function readTorchFile(bytes: Uint8Array, fileName: string, options: ReadCheckpointOptions = {}): Promise<CheckpointReadResult> {
  const format = sniffFormat(bytes);
  if (format !== 'torch-zip' && format !== 'torch-legacy') rejectUnreadableFormat(bytes, fileName);

  const { root, storages } = format === 'torch-zip' ? openTorchZip(bytes, fileName) : openLegacyTorch(bytes, fileName);
  const { tensors: placeholders, layout } = selectPickledWeights(root, fileName, options.weightsKey);
  const tensors = await loadTensors(onlyDenseTensors(placeholders, fileName), storages, fileName, options.onProgress);
  return { fileName, format, tensors, layout, convertedFrom: convertedDtypes(tensors) };
}

function readSafetensorsFile(bytes: Uint8Array, fileName: string, options: ReadCheckpointOptions): CheckpointReadResult {
  options.onProgress?.(0);
  // parseSafetensors takes an ArrayBuffer; copy only when `bytes` is a part of a larger one.
  const isWholeBuffer = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const buffer = (isWholeBuffer ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer;
  const parsed = parseSafetensors(buffer, fileName);
  const { tensors, layout } = stripWrapperPrefixes(parsed.tensors, {
    kind: 'safetensors', weightsKey: null, ignoredKeys: [], otherWeightsKeys: [],
  });
  options.onProgress?.(1);
  return { fileName, format: 'safetensors', tensors, layout, convertedFrom: convertedDtypes(tensors) };
}

/** Read a torch.save or safetensors file, recognized by its content whatever its extension. */
export async function readCheckpointFile(bytes: Uint8Array, fileName: string, options: ReadCheckpointOptions = {}): Promise<CheckpointReadResult> {
  if (sniffFormat(bytes) === 'safetensors') return readSafetensorsFile(bytes, fileName, options);
  return readTorchFile(bytes, fileName, options);
}

export interface ImportedCheckpoint extends CheckpointReadResult {
  architecture: ArchitectureInference;
  /**
   * The validated config, or null when the weights do not fix the input size: then ask the
   * user (architecture.suggestedSizes) and call completeImport.
   */
  config: CoAtNetConfig | null;
}

/**
 * Read a weight file, infer its CoAtNet architecture and check every tensor against it.
 * Throws CheckpointError, or WeightValidationError listing every missing or mis-shaped key.
 */
export async function importCheckpoint(bytes: Uint8Array, fileName: string, options: ReadCheckpointOptions = {}): Promise<ImportedCheckpoint> {
  const checkpoint = await readCheckpointFile(bytes, fileName, options);
  const architecture = inferArchitecture(checkpoint.tensors, fileName);
  if (architecture.imageSize !== null) {
    return { ...checkpoint, architecture, config: configForWeights(architecture, checkpoint.tensors) };
  }

  // The candidate sizes all give the same tensor shapes, so any of them checks the weights now
  // instead of after the user has chosen.
  const [height, width] = architecture.suggestedSizes[0];
  validateWeights({ ...configForSizeCheck(architecture), imageSize: [height, width] }, checkpoint.tensors);
  return { ...checkpoint, architecture, config: null };
}

function configForSizeCheck(architecture: ArchitectureInference): Omit<CoAtNetConfig, 'imageSize'> {
  const { inChannels, numBlocks, channels, numClasses, blockTypes } = architecture;
  return { inChannels, numBlocks, channels, numClasses, blockTypes };
}

/** Build the config of an import whose image size the user chose, checking that size against the weights. */
export function completeImport(imported: ImportedCheckpoint, imageSize: [number, number]): CoAtNetConfig {
  return configForWeights(imported.architecture, imported.tensors, imageSize);
}
