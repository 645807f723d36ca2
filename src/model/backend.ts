// TF.js backend selection: WebGPU first, then WebGL, WASM and CPU, recording why each one failed.

import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// Vite serves the WASM binaries from the app itself, so nothing is fetched from a CDN.
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlainUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
});

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** WebGPU first; WASM before the plain-JS CPU backend, which is far slower for convolutions. */
export const BACKEND_ORDER: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

export interface BackendFallback {
  backend: BackendName;
  /** Technical reason in English, shown next to the translated notice. */
  reason: string;
}

export interface BackendStatus {
  name: BackendName;
  fallbacks: BackendFallback[];
  /** True when WebGPU runs on a software adapter (isFallbackAdapter), which is slow. */
  softwareAdapter: boolean;
}

interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean };
}

interface NavigatorWithGpu {
  gpu?: { requestAdapter(): Promise<AdapterLike | null> };
}

async function probeWebGpu(): Promise<{ softwareAdapter: boolean }> {
  const gpu = (globalThis.navigator as NavigatorWithGpu | undefined)?.gpu;
  if (!gpu) {
    throw new Error('navigator.gpu is missing: this browser or context has no WebGPU');
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new Error('navigator.gpu.requestAdapter() returned null: no usable GPU adapter');
  }
  return { softwareAdapter: Boolean(adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) };
}

/** Run one small op and read it back, because some backends initialize but fail on first use. */
async function checkBackendWorks(): Promise<void> {
  const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])));
  const values = await sum.data();
  sum.dispose();
  if (values[0] !== 4 || values[1] !== 6) {
    throw new Error(`test addition returned [${Array.from(values).join(', ')}] instead of [4, 6]`);
  }
}

async function tryBackend(name: BackendName): Promise<{ softwareAdapter: boolean }> {
  const probe = name === 'webgpu' ? await probeWebGpu() : { softwareAdapter: false };
  const ok = await tf.setBackend(name);
  if (!ok) {
    throw new Error(`tf.setBackend('${name}') returned false`);
  }
  await tf.ready();
  await checkBackendWorks();
  return probe;
}

/** Backend order from a URL query such as "?backend=webgl": that backend first, then the rest. */
export function backendOrderFromQuery(search: string): BackendName[] {
  const requested = new URLSearchParams(search).get('backend');
  if (requested && (BACKEND_ORDER as string[]).includes(requested)) {
    const first = requested as BackendName;
    return [first, ...BACKEND_ORDER.filter((name) => name !== first)];
  }
  return BACKEND_ORDER;
}

/**
 * Start the first backend of `order` that works. Throws only when every one failed,
 * with each backend's reason.
 */
export async function initBackend(order: BackendName[] = BACKEND_ORDER): Promise<BackendStatus> {
  const fallbacks: BackendFallback[] = [];
  for (const name of order) {
    try {
      const { softwareAdapter } = await tryBackend(name);
      return { name, fallbacks, softwareAdapter };
    } catch (error) {
      fallbacks.push({ backend: name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  const reasons = fallbacks.map(({ backend, reason }) => `${backend}: ${reason}`).join('; ');
  throw new Error(`No TF.js backend could start (${reasons})`);
}

export function activeBackend(): BackendName {
  return tf.getBackend() as BackendName;
}
