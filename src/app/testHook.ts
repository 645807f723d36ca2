// A hook for the browser tests, installed only by the Vite dev server: run the current model on
// an input whose preprocessing the test controls, and count TF.js tensors.

import * as tf from '@tensorflow/tfjs-core';

import { useAppStore } from './store';

export interface CoatnetTestHook {
  /** Logits of the current model for one NHWC input [1, H, W, C], flattened. */
  runLogits(inputNHWC: number[]): Promise<{ logits: number[]; backend: string; modelName: string }>;
  /**
   * tf.memory().numTensors: weights of the current model, the tensors of a classification in
   * progress (see waitForIdle) and anything leaked.
   */
  numTensors(): number;
  /** Resolve once no classification of the current image is in progress. */
  waitForIdle(): Promise<void>;
  /** Name on the current model's card, or null while no model is ready. */
  modelName(): string | null;
}

declare global {
  interface Window {
    __coatnetTest?: CoatnetTestHook;
  }
}

function waitForIdle(): Promise<void> {
  return new Promise((resolve) => {
    if (!useAppStore.getState().classifying) {
      resolve();
      return;
    }
    const unsubscribe = useAppStore.subscribe((state) => {
      if (state.classifying) return;
      unsubscribe();
      resolve();
    });
  });
}

async function runLogits(inputNHWC: number[]): Promise<{ logits: number[]; backend: string; modelName: string }> {
  const { model } = useAppStore.getState();
  if (model.status !== 'ready') throw new Error(`The model is ${model.status}; wait until it is ready`);
  const result = await model.model.classifyInput(Float32Array.from(inputNHWC), 1);
  return { logits: Array.from(result.logits), backend: result.backend, modelName: model.model.card.name };
}

/** Install window.__coatnetTest when the Vite dev server serves the app; production builds do not install it. */
export function installTestHook(): void {
  if (!import.meta.env.DEV) return;
  window.__coatnetTest = {
    runLogits,
    numTensors: () => tf.memory().numTensors,
    waitForIdle,
    modelName: () => {
      const { model } = useAppStore.getState();
      return model.status === 'ready' ? model.model.card.name : null;
    },
  };
}
