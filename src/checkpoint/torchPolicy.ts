// Allowlist policy for the globals, calls and objects of torch.save pickles. The rules, in order:
// 1. GLOBAL of a name from a module that can run commands or code, or access files, processes
//    or the network (os, subprocess, builtins.eval, ...) is rejected as soon as it is read.
// 2. REDUCE / INST / OBJ (a call in Python) only run allowlisted handlers that return inert
//    data: ordered dicts, sets, tensor and storage placeholders, numpy scalars. A call of any
//    other global, the user's own classes included, is rejected.
// 3. NEWOBJ and copyreg._reconstructor (object creation without __init__, which is how
//    nn.Module subclasses, argparse.Namespace and similar plain classes are pickled) give an
//    ObjectStub that stores the class name and, after BUILD, the __dict__. Any class outside the
//    modules of rule 1 is accepted, because the reader never calls anything and the class name
//    stays data.

import { CheckpointError, UnsafeGlobalError } from './errors';
import type { UnpicklePolicy } from './pickle';
import {
  GlobalRef, ObjectStub, describeValue, type PickleDict, type PickleValue,
} from './pickleValues';
import { StorageRef, TensorRef, UnsupportedTensor, torchDtype } from './torchTypes';

type Handler = (args: readonly PickleValue[], context: PolicyContext) => PickleValue;

interface PolicyContext {
  source: string;
  construct(cls: PickleValue, args: readonly PickleValue[]): PickleValue;
}

/** Modules whose globals can run commands or code, or touch files, processes or the network. */
const FORBIDDEN_MODULES = [
  'os', 'posix', 'nt', 'posixpath', 'ntpath', 'subprocess', 'sys', 'shutil', 'pty', 'tty', 'signal',
  'socket', 'ssl', 'select', 'http', 'urllib', 'ftplib', 'smtplib', 'telnetlib', 'requests', 'webbrowser',
  'importlib', 'imp', 'pkgutil', 'runpy', 'zipimport', 'site', 'code', 'codeop', 'compileall', 'py_compile',
  'pickle', '_pickle', 'cPickle', 'dill', 'cloudpickle', 'joblib', 'marshal', 'shelve', 'dbm', 'copyreg',
  'copy_reg', 'ctypes', '_ctypes', 'cffi', 'multiprocessing', 'concurrent', 'threading', '_thread', 'asyncio',
  'io', '_io', 'codecs', '_codecs', 'tempfile', 'glob', 'fileinput', 'sqlite3', 'types', 'inspect', 'gc', 'operator',
  '_operator', 'functools', 'itertools', 'timeit', 'trace', 'pdb', 'bdb', 'profile', 'cProfile', 'platform',
  'sysconfig', 'distutils', 'setuptools', 'pip', 'commands', 'popen2', 'builtins', '__builtin__',
  'torch._C', 'torch.hub', 'torch.jit', 'torch.serialization', 'torch.storage', 'torch.ops', 'torch.package',
  'torch.utils.cpp_extension', 'torch.distributed', 'torch.multiprocessing', 'torch._dynamo', 'torch._inductor',
  'numpy.f2py', 'numpy.distutils', 'numpy.testing', 'numpy.ctypeslib', 'numpy.lib.npyio', 'numpy.lib.format',
];

/** Single globals that load or write files, in modules that are otherwise only named. */
const FORBIDDEN_GLOBALS = new Set([
  'torch.load', 'torch.save', 'numpy.load', 'numpy.save', 'numpy.savez', 'numpy.fromfile', 'numpy.loadtxt',
  'numpy.genfromtxt', 'numpy.memmap',
]);

/**
 * Builtin types that may be named, for example as the base class in copyreg._reconstructor.
 * Protocol 2 writes the builtins module as __builtin__ (Python 2's name), so every whole-model
 * pickle names __builtin__.set; other builtins of either module are rejected.
 */
const INERT_BUILTINS = new Set([
  'object', 'dict', 'list', 'tuple', 'set', 'frozenset', 'bytes', 'bytearray', 'str', 'int', 'float',
  'bool', 'complex', 'slice', 'range', 'NoneType',
]);

/** Globals whose names are fine even though their module is forbidden, keyed "module.name". */
const ALLOWED_IN_FORBIDDEN_MODULES = new Set([
  // Protocol 2 pickles bytes as _codecs.encode(text, "latin1"); the handler only accepts latin-1.
  '_codecs.encode',
  'copyreg._reconstructor',
  'copy_reg._reconstructor',
]);

const TENSOR_REBUILDS = new Set([
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
]);

