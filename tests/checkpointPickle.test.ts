import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';

import { CheckpointError, readTorchFile, UnsafeGlobalError } from '../src/checkpoint';
import { unpickle } from '../src/checkpoint/pickle';
import { GlobalRef, ObjectStub, type PickleValue } from '../src/checkpoint/pickleValues';
import { createTorchPolicy } from '../src/checkpoint/torchPolicy';
import { StorageRef, TensorRef, UnsupportedTensor } from '../src/checkpoint/torchTypes';

// Pickles built opcode by opcode, following CPython's Lib/pickletools.py, so each test names
// exactly the opcodes and globals it feeds the restricted reader.

type Piece = number | string | Uint8Array | readonly Piece[];

const utf8 = new TextEncoder();

function bytesOf(...pieces: Piece[]): Uint8Array {
  const out: number[] = [];
  const add = (piece: Piece): void => {
    if (typeof piece === 'number') out.push(piece);
    else if (typeof piece === 'string') out.push(...utf8.encode(piece));
    else if (piece instanceof Uint8Array) out.push(...piece);
    else piece.forEach(add);
  };
  pieces.forEach(add);
  return Uint8Array.from(out);
}

const u32 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];

const OP = {
  PROTO2: [0x80, 2], MARK: 0x28, STOP: 0x2e, NONE: 0x4e, NEWTRUE: 0x88, NEWFALSE: 0x89,
  EMPTY_DICT: 0x7d, EMPTY_LIST: 0x5d, EMPTY_TUPLE: 0x29, EMPTY_SET: 0x8f, ADDITEMS: 0x90, FROZENSET: 0x91,
  TUPLE: 0x74, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87, LIST: 0x6c, DICT: 0x64,
  APPEND: 0x61, APPENDS: 0x65, SETITEM: 0x73, SETITEMS: 0x75,
  BINPUT: 0x71, BINGET: 0x68, MEMOIZE: 0x94, REDUCE: 0x52, BUILD: 0x62, NEWOBJ: 0x81,
  BINPERSID: 0x51, STACK_GLOBAL: 0x93, INST: 0x69, OBJ: 0x6f, EXT1: 0x82, POP: 0x30, DUP: 0x32,
} as const;

const str = (text: string): Piece => {
  const encoded = utf8.encode(text);
  return [0x58, u32(encoded.length), encoded];
};
const shortStr = (text: string): Piece => {
  const encoded = utf8.encode(text);
  return [0x8c, encoded.length, encoded];
};
const int = (n: number): Piece => (n >= 0 && n < 256 ? [0x4b, n] : [0x4a, u32(n)]);
const global = (module: string, name: string): Piece => ['c', `${module}\n${name}\n`];
const call = (module: string, name: string, ...args: Piece[]): Piece => [global(module, name), OP.MARK, args, OP.TUPLE, OP.REDUCE];
const intTuple = (values: number[]): Piece => [OP.MARK, values.map(int), OP.TUPLE];
const orderedDict: Piece = call('collections', 'OrderedDict');

/** Build the persistent id of storage `key` with `numel` elements of `storageType`. */
function storageId(storageType: string, key: string, numel: number): Piece {
  return [OP.MARK, str('storage'), global('torch', storageType), str(key), str('cpu'), int(numel), OP.TUPLE, OP.BINPERSID];
}

/** Build a torch._utils._rebuild_tensor_v2 call on storage `key` with `numel` elements of `storageType`. */
function tensor(storageType: string, key: string, numel: number, offset: number, size: number[], stride: number[]): Piece {
  return call('torch._utils', '_rebuild_tensor_v2', storageId(storageType, key, numel), int(offset), intTuple(size), intTuple(stride),
    OP.NEWFALSE, orderedDict);
}

function pickle(...body: Piece[]): Uint8Array {
  return bytesOf(OP.PROTO2, body, OP.STOP);
}

function storagesFromIds(pid: PickleValue): PickleValue {
  const [, type, key, , numel] = pid as readonly PickleValue[];
  return new StorageRef(String(key), (type as GlobalRef).name, { dtype: 'float32', bytesPerElement: 4 }, numel as number, 'cpu');
}

