import { describe, expect, it, vi } from 'vitest';

import { deferred, type Deferred } from '../../tests/helpers/deferred';
import type { RgbaImage } from '../model/preprocess';
import type { ClassifyResult } from '../model/session';
import { VideoFrameClock } from './frameClock';
import { FrameLoop, type LoopFrame } from './loop';
import { ManualScheduler } from './testDoubles';

/** Let pending promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

function result(index: number): ClassifyResult {
  return {
    topK: [{ index, probability: 1 }],
    probabilities: new Float32Array(10),
    logits: new Float32Array(10),
    ms: 1,
    backend: 'cpu',
  };
}

/**
 * Build a loop over a manual frame clock. Each captured image carries the serial of the frame it came
 * from in its first byte, and each classification waits until the test settles it.
 */
function harness(now = () => 0) {
  const scheduler = new ManualScheduler();
  const clock = new VideoFrameClock(scheduler);
  const inferences: Array<{ frame: number; done: Deferred<ClassifyResult> }> = [];
  const frames: LoopFrame[] = [];
  const onError = vi.fn();
  const loop = new FrameLoop({
    source: {
      frameAfter: (after) => clock.frameAfter(after),
      capture: (): RgbaImage => ({ data: new Uint8ClampedArray([clock.latestFrame, 0, 0, 255]), width: 1, height: 1 }),
    },
    classify: (image) => {
      const done = deferred<ClassifyResult>();
      inferences.push({ frame: image.data[0], done });
      return done.promise;
    },
    onFrame: (frame) => frames.push(frame),
    onError,
    now,
    yieldToBrowser: () => Promise.resolve(),
  });
  clock.start();
  return { scheduler, loop, inferences, frames, onError, classifiedFrames: () => inferences.map((entry) => entry.frame) };
}

describe('FrameLoop', () => {
  it('waits for the first frame', async () => {
    const { loop, inferences } = harness();
    loop.start();
    await settle();
    expect(inferences).toHaveLength(0);
  });

  it('runs one inference at a time', async () => {
    const { scheduler, loop, inferences } = harness();
    loop.start();
    scheduler.present();
    await settle();
    scheduler.present(5);
    await settle();
    expect(inferences).toHaveLength(1);
    expect(loop.busy).toBe(true);
  });

  it('takes the newest frame after an inference, skipping the ones between', async () => {
    const { scheduler, loop, inferences, classifiedFrames } = harness();
    loop.start();
    scheduler.present();
    await settle();
    scheduler.present(4);
    inferences[0].done.resolve(result(0));
    await settle();
    expect(classifiedFrames()).toEqual([1, 5]);
  });

  it('never classifies the same frame twice', async () => {
    const { scheduler, loop, inferences } = harness();
    loop.start();
    scheduler.present();
    await settle();
    inferences[0].done.resolve(result(0));
    await settle();
    expect(inferences).toHaveLength(1);

    scheduler.present();
    await settle();
    expect(inferences).toHaveLength(2);
  });

  it('reports each result with its count, latency and rate', async () => {
    let time = 0;
    const { scheduler, loop, inferences, frames } = harness(() => time);
    loop.start();
    for (let frame = 0; frame < 3; frame += 1) {
      scheduler.present();
      await settle();
      time += 40;
      inferences[frame].done.resolve(result(frame + 7));
      await settle();
      time += 10;
    }
    expect(frames.map((frame) => frame.count)).toEqual([1, 2, 3]);
    expect(frames.map((frame) => frame.result.topK[0].index)).toEqual([7, 8, 9]);
    expect(frames.map((frame) => frame.latencyMs)).toEqual([40, 40, 40]);
    expect(frames[0].fps).toBeNull();
    // One frame every 50 ms.
    expect(frames[2].fps).toBeCloseTo(20, 10);
  });

  it('takes no frame while paused and the newest one on resume', async () => {
    const { scheduler, loop, inferences, classifiedFrames } = harness();
    loop.start();
    scheduler.present();
    await settle();
    inferences[0].done.resolve(result(0));
    await settle();

    loop.pause();
    scheduler.present(3);
    await settle();
    expect(inferences).toHaveLength(1);

    loop.resume();
    await settle();
    expect(classifiedFrames()).toEqual([1, 4]);
  });

  it('reports an inference that finishes after pause, then waits', async () => {
    const { scheduler, loop, inferences, frames } = harness();
    loop.start();
    scheduler.present();
    await settle();
    loop.pause();
    scheduler.present();
    inferences[0].done.resolve(result(3));
    await settle();
    expect(frames).toHaveLength(1);
    expect(inferences).toHaveLength(1);
  });

  it('drops the result of an inference running at stop', async () => {
    const { scheduler, loop, inferences, frames } = harness();
    loop.start();
    scheduler.present();
    await settle();
    loop.stop();
    inferences[0].done.resolve(result(0));
    scheduler.present();
    await settle();
    expect(frames).toHaveLength(0);
    expect(inferences).toHaveLength(1);
    expect(loop.running).toBe(false);
  });

  it('stops and reports a failed inference once', async () => {
    const { scheduler, loop, inferences, onError } = harness();
    loop.start();
    scheduler.present();
    await settle();
    const failure = new Error('GPU device lost');
    inferences[0].done.reject(failure);
    await settle();
    scheduler.present();
    await settle();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError).toHaveBeenCalledWith(failure);
    expect(inferences).toHaveLength(1);
    expect(loop.running).toBe(false);
  });

  it('restarts counting after stop and start', async () => {
    const { scheduler, loop, inferences, frames } = harness();
    loop.start();
    scheduler.present();
    await settle();
    inferences[0].done.resolve(result(0));
    await settle();
    loop.stop();
    loop.start();
    scheduler.present();
    await settle();
    inferences[1].done.resolve(result(0));
    await settle();
    expect(frames.map((frame) => frame.count)).toEqual([1, 1]);
  });
});
