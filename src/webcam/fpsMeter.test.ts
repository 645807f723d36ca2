import { describe, expect, it } from 'vitest';

import { FpsMeter } from './fpsMeter';

describe('FpsMeter', () => {
  it('returns null before two frames', () => {
    const meter = new FpsMeter(2000);
    expect(meter.rate()).toBeNull();
    expect(meter.record(100)).toBeNull();
  });

  it('averages frames in the window', () => {
    const meter = new FpsMeter(2000);
    for (const time of [0, 100, 200, 300, 400]) meter.record(time);
    expect(meter.rate()).toBeCloseTo(10, 10);
  });

  it('drops frames older than the window', () => {
    const meter = new FpsMeter(1000);
    // 2 fps for 3 s, then 20 fps: only the last second counts.
    for (let time = 0; time <= 3000; time += 500) meter.record(time);
    let rate: number | null = null;
    for (let time = 3050; time <= 4000; time += 50) rate = meter.record(time);
    expect(rate).toBeCloseTo(20, 5);
  });

  it('forgets frames on reset', () => {
    const meter = new FpsMeter(2000);
    meter.record(0);
    meter.record(100);
    meter.reset();
    expect(meter.rate()).toBeNull();
    meter.record(5000);
    expect(meter.record(5050)).toBeCloseTo(20, 10);
  });
});