function read(bytes: Uint8Array): PickleValue {
  return unpickle(bytes, createTorchPolicy('test.pkl', storagesFromIds), 'test.pkl').value;
}

function readError(bytes: Uint8Array): CheckpointError {
  try {
    read(bytes);
  } catch (error) {
    if (error instanceof CheckpointError) return error;
    throw error;
  }
  throw new Error('the pickle was accepted');
}

describe('unpickle data opcodes', () => {
  it('reads numbers of every width', () => {
    const longBig = [0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0x01];
    const longNegative = [0x8a, 2, 0x00, 0xff];
    const binFloat = [0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0];
    const value = read(pickle(OP.MARK, int(7), [0x4d, 0x34, 0x12], [0x4a, u32(-5 >>> 0)], longBig, longNegative, binFloat, OP.LIST));

    expect(value).toEqual([7, 0x1234, -5, 1n << 64n, -256, 1.5]);
  });

  it('reads text opcodes of protocol 0', () => {
    const value = read(bytesOf(OP.MARK, 'I01\n', 'I-42\n', 'L123456789012345678901L\n', 'F0.25\n', 'Vcaf\\u00e9\n',
      'V', 0x80, 0xe9, '\n', 'F-inf\n', OP.LIST, OP.STOP));

    expect(value).toEqual([true, -42, 123456789012345678901n, 0.25, 'café', '\u0080\u00e9', -Infinity]);
  });

  it('builds dicts, tuples, sets and bytes', () => {
    const value = read(pickle(
      OP.EMPTY_DICT, OP.MARK,
      shortStr('tuple'), int(1), int(2), int(3), OP.TUPLE3,
      str('set'), OP.EMPTY_SET, OP.MARK, int(4), int(5), OP.ADDITEMS,
      str('frozen'), OP.MARK, int(6), OP.FROZENSET,
      str('bytes'), [0x43, 3, 1, 2, 3],
      str('flags'), OP.NEWTRUE, OP.NEWFALSE, OP.NONE, OP.TUPLE3,
      OP.SETITEMS,
    )) as Map<PickleValue, PickleValue>;

    expect(value.get('tuple')).toEqual([1, 2, 3]);
    expect(Object.isFrozen(value.get('tuple'))).toBe(true);
    expect(value.get('set')).toEqual(new Set([4, 5]));
    expect(value.get('frozen')).toEqual(new Set([6]));
    expect(value.get('bytes')).toEqual(new Uint8Array([1, 2, 3]));
    expect(value.get('flags')).toEqual([true, false, null]);
  });

  it('memo entries keep object identity', () => {
    const value = read(pickle(OP.EMPTY_LIST, OP.BINPUT, 0, int(1), OP.APPEND, OP.BINGET, 0, OP.TUPLE2)) as PickleValue[][];

    expect(value[0]).toBe(value[1]);
    expect(value[0]).toEqual([1]);
  });

  it('protocol 4 STACK_GLOBAL and MEMOIZE', () => {
    const value = read(bytesOf(0x80, 4, shortStr('collections'), OP.MEMOIZE, shortStr('OrderedDict'), OP.MEMOIZE,
      OP.STACK_GLOBAL, OP.MEMOIZE, OP.EMPTY_TUPLE, OP.REDUCE, OP.MEMOIZE, shortStr('a'), int(1), OP.SETITEM,
      OP.BINGET, 3, OP.TUPLE2, OP.STOP)) as PickleValue[];

    expect(value[0]).toBeInstanceOf(Map);
    expect(value[0]).toBe(value[1]);
    expect((value[0] as Map<PickleValue, PickleValue>).get('a')).toBe(1);
  });
});

