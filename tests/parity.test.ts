import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';

import { CoAtNet } from '../src/model/coatnet';
import { STAGE_NAMES } from '../src/model/config';
import { loadParityFixture, maxAbsDifference, nchwToNhwc, parityFixtureNames } from './helpers/fixtures';

// The browser tests check the same fixtures on WebGPU; this runs them on the TF.js CPU backend.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(parityFixtureNames())('CoAtNet parity with PyTorch: %s', (name) => {
  it('matches every stage output and the logits', () => {
    const fixture = loadParityFixture(name);
    const before = tf.memory().numTensors;
    const net = new CoAtNet(fixture.config, fixture.weights);
    const input = fixture.io.get('input')!;
    const [, c, h, w] = input.shape;
    const inputNHWC = tf.tensor4d(nchwToNhwc(input), [1, h, w, c]);

    const result = net.forward(inputNHWC, { stages: true });

    for (const stage of STAGE_NAMES) {
      const expected = fixture.io.get(stage)!;
      const actual = result.stages![stage];
      const [, ec, eh, ew] = expected.shape;
      expect(actual.shape, `${stage} shape`).toEqual([1, eh, ew, ec]);
      const difference = maxAbsDifference(actual.dataSync(), nchwToNhwc(expected));
      expect(difference, `${stage} max abs difference`).toBeLessThanOrEqual(1e-4);
    }
    const logitsDifference = maxAbsDifference(result.logits.dataSync(), fixture.io.get('logits')!.data as Float32Array);
    expect(logitsDifference, 'logits max abs difference').toBeLessThanOrEqual(1e-4);

    tf.dispose([inputNHWC, result.logits, ...Object.values(result.stages!)]);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
