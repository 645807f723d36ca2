import { describe, expect, it } from 'vitest';

import { parseSafetensors } from '../model/safetensors';
import type { RawTensorMap } from '../model/tensors';
import { encodeSafetensors } from './safetensorsBlob';

function sampleTensors(): RawTensorMap {
  // A view into a larger buffer, as decoded checkpoints often hold, must be written without its neighbours.
  const backing = new Float32Array([9, 9, 1.5, -2.25, 3e-8, 4, 9]);
  return new Map([
    ['conv.weight', { shape: [2, 2], sourceDtype: 'float32', data: backing.subarray(2, 6) }],
    ['attn.relative_index', { shape: [3], sourceDtype: 'int64', data: new BigInt64Array([0n, 5n, -1n]) }],
    ['counts', { shape: [2], sourceDtype: 'int32', data: new Int32Array([7, -8]) }],
    ['bytes', { shape: [3], sourceDtype: 'uint8', data: new Uint8Array([0, 128, 255]) }],
    ['mask', { shape: [2], sourceDtype: 'bool', data: new Uint8Array([1, 0]) }],
    ['bn.num_batches_tracked', { shape: [], sourceDtype: 'int64', data: new BigInt64Array([12n]) }],
    ['empty', { shape: [0, 3], sourceDtype: 'float32', data: new Float32Array(0) }],
  ]);
}

async function roundTrip(tensors: RawTensorMap, metadata?: Record<string, string>) {
  const blob = encodeSafetensors(tensors, metadata);
  return { blob, parsed: parseSafetensors(await blob.arrayBuffer(), 'round trip') };
}

describe('encodeSafetensors', () => {
  it('round-trips every dtype through parseSafetensors', async () => {
    const tensors = sampleTensors();
    const { parsed } = await roundTrip(tensors);

    expect([...parsed.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [name, tensor] of tensors) {
      const read = parsed.tensors.get(name)!;
      expect(read.shape, name).toEqual(tensor.shape);
      expect(read.sourceDtype, name).toBe(tensor.sourceDtype);
      expect(Array.from(read.data as ArrayLike<number | bigint>), name).toEqual(Array.from(tensor.data as ArrayLike<number | bigint>));
    }
  });

  it('keeps the metadata', async () => {
    const { parsed } = await roundTrip(sampleTensors(), { source: 'cctt_bare.pth' });
    expect(parsed.metadata).toEqual({ source: 'cctt_bare.pth' });
  });

  it('aligns the data section to 8 bytes', async () => {
    const { blob } = await roundTrip(sampleTensors(), { source: 'x' });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));

    expect(headerLength % 8).toBe(0);
    expect(bytes.length).toBe(8 + headerLength + 16 + 24 + 8 + 3 + 2 + 8);
  });

  it('rejects a data type without a safetensors dtype', () => {
    const tensors: RawTensorMap = new Map([
      ['weird', { shape: [2], sourceDtype: 'float64', data: new Float64Array(2) as unknown as Float32Array }],
    ]);
    expect(() => encodeSafetensors(tensors)).toThrow('Tensor "weird" has data of type Float64Array');
  });
});