describe('unpickle malformed input', () => {
  it.each([
    ['missing STOP', bytesOf(OP.PROTO2, OP.EMPTY_DICT), 'more bytes are needed'],
    ['unknown opcode', pickle(0xff), 'unknown opcode 0xff'],
    ['protocol 6', bytesOf(0x80, 6, OP.NONE, OP.STOP), 'pickle protocol 6'],
    ['memo read before write', pickle(OP.BINGET, 9), 'memo entry 9'],
    ['empty stack', pickle(OP.POP), 'the stack is empty'],
    ['SETITEM on a list', pickle(OP.EMPTY_LIST, int(1), int(2), OP.SETITEM), 'not a dict'],
    ['APPEND to a tuple', pickle(OP.EMPTY_TUPLE, int(1), OP.APPEND), 'not a list'],
    ['BUILD on a list', pickle(OP.EMPTY_LIST, OP.EMPTY_DICT, OP.BUILD), 'BUILD on a list'],
    ['REDUCE on a string', pickle(str('os.system'), OP.EMPTY_TUPLE, OP.REDUCE), 'not a global'],
    ['extension registry', pickle(OP.EXT1, 1), 'extension-registry'],
    ['oversized string', pickle([0x58, u32(1000)], 'abc'), 'more bytes are needed'],
    ['non-latin1 codec', pickle(call('_codecs', 'encode', str('x'), str('rot13'))), 'latin1'],
  ])('%s is invalid', (_name, bytes, fragment) => {
    const error = readError(bytes);

    expect(error.code).toBe('invalid-pickle');
    expect(error.message).toContain(fragment);
  });
});

describe('torch policy rejects globals that could run code', () => {
  it.each([
    ['GLOBAL os.system', pickle(global('os', 'system')), 'os.system'],
    ['GLOBAL posix.system', pickle(call('posix', 'system', str('touch /tmp/x'))), 'posix.system'],
    ['GLOBAL nt.system', pickle(global('nt', 'system')), 'nt.system'],
    ['builtins.eval', pickle(call('builtins', 'eval', str('1+1'))), 'builtins.eval'],
    ['builtins.exec', pickle(call('builtins', 'exec', str('pass'))), 'builtins.exec'],
    ['builtins.getattr', pickle(global('builtins', 'getattr')), 'builtins.getattr'],
    ['__builtin__.open', pickle(global('__builtin__', 'open')), '__builtin__.open'],
    ['builtins.__import__', pickle(global('builtins', '__import__')), 'builtins.__import__'],
    ['subprocess.Popen', pickle(call('subprocess', 'Popen', str('ls'))), 'subprocess.Popen'],
    ['subprocess.run via NEWOBJ', pickle(global('subprocess', 'run'), OP.EMPTY_TUPLE, OP.NEWOBJ), 'subprocess.run'],
    ['STACK_GLOBAL builtins.eval', bytesOf(0x80, 4, shortStr('builtins'), shortStr('eval'), OP.STACK_GLOBAL, OP.STOP), 'builtins.eval'],
    ['dunder attribute', pickle(global('torch.nn.modules.module', 'Module.__init__')), 'torch.nn.modules.module.Module.__init__'],
    ['torch.load', pickle(global('torch', 'load')), 'torch.load'],
    ['torch.hub.load', pickle(global('torch.hub', 'load')), 'torch.hub.load'],
    ['numpy.load', pickle(global('numpy', 'load')), 'numpy.load'],
    ['_codecs.decode', pickle(global('_codecs', 'decode')), '_codecs.decode'],
    ['functools.partial', pickle(global('functools', 'partial')), 'functools.partial'],
    ['user class REDUCE', pickle(call('__main__', 'Payload', str('x'))), '__main__.Payload'],
    ['user class INST', bytesOf(OP.PROTO2, OP.MARK, str('x'), OP.INST, '__main__\nPayload\n', OP.STOP), '__main__.Payload'],
    ['user class OBJ', pickle(OP.MARK, global('__main__', 'Payload'), str('x'), OP.OBJ), '__main__.Payload'],
    ['reconstructor with a user base', pickle(call('copy_reg', '_reconstructor', global('__main__', 'Net'), global('__main__', 'Base'), OP.NONE)), '__main__.Base'],
    ['rebuild_from_type with a user function', pickle(call('torch._tensor', '_rebuild_from_type_v2', global('__main__', 'f'), global('torch', 'Tensor'), OP.EMPTY_TUPLE, OP.NONE)), '__main__.f'],
  ])('%s', (_name, bytes, globalName) => {
    const error = readError(bytes);

    expect(error).toBeInstanceOf(UnsafeGlobalError);
    expect((error as UnsafeGlobalError).globalName).toBe(globalName);
    expect(error.message).toContain(globalName);
    expect(error.message).toContain('nothing in it was run');
  });
});

