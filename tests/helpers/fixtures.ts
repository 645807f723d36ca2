// Loads the PyTorch parity fixtures written by tools/make_parity_fixtures.py.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { CoAtNetConfig } from '../../src/model/config';
import { nchwToNhwc } from '../../src/model/layout';
import { parseSafetensors } from '../../src/model/safetensors';
import type { RawTensorMap } from '../../src/model/tensors';

export const PARITY_DIR = join(__dirname, '..', 'fixtures', 'parity');

export interface ParityFixture {
  name: string;
  config: CoAtNetConfig;
  weights: RawTensorMap;
  io: RawTensorMap;
}

function readArrayBuffer(path: string): ArrayBuffer {
  const bytes = readFileSync(path);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function parityFixtureNames(): string[] {
  return JSON.parse(readFileSync(join(PARITY_DIR, 'index.json'), 'utf8')) as string[];
}

export function loadParityFixture(name: string): ParityFixture {
  const meta = JSON.parse(readFileSync(join(PARITY_DIR, `${name}.json`), 'utf8')) as { config: CoAtNetConfig };
  return {
    name,
    config: meta.config,
    weights: parseSafetensors(readArrayBuffer(join(PARITY_DIR, `${name}.weights.safetensors`)), name).tensors,
    io: parseSafetensors(readArrayBuffer(join(PARITY_DIR, `${name}.io.safetensors`)), name).tensors,
  };
}

export { nchwToNhwc };

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} differs from ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i += 1) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
