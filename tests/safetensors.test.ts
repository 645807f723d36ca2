import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { decodeTensorBytes, float16ToFloat32, parseSafetensors } from '../src/model/safetensors';

// Written by tools/make_preprocess_fixture.py with PyTorch: edge values of each dtype, and
// `NAME.as_f32`, PyTorch's own float32 conversion of each floating-point tensor.
const DTYPES_PATH = join(__dirname, 'fixtures', 'preprocess', 'dtypes.safetensors');

function readFixture(): ArrayBuffer {
  const bytes = readFileSync(DTYPES_PATH);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** Build a safetensors file: u64 little-endian header length, JSON header, data bytes. */
function buildFile(header: unknown, data: Uint8Array = new Uint8Array(0)): ArrayBuffer {
  const headerBytes = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const buffer = new ArrayBuffer(8 + headerBytes.length + data.length);
  new DataView(buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  new Uint8Array(buffer, 8).set(headerBytes);
  new Uint8Array(buffer, 8 + headerBytes.length).set(data);
  return buffer;
}

function parseError(buffer: ArrayBuffer, source = 'model.safetensors'): string {
  try {
    parseSafetensors(buffer, source);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('parseSafetensors accepted the file');
}

/** Elementwise Object.is, so NaN equals NaN and -0 differs from 0; returns the first mismatch. */
function firstMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != ${expected.length}`;
  for (let i = 0; i < actual.length; i += 1) {
    if (!Object.is(actual[i], expected[i])) return `element ${i}: ${actual[i]} != ${expected[i]}`;
  }
  return null;
}

const FILE = parseSafetensors(readFixture(), 'dtypes.safetensors');

describe('parseSafetensors dtypes', () => {
  it.each([
    ['f16_values', 'float16'],
    ['f16_sweep', 'float16'],
    ['bf16_values', 'bfloat16'],
    ['bf16_sweep', 'bfloat16'],
    ['f32_values', 'float32'],
  ])('%s decodes exactly as PyTorch', (name, dtype) => {
    const tensor = FILE.tensors.get(name)!;
    const expected = FILE.tensors.get(`${name}.as_f32`)!;

    expect(tensor.sourceDtype).toBe(dtype);
    expect(tensor.data).toBeInstanceOf(Float32Array);
    expect(tensor.shape).toEqual(expected.shape);
    expect(firstMismatch(tensor.data as Float32Array, expected.data as Float32Array)).toBeNull();
  });

  it('f16 sweep covers subnormals, infinities and NaN', () => {
    const data = Array.from(FILE.tensors.get('f16_sweep')!.data as Float32Array);

    expect(data).toHaveLength(256);
    expect(data.filter(Number.isNaN)).toHaveLength(6);
    expect(data.filter((value) => value === Infinity)).toHaveLength(1);
    expect(data.filter((value) => value === -Infinity)).toHaveLength(1);
    expect(data).toContain(2 ** -24);
    expect(data).toContain(-(2 ** -14) * (1023 / 1024));
    expect(data).toContain(65504);
  });

  it('f16 edge values', () => {
    const data = FILE.tensors.get('f16_values')!.data as Float32Array;

    expect(Object.is(data[1], -0)).toBe(true);
    expect(data[4]).toBe(0.0999755859375);
    expect(data[6]).toBe(Infinity);
    expect(data[7]).toBe(-Infinity);
    expect(data[8]).toBeNaN();
    expect(data[9]).toBe(65504);
    expect(data[10]).toBe(2 ** -14);
    expect(data[11]).toBe(2 ** -24);
    expect(data[12]).toBe(2 ** -15 + 2 ** -24);
  });

  it('bf16 and f32 subnormals', () => {
    const bf16 = FILE.tensors.get('bf16_values')!.data as Float32Array;
    const f32 = FILE.tensors.get('f32_values')!.data as Float32Array;

    expect(bf16[11]).toBe(2 ** -133);
    expect(bf16[8]).toBeNaN();
    expect(f32[11]).toBe(2 ** -149);
    expect(f32[9]).toBe(3.4028234663852886e38);
    expect(f32[4]).toBe(Math.fround(0.1));
  });

  it.each([
    ['i64_values', 'int64', BigInt64Array, BigInt],
    ['i32_values', 'int32', Int32Array, Number],
    ['u8_values', 'uint8', Uint8Array, Number],
  ] as const)('%s equals the values PyTorch wrote', (name, dtype, arrayType, parse) => {
    const tensor = FILE.tensors.get(name)!;
    const expected = FILE.metadata[name].split(',').map((text) => parse(text));

    expect(tensor.sourceDtype).toBe(dtype);
    expect(tensor.data).toBeInstanceOf(arrayType);
    expect(Array.from(tensor.data as ArrayLike<number | bigint>)).toEqual(expected);
  });

  it('int64 keeps values beyond 2^53', () => {
    const data = FILE.tensors.get('i64_values')!.data as BigInt64Array;

    expect(data[3]).toBe(2n ** 53n + 1n);
    expect(data[4]).toBe(-(2n ** 63n));
    expect(data[5]).toBe(2n ** 63n - 1n);
  });

  it('reads a 2-D shape', () => {
    const tensor = FILE.tensors.get('f32_matrix')!;

    expect(tensor.shape).toEqual([2, 3]);
    expect(Array.from(tensor.data as Float32Array)).toEqual([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5]);
  });

  it('returns metadata apart from the tensors', () => {
    expect(FILE.metadata.format).toBe('pt');
    expect(FILE.tensors.has('__metadata__')).toBe(false);
    // 5 floating-point tensors with their .as_f32 copies, 3 integer tensors, 1 matrix.
    expect(FILE.tensors.size).toBe(14);
  });

  it('returns empty metadata when the header has none', () => {
    const file = parseSafetensors(buildFile({ x: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array([7])));

    expect(file.metadata).toEqual({});
    expect(Array.from(file.tensors.get('x')!.data as Uint8Array)).toEqual([7]);
  });
});

describe('decodeTensorBytes', () => {
  it('decodes float64 into float32', () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setFloat64(0, 1.5, true);
    new DataView(bytes.buffer).setFloat64(8, 0.1, true);

    const data = decodeTensorBytes(bytes, 'float64');

    expect(Array.from(data as Float32Array)).toEqual([1.5, Math.fround(0.1)]);
  });

  it('reads from an unaligned byte offset', () => {
    const buffer = new Uint8Array(11);
    new DataView(buffer.buffer).setFloat32(3, -7.25, true);
    new DataView(buffer.buffer).setFloat32(7, 2 ** -130, true);

    const data = decodeTensorBytes(buffer.subarray(3), 'float32');

    expect(Array.from(data as Float32Array)).toEqual([-7.25, 2 ** -130]);
  });

  it('copies bool bytes', () => {
    const bytes = new Uint8Array([0, 1, 1]);
    const data = decodeTensorBytes(bytes, 'bool');
    bytes[0] = 1;

    expect(Array.from(data as Uint8Array)).toEqual([0, 1, 1]);
  });
});

describe('float16ToFloat32', () => {
  it.each([
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504],
    [0x0400, 2 ** -14],
    [0x03ff, 2 ** -14 * (1023 / 1024)],
    [0x0001, 2 ** -24],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
    [0x8000, -0],
  ].map(([bits, expected]) => [`0x${bits.toString(16).padStart(4, '0')}`, bits, expected]))(
    'decodes bits %s',
    (_, bits, expected) => {
      expect(Object.is(float16ToFloat32(bits as number), expected)).toBe(true);
    },
  );

  it('decodes NaN', () => {
    expect(float16ToFloat32(0x7e00)).toBeNaN();
    expect(float16ToFloat32(0xfc01)).toBeNaN();
  });
});

describe('parseSafetensors errors', () => {
  it('rejects a file shorter than the length field', () => {
    expect(parseError(new ArrayBuffer(4))).toBe(
      'model.safetensors is not a safetensors file: it has 4 bytes, fewer than the 8-byte header length',
    );
  });

  it('rejects a header length beyond the file', () => {
    const buffer = buildFile('{}');
    new DataView(buffer).setBigUint64(0, 1000n, true);

    expect(parseError(buffer)).toBe('model.safetensors is not a valid safetensors file: header length 1000 does not fit in 10 bytes');
  });

  it('rejects a header that is not JSON', () => {
    const message = parseError(buildFile('{"x": '));

    expect(message).toContain('model.safetensors is not a valid safetensors file: its header is not JSON (');
  });

  it('rejects a JSON array header', () => {
    expect(parseError(buildFile('[1, 2]'))).toBe('model.safetensors is not a valid safetensors file: its header is not a JSON object');
  });

  it('rejects an unsupported dtype', () => {
    const message = parseError(buildFile({ w: { dtype: 'F8_E4M3', shape: [2], data_offsets: [0, 2] } }, new Uint8Array(2)));

    expect(message).toBe('model.safetensors: tensor "w" has dtype F8_E4M3; supported: F32, F16, BF16, F64, I64, I32, U8, BOOL');
  });

  it('rejects offsets that disagree with the shape', () => {
    const message = parseError(buildFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(8)));

    expect(message).toBe('model.safetensors: tensor "w" F32 [2] needs 8 bytes but its offsets are [0, 4] '
      + 'in a data section of 8 bytes; the file is truncated or corrupt');
  });

  it('rejects a truncated file and names the cut tensor', () => {
    const whole = readFixture();
    const headerLength = Number(new DataView(whole).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(whole, 8, headerLength))) as
      Record<string, { data_offsets: [number, number] }>;
    const [lastName, lastEntry] = Object.entries(header)
      .filter(([name]) => name !== '__metadata__')
      .reduce((last, entry) => (entry[1].data_offsets[1] > last[1].data_offsets[1] ? entry : last));
    const truncated = whole.slice(0, whole.byteLength - 10);

    const message = parseError(truncated, 'dtypes.safetensors');

    expect(message).toContain(`dtypes.safetensors: tensor "${lastName}"`);
    expect(message).toContain(`its offsets are [${lastEntry.data_offsets.join(', ')}]`);
    expect(message).toContain(`in a data section of ${lastEntry.data_offsets[1] - 10} bytes; the file is truncated or corrupt`);
  });

  // A negative begin offset with the right length points into the header, whose bytes
  // would otherwise be returned as tensor data.
  it('rejects negative data offsets', () => {
    const message = parseError(buildFile({ w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, new Uint8Array(4)));

    expect(message).toContain('tensor "w"');
  });
});