describe('torch policy rebuilds inert values', () => {
  it('module classes become stubs with their state', () => {
    const value = read(pickle(global('__main__', 'Net'), OP.EMPTY_TUPLE, OP.NEWOBJ,
      OP.EMPTY_DICT, str('training'), OP.NEWTRUE, OP.SETITEM, OP.BUILD)) as ObjectStub;

    expect(value).toBeInstanceOf(ObjectStub);
    expect(value.className).toBe('__main__.Net');
    expect(value.state).toEqual(new Map([['training', true]]));
  });

  it('copy_reg reconstructor with object base', () => {
    const value = read(pickle(call('copy_reg', '_reconstructor', global('argparse', 'Namespace'), global('__builtin__', 'object'), OP.NONE))) as ObjectStub;

    expect(value.className).toBe('argparse.Namespace');
  });

  it('numpy float64 scalar decodes to a number', () => {
    const dtype: Piece = [call('numpy', 'dtype', str('f8'), OP.NEWFALSE, OP.NEWTRUE),
      OP.MARK, int(3), str('<'), OP.NONE, OP.NONE, OP.NONE, [0x4a, u32(-1 >>> 0)], [0x4a, u32(-1 >>> 0)], int(0), OP.TUPLE, OP.BUILD];
    const latin1Bytes = call('_codecs', 'encode', str('\u0000\u0000\u0000\u0000\u0000\u0000\u00ea\u003f'), str('latin1'));
    const value = read(pickle(call('numpy.core.multiarray', 'scalar', dtype, latin1Bytes)));

    expect(value).toBe(0.8125);
  });

  it('builtin set of a list', () => {
    expect(read(pickle(call('__builtin__', 'set', [OP.EMPTY_LIST, str('a'), OP.APPEND])))).toEqual(new Set(['a']));
  });

  it('parameter wraps a tensor rebuild', () => {
    const value = read(pickle(call('torch._utils', '_rebuild_parameter', tensor('FloatStorage', '0', 6, 0, [2, 3], [3, 1]), OP.NEWTRUE, orderedDict))) as TensorRef;

    expect(value).toBeInstanceOf(TensorRef);
    expect(value.isParameter).toBe(true);
    expect(value.shape).toEqual([2, 3]);
    expect(value.stride).toEqual([3, 1]);
  });

  it('rebuild_from_type_v2 applies the tensor rebuild', () => {
    const rebuildArgs: Piece = [OP.MARK, [OP.MARK, str('storage'), global('torch', 'FloatStorage'), str('0'), str('cpu'), int(4), OP.TUPLE, OP.BINPERSID],
      int(1), intTuple([3]), intTuple([1]), OP.NEWFALSE, orderedDict, OP.TUPLE];
    const value = read(pickle(call('torch._tensor', '_rebuild_from_type_v2', global('torch._utils', '_rebuild_tensor_v2'),
      global('torch.nn.parameter', 'Parameter'), rebuildArgs, OP.EMPTY_DICT))) as TensorRef;

    expect(value.storageOffset).toBe(1);
    expect(value.shape).toEqual([3]);
  });

  it('quantized tensors become placeholders', () => {
    const value = read(pickle(call('torch._utils', '_rebuild_qtensor', OP.NONE)));

    expect(value).toBeInstanceOf(UnsupportedTensor);
  });
});

/** Build a torch.save-like zip: ARCHIVE/data.pkl plus storages and extra entries. */
function torchZip(pkl: Uint8Array, entries: Record<string, Uint8Array>, level: 0 | 6 = 0): Uint8Array {
  const files: Record<string, Uint8Array> = { 'archive/data.pkl': pkl };
  for (const [name, data] of Object.entries(entries)) files[`archive/${name}`] = data;
  return zipSync(files, { level });
}

