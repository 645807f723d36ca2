// window.__webcamStats: a test hook that end-to-end tests and the benchmark read. It is not an
// API for the app. The loop updates it after every classified frame and when the camera starts
// or stops.

import * as tf from '@tensorflow/tfjs-core';

import { liveTrackCount } from './camera';

export interface WebcamStats {
  /** Frames classified since the camera started. */
  frames: number;
  /** tf.memory().numTensors and numBytes after the frame's tensors were disposed. */
  tensors: number;
  bytes: number;
  /** Camera tracks this app opened that are still live; 0 once the camera is released. */
  liveTracks: number;
}

declare global {
  interface Window {
    __webcamStats?: WebcamStats;
  }
}

export function publishWebcamStats(frames: number): WebcamStats {
  const memory = tf.memory();
  const stats = { frames, tensors: memory.numTensors, bytes: memory.numBytes, liveTracks: liveTrackCount() };
  if (typeof window !== 'undefined') window.__webcamStats = stats;
  return stats;
}