/** torch._utils rebuilds of tensor kinds the app cannot run, read as UnsupportedTensor. */
const UNSUPPORTED_TENSOR_REBUILDS: Record<string, string> = {
  'torch._utils._rebuild_qtensor': 'a quantized tensor',
  'torch._utils._rebuild_sparse_tensor': 'a sparse tensor',
  'torch._utils._rebuild_sparse_csr_tensor': 'a sparse CSR tensor',
  'torch._utils._rebuild_meta_tensor_no_storage': 'a meta tensor without data',
  'torch._utils._rebuild_device_tensor_from_numpy': 'a device tensor stored as a numpy array',
  'torch._utils._rebuild_device_tensor_from_cpu_tensor': 'a device tensor stored through a CPU copy',
  'torch._utils._rebuild_xla_tensor': 'an XLA tensor',
  'torch._utils._rebuild_wrapper_subclass': 'a tensor subclass without plain storage',
  'torch._utils._rebuild_nested_tensor': 'a nested tensor',
};

const NUMPY_MODULES = ['numpy.core.multiarray', 'numpy._core.multiarray'];

function moduleMatches(module: string, prefix: string): boolean {
  return module === prefix || module.startsWith(`${prefix}.`);
}

/** Return why a GLOBAL must be rejected at once, or null when the name may be read. */
export function forbiddenGlobalReason(module: string, name: string): string | null {
  const qualified = `${module}.${name}`;
  if (ALLOWED_IN_FORBIDDEN_MODULES.has(qualified)) return null;
  if (name.split('.').some((part) => part.startsWith('__') && part.endsWith('__'))) {
    return 'names a special attribute, which can reach functions that run code';
  }
  if ((module === 'builtins' || module === '__builtin__') && INERT_BUILTINS.has(name)) return null;
  if (module === 'builtins' || module === '__builtin__') {
    return 'is a Python builtin that can run code or open files (only inert types such as set and object are allowed)';
  }
  if (FORBIDDEN_GLOBALS.has(qualified)) return 'loads or writes files';
  const forbidden = FORBIDDEN_MODULES.find((prefix) => moduleMatches(module, prefix));
  if (forbidden !== undefined) {
    return `comes from the module ${forbidden}, which can run commands or code or access files, processes or the network`;
  }
  return null;
}

function invalid(context: PolicyContext, message: string): never {
  throw new CheckpointError('invalid-pickle', `${context.source}: ${message}. `
    + 'The file is corrupt or was not written by torch.save; save it again with torch.save.');
}

function isIntTuple(value: PickleValue): value is readonly number[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'number' && Number.isInteger(item));
}

function asDictItems(value: PickleValue, context: PolicyContext): PickleDict {
  const dict: PickleDict = new Map();
  if (value === undefined || value === null) return dict;
  if (value instanceof Map) return new Map(value);
  if (!Array.isArray(value)) invalid(context, `OrderedDict items are a ${describeValue(value)}, not a list of pairs`);
  for (const pair of value) {
    if (!Array.isArray(pair) || pair.length !== 2) invalid(context, 'OrderedDict items are not (key, value) pairs');
    dict.set(pair[0], pair[1]);
  }
  return dict;
}

function rebuildTensor(args: readonly PickleValue[], context: PolicyContext): TensorRef {
  const [storage, storageOffset, size, stride] = args;
  if (!(storage instanceof StorageRef)) {
    invalid(context, `a tensor rebuild got a ${describeValue(storage)} where a storage was expected`);
  }
  if (typeof storageOffset !== 'number' || !isIntTuple(size) || !isIntTuple(stride)) {
    invalid(context, 'a tensor rebuild has a non-integer storage offset, size or stride');
  }
  return new TensorRef(storage, storageOffset, [...size], [...stride], false);
}

/**
 * torch._utils._rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype, ...):
 * like v2, but the tensor's dtype is given separately from its (usually untyped) storage.
 */
function rebuildTensorWithDtype(args: readonly PickleValue[], context: PolicyContext): PickleValue {
  const tensor = rebuildTensor(args, context);
  const dtype = args[6];
  if (!(dtype instanceof GlobalRef) || dtype.module !== 'torch') {
    invalid(context, `_rebuild_tensor_v3 got the dtype ${describeValue(dtype ?? null)}, not a torch dtype`);
  }
  const { storage } = tensor;
  const elementType = torchDtype(dtype.name);
  const storageBytes = storage.numel * (storage.dtype?.bytesPerElement ?? 1);
  const retyped = new StorageRef(storage.key, dtype.name, elementType,
    Math.floor(storageBytes / (elementType?.bytesPerElement ?? 1)), storage.location, storage.elementOffset);
  return new TensorRef(retyped, tensor.storageOffset, tensor.shape, tensor.stride, false);
}