/** Overwrite the uncompressed size of `name` in the local and central headers, as a forged zip would. */
function setDeclaredSize(zip: Uint8Array, name: string, size: number): void {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const encodedName = utf8.encode(name);
  const nameAt = (offset: number) => encodedName.every((byte, i) => zip[offset + i] === byte);
  let patched = 0;
  for (let offset = 0; offset + 46 < zip.length; offset++) {
    const signature = view.getUint32(offset, true);
    if (signature === 0x04034b50 && nameAt(offset + 30)) {
      view.setUint32(offset + 22, size, true);
      patched++;
    } else if (signature === 0x02014b50 && nameAt(offset + 46)) {
      view.setUint32(offset + 24, size, true);
      patched++;
    }
  }
  if (patched !== 2) throw new Error(`expected a local and a central header for ${name}, patched ${patched}`);
}

function float32Bytes(values: number[], littleEndian = true): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setFloat32(i * 4, value, littleEndian));
  return bytes;
}

async function readZipError(bytes: Uint8Array): Promise<CheckpointError> {
  try {
    await readTorchFile(bytes, 'archive.pth');
  } catch (error) {
    if (error instanceof CheckpointError) return error;
    throw error;
  }
  throw new Error('the archive was accepted');
}

const stateDict = (...entries: Array<[string, Piece]>): Uint8Array =>
  pickle(orderedDict, OP.MARK, entries.map(([key, value]) => [str(key), value]), OP.SETITEMS);

