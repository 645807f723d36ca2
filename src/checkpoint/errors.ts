// Errors of checkpoint import. Each carries a stable `code` so the UI can show a translated
// message, and an English `message` that names the bad value and the fix.

export type CheckpointErrorCode =
  /** The pickle names a global that this reader never rebuilds; nothing was run. */
  | 'unsafe-global'
  /** The pickle stream is malformed or uses an opcode this reader does not implement. */
  | 'invalid-pickle'
  /** The bytes are neither a torch.save file nor safetensors. */
  | 'not-a-checkpoint'
  /** A zip archive that is truncated, corrupt or lacks data.pkl and its storages. */
  | 'corrupt-archive'
  /** Weights whose storages take more bytes than a browser tab can hold (over MAX_STORAGE_BYTES). */
  | 'archive-too-large'
  /** An old torch.save format that this reader does not load (the tar format of PyTorch < 0.1.10). */
  | 'legacy-format'
  /** A TorchScript archive (torch.jit.save), which contains code instead of a plain state_dict. */
  | 'torchscript'
  /** A tensor kind this reader does not decode (quantized, complex, int8, int16, ...). */
  | 'unsupported-tensor'
  /** The unpickled object has no recognizable weights. */
  | 'unknown-layout'
  /** Weights of another CoAtNet implementation (for example timm's). */
  | 'foreign-architecture'
  /** Weights that do not form a CoAtNet of the supported implementation. */
  | 'unrecognized-architecture'
  /** The relative-position tables give no consistent input size. */
  | 'image-size'
  | 'invalid-labels'
  | 'label-count';

export class CheckpointError extends Error {
  readonly code: CheckpointErrorCode;

  constructor(code: CheckpointErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckpointError';
    this.code = code;
  }
}

/** Raised when a pickle names a global outside the allowlist; `globalName` is "module.name". */
export class UnsafeGlobalError extends CheckpointError {
  readonly globalName: string;

  constructor(globalName: string, reason: string) {
    super('unsafe-global', `The checkpoint was rejected and nothing in it was run: its pickle uses the global `
      + `${globalName}, which ${reason}. Only PyTorch tensors, storages, ordered dicts and inert placeholder objects `
      + 'are rebuilt. If you trust the file, re-save just the weights in Python with '
      + 'torch.save(model.state_dict(), "weights.pth") and import that file.');
    this.name = 'UnsafeGlobalError';
    this.globalName = globalName;
  }
}