function rebuildParameter(args: readonly PickleValue[], context: PolicyContext): PickleValue {
  const [data] = args;
  if (data instanceof UnsupportedTensor) return data;
  if (!(data instanceof TensorRef)) invalid(context, `a parameter rebuild got a ${describeValue(data)} instead of a tensor`);
  return new TensorRef(data.storage, data.storageOffset, data.shape, data.stride, true);
}

/** torch._tensor._rebuild_from_type_v2(func, type, args, state): a tensor with Python attributes. */
function rebuildFromType(args: readonly PickleValue[], context: PolicyContext): PickleValue {
  const [func, , funcArgs] = args;
  if (!(func instanceof GlobalRef) || !TENSOR_REBUILDS.has(func.qualifiedName)) {
    throw new UnsafeGlobalError(describeValue(func), 'is called through torch._tensor._rebuild_from_type_v2 but is not a tensor rebuild on the allowlist');
  }
  if (!Array.isArray(funcArgs)) invalid(context, 'torch._tensor._rebuild_from_type_v2 has no argument tuple');
  return CALL_HANDLERS[func.qualifiedName](funcArgs, context);
}

function latin1Bytes(text: string, context: PolicyContext): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code > 0xff) invalid(context, `a latin-1 bytes literal contains the character U+${code.toString(16)}`);
    bytes[i] = code;
  }
  return bytes;
}

function encodeBytes(args: readonly PickleValue[], context: PolicyContext): Uint8Array {
  const [text, encoding] = args;
  if (typeof text !== 'string' || typeof encoding !== 'string' || !/^latin[-_]?1$/i.test(encoding)) {
    invalid(context, `_codecs.encode is only accepted as encode(text, "latin1"), got encoding ${String(encoding)}`);
  }
  return latin1Bytes(text, context);
}

function buildByteArray(args: readonly PickleValue[], context: PolicyContext): Uint8Array {
  const [value] = args;
  if (value === undefined) return new Uint8Array(0);
  if (value instanceof Uint8Array) return value.slice();
  if (typeof value === 'string') return latin1Bytes(value, context);
  return invalid(context, `bytearray of a ${describeValue(value)} is not supported`);
}

function buildSet(args: readonly PickleValue[], context: PolicyContext): Set<PickleValue> {
  const [items] = args;
  if (items === undefined) return new Set();
  if (!Array.isArray(items)) invalid(context, `set of a ${describeValue(items)} is not supported`);
  return new Set(items);
}

/** copyreg._reconstructor(cls, base, state): how protocols 0 and 1 pickle plain class instances. */
function reconstruct(args: readonly PickleValue[], context: PolicyContext): PickleValue {
  const [cls, base, state] = args;
  if (!(base instanceof GlobalRef) || !['object', 'dict', 'list'].includes(base.name)
      || !['builtins', '__builtin__'].includes(base.module)) {
    throw new UnsafeGlobalError(describeValue(base), 'is the base class of copyreg._reconstructor, where only object, dict and list are allowed');
  }
  const instance = context.construct(cls, []);
  if (instance instanceof ObjectStub && state instanceof Map) {
    for (const [key, value] of state) instance.dictItems.set(key, value);
  }
  return instance;
}

/** numpy.core.multiarray.scalar(dtype, bytes): a numpy scalar such as np.float64(0.91). */
function numpyScalar(args: readonly PickleValue[], context: PolicyContext): PickleValue {
  const [dtype, data] = args;
  if (!(dtype instanceof ObjectStub) || dtype.className !== 'numpy.dtype' || !(data instanceof Uint8Array)) {
    invalid(context, 'a numpy scalar is not (dtype, bytes)');
  }
  const code = String(dtype.args[0]);
  const byteOrder = Array.isArray(dtype.state) ? dtype.state[1] : '<';
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const little = byteOrder !== '>';
  const readers: Record<string, [number, () => PickleValue]> = {
    f8: [8, () => view.getFloat64(0, little)],
    f4: [4, () => view.getFloat32(0, little)],
    i8: [8, () => Number(view.getBigInt64(0, little))],
    i4: [4, () => view.getInt32(0, little)],
    u1: [1, () => view.getUint8(0)],
    b1: [1, () => view.getUint8(0) !== 0],
  };
  const reader = Object.hasOwn(readers, code) ? readers[code] : undefined;
  return reader !== undefined && data.byteLength >= reader[0] ? reader[1]() : new ObjectStub('numpy scalar', args);
}