describe('readTorchFile on hand-built archives', () => {
  it('deflated entries and a transposed view', async () => {
    const pkl = stateDict(['w', tensor('FloatStorage', '0', 6, 0, [3, 2], [1, 3])]);
    const result = await readTorchFile(torchZip(pkl, { 'data/0': float32Bytes([0, 1, 2, 3, 4, 5]) }, 6), 'archive.pth');

    expect(result.tensors.get('w')!.data).toEqual(new Float32Array([0, 3, 1, 4, 2, 5]));
  });

  it('big-endian byteorder is swapped', async () => {
    const pkl = stateDict(['w', tensor('FloatStorage', '0', 3, 1, [2], [1])]);
    const zip = torchZip(pkl, { byteorder: utf8.encode('big'), 'data/0': float32Bytes([1.5, -2, 8], false) });

    expect((await readTorchFile(zip, 'archive.pth')).tensors.get('w')!.data).toEqual(new Float32Array([-2, 8]));
  });

  it('unsupported storage dtypes fail only when used', async () => {
    const pkl = pickle(OP.EMPTY_DICT, OP.MARK,
      str('state_dict'), orderedDict, str('w'), tensor('FloatStorage', '0', 1, 0, [1], [1]), OP.SETITEM,
      str('extra'), orderedDict, str('q'), tensor('ShortStorage', '1', 1, 0, [1], [1]), OP.SETITEM,
      OP.SETITEMS);
    const zip = torchZip(pkl, { 'data/0': float32Bytes([4]), 'data/1': new Uint8Array(2) });

    const result = await readTorchFile(zip, 'archive.pth');
    const error = await readZipError(torchZip(stateDict(['q', tensor('ShortStorage', '1', 1, 0, [1], [1])]), { 'data/1': new Uint8Array(2) }));

    expect(result.tensors.get('w')!.data).toEqual(new Float32Array([4]));
    expect(error.code).toBe('unsupported-tensor');
    expect(error.message).toContain('torch.ShortStorage');
  });

  it('rebuild_tensor_v3 decodes an untyped storage', async () => {
    const halfValues = new Uint8Array(new Uint16Array([0x3c00, 0x4000, 0xc400, 0x3800]).buffer);
    const v3 = call('torch._utils', '_rebuild_tensor_v3', storageId('UntypedStorage', '0', 8), int(1), intTuple([3]), intTuple([1]),
      OP.NEWFALSE, orderedDict, global('torch', 'float16'));
    const result = await readTorchFile(torchZip(stateDict(['w', v3]), { 'data/0': halfValues }), 'archive.pth');

    expect(result.tensors.get('w')!.sourceDtype).toBe('float16');
    expect(result.tensors.get('w')!.data).toEqual(new Float32Array([2, -4, 0.5]));
  });

  it('quantized weights are rejected by name', async () => {
    const error = await readZipError(torchZip(stateDict(['conv.weight', call('torch._utils', '_rebuild_qtensor', OP.NONE)]), {}));

    expect(error.code).toBe('unsupported-tensor');
    expect(error.message).toContain('"conv.weight" is a quantized tensor');
  });

  it('view past the end of its storage is corrupt', async () => {
    const error = await readZipError(torchZip(stateDict(['w', tensor('FloatStorage', '0', 4, 2, [2, 2], [2, 1])]), { 'data/0': float32Bytes([1, 2, 3, 4]) }));

    expect(error.code).toBe('corrupt-archive');
    expect(error.message).toContain('reads element 5');
  });

  it('missing storage entry is corrupt', async () => {
    const error = await readZipError(torchZip(stateDict(['w', tensor('FloatStorage', '7', 1, 0, [1], [1])]), {}));

    expect(error.code).toBe('corrupt-archive');
    expect(error.message).toContain('storage "7"');
  });

  it('TorchScript archives are named', async () => {
    const error = await readZipError(torchZip(stateDict(), { 'constants.pkl': pickle(OP.NONE), 'code/__torch__.py': utf8.encode('x') }));

    expect(error.code).toBe('torchscript');
    expect(error.message).toContain('torch.jit.save');
  });

  it('deflated entry over deflate ratio is corrupt', async () => {
    const zip = torchZip(stateDict(['w', tensor('FloatStorage', '0', 256, 0, [256], [1])]), { 'data/0': new Uint8Array(1024) }, 6);
    setDeclaredSize(zip, 'archive/data/0', 0xfffffff0);

    const error = await readZipError(zip);

    expect(error.code).toBe('corrupt-archive');
    expect(error.message).toContain('entry archive/data/0 claims 4294967280 bytes');
  });

  it('stored entry size mismatch is corrupt', async () => {
    const zip = torchZip(stateDict(['w', tensor('FloatStorage', '0', 1, 0, [1], [1])]), { 'data/0': float32Bytes([1]) });
    setDeclaredSize(zip, 'archive/data/0', 8);

    expect((await readZipError(zip)).message).toContain('claims 8 bytes from 4 stored bytes');
  });

  it('weights over 2 GiB are rejected', async () => {
    const elements = 2 ** 29 + 1;
    // Incompressible bytes keep the claimed size within deflate's ratio, so only the total is at fault.
    let state = 0x2545f491;
    const noise = new Uint8Array(3 << 20).map(() => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 24;
    });
    const zip = torchZip(stateDict(['w', tensor('FloatStorage', '0', elements, 0, [elements], [1])]), { 'data/0': noise }, 6);
    setDeclaredSize(zip, 'archive/data/0', elements * 4);

    const error = await readZipError(zip);

    expect(error.code, error.message).toBe('archive-too-large');
    expect(error.message).toContain(`take ${elements * 4} bytes, over the ${2 ** 31}-byte limit`);
  });

  it('zip without data.pkl is not a torch file', async () => {
    const error = await readZipError(zipSync({ 'photos/cat.jpg': new Uint8Array(4) }));

    expect(error.code).toBe('corrupt-archive');
    expect(error.message).toContain('photos/cat.jpg');
  });

  it('plain pickle gets a re-save hint', async () => {
    const error = await readZipError(pickle(OP.EMPTY_DICT));

    expect(error.code).toBe('not-a-checkpoint');
    expect(error.message).toContain('torch.save(model.state_dict()');
  });

  it('tar format asks for a re-save', async () => {
    const tar = new Uint8Array(512);
    tar.set(utf8.encode('ustar'), 257);
    const error = await readZipError(tar);

    expect(error.code).toBe('legacy-format');
    expect(error.message).toContain('Re-save it with a recent PyTorch');
  });
});
