// Public API of checkpoint import: read a dropped .pth / .pt / .bin / .ckpt / .safetensors file,
// infer the CoAtNet config from its weights, and parse an optional labels file.
// Framework-free: no React, no zustand, no TF.js.

export {
  completeImport, importCheckpoint, readCheckpointFile, readTorchFile,
  type CheckpointReadResult, type ImportedCheckpoint, type ReadCheckpointOptions,
} from './readCheckpoint';
export {
  COMMON_IMAGE_SIZES, EXPECTED_KEY_EXAMPLES, configForWeights, gridsForTableRows, inferArchitecture,
  type ArchitectureInference, type ImageSizeSource,
} from './infer';
export { checkLabelCount, parseLabelsFile } from './labels';
export { CheckpointError, UnsafeGlobalError, type CheckpointErrorCode } from './errors';
export { sniffFormat, type CheckpointFormat, type SniffedFormat } from './format';
export {
  WEIGHTS_KEYS, WRAPPER_PREFIXES, type CheckpointLayout, type CheckpointLayoutKind,
} from './unwrap';