function buildSize(args: readonly PickleValue[], context: PolicyContext): readonly number[] {
  const [size] = args;
  if (size === undefined || !isIntTuple(size)) invalid(context, 'torch.Size of a non-integer tuple');
  return Object.freeze([...size]);
}

function pathString(args: readonly PickleValue[]): string {
  return args.map(String).join('/');
}

/** Handlers of the callables a pickle may REDUCE, keyed "module.name". None runs Python code. */
const CALL_HANDLERS: Record<string, Handler> = {
  'collections.OrderedDict': ([items], context) => asDictItems(items ?? null, context),
  'collections.defaultdict': () => new Map(),
  'torch._utils._rebuild_tensor': rebuildTensor,
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_tensor_v3': rebuildTensorWithDtype,
  'torch._utils._rebuild_parameter': rebuildParameter,
  'torch._utils._rebuild_parameter_with_state': rebuildParameter,
  'torch._tensor._rebuild_from_type_v2': rebuildFromType,
  'torch.Size': buildSize,
  'torch.device': (args) => args.map(String).join(':'),
  'builtins.set': buildSet,
  'builtins.frozenset': buildSet,
  'builtins.bytearray': buildByteArray,
  '__builtin__.set': buildSet,
  '__builtin__.frozenset': buildSet,
  '__builtin__.bytearray': buildByteArray,
  '_codecs.encode': encodeBytes,
  'copyreg._reconstructor': reconstruct,
  'copy_reg._reconstructor': reconstruct,
  'numpy.dtype': (args) => new ObjectStub('numpy.dtype', args),
  'pathlib.Path': pathString,
  'pathlib.PosixPath': pathString,
  'pathlib.WindowsPath': pathString,
  'pathlib.PurePosixPath': pathString,
  'pathlib.PureWindowsPath': pathString,
};
for (const module of NUMPY_MODULES) {
  CALL_HANDLERS[`${module}.scalar`] = numpyScalar;
  // The array's contents arrive later through BUILD and stay undecoded in the stub.
  CALL_HANDLERS[`${module}._reconstruct`] = () => new ObjectStub('numpy.ndarray', []);
}

/** Classes that NEWOBJ turns into real containers instead of stubs. */
const CONTAINER_CLASSES: Record<string, () => PickleValue> = {
  'collections.OrderedDict': () => new Map(),
  'builtins.dict': () => new Map(),
  '__builtin__.dict': () => new Map(),
  'builtins.list': () => [],
  '__builtin__.list': () => [],
  'builtins.set': () => new Set(),
  '__builtin__.set': () => new Set(),
};

/**
 * Create the policy for torch.save pickles. `persistentLoad` resolves storage ids, and `source`
 * names the file in errors.
 */
export function createTorchPolicy(source: string, persistentLoad: (pid: PickleValue) => PickleValue): UnpicklePolicy {
  const construct = (cls: PickleValue, args: readonly PickleValue[]): PickleValue => {
    if (!(cls instanceof GlobalRef)) invalid(context, `NEWOBJ on a ${describeValue(cls)}, which is not a class`);
    const container = CONTAINER_CLASSES[cls.qualifiedName];
    return container !== undefined ? container() : new ObjectStub(cls.qualifiedName, args);
  };
  const context: PolicyContext = { source, construct };

  return {
    findGlobal(module, name) {
      const reason = forbiddenGlobalReason(module, name);
      if (reason !== null) throw new UnsafeGlobalError(`${module}.${name}`, reason);
      return new GlobalRef(module, name);
    },

    call(callable, args) {
      if (!(callable instanceof GlobalRef)) {
        return invalid(context, `REDUCE calls a ${describeValue(callable)}, which is not a global`);
      }
      const name = callable.qualifiedName;
      if (Object.hasOwn(UNSUPPORTED_TENSOR_REBUILDS, name)) return new UnsupportedTensor(UNSUPPORTED_TENSOR_REBUILDS[name]);
      if (!Object.hasOwn(CALL_HANDLERS, name)) {
        throw new UnsafeGlobalError(name, 'is called by the pickle, and calling anything outside the allowlist of inert constructors could run code');
      }
      return CALL_HANDLERS[name](args, context);
    },

    construct: (cls, args) => construct(cls, args),

    build(target, state) {
      if (target instanceof ObjectStub) {
        target.state = state;
      } else if (!(target instanceof Map || target instanceof TensorRef || target instanceof UnsupportedTensor)) {
        // Maps get BUILD for attributes such as state_dict()._metadata, tensors for Python
        // attributes; neither affects the weights, so both are dropped.
        invalid(context, `BUILD on a ${describeValue(target)}`);
      }
    },

    persistentLoad,
  };
}
