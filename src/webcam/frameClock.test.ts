import { describe, expect, it } from 'vitest';

import { VideoFrameClock } from './frameClock';
import { ManualScheduler } from './testDoubles';

describe('VideoFrameClock', () => {
  it('counts presented frames', () => {
    const scheduler = new ManualScheduler();
    const clock = new VideoFrameClock(scheduler);
    clock.start();
    expect(clock.latestFrame).toBe(0);
    scheduler.present(3);
    expect(clock.latestFrame).toBe(3);
  });

  it('resolves frameAfter at once when a newer frame exists', async () => {
    const scheduler = new ManualScheduler();
    const clock = new VideoFrameClock(scheduler);
    clock.start();
    scheduler.present(4);
    await expect(clock.frameAfter(2)).resolves.toBe(4);
  });

  it('waits in frameAfter for the next frame', async () => {
    const scheduler = new ManualScheduler();
    const clock = new VideoFrameClock(scheduler);
    clock.start();
    scheduler.present(2);
    let resolved: number | null = null;
    void clock.frameAfter(2).then((serial) => {
      resolved = serial;
    });
    await Promise.resolve();
    expect(resolved).toBeNull();

    scheduler.present();
    await Promise.resolve();
    expect(resolved).toBe(3);
  });

  it('stops requesting frames on dispose', () => {
    const scheduler = new ManualScheduler();
    const clock = new VideoFrameClock(scheduler);
    clock.start();
    expect(scheduler.pending).toBe(1);
    clock.dispose();
    expect(scheduler.pending).toBe(0);
  });

  it('reads a presented-frame counter when given one', async () => {
    const scheduler = new ManualScheduler();
    let presented = 40;
    const clock = new VideoFrameClock(scheduler, () => presented);
    clock.start();
    expect(clock.latestFrame).toBe(40);

    // Frames presented while no callback could run still count.
    presented = 42;
    await expect(clock.frameAfter(40)).resolves.toBe(42);
  });

  it('waits for a callback when the counter has not advanced', async () => {
    const scheduler = new ManualScheduler();
    let presented = 7;
    const clock = new VideoFrameClock(scheduler, () => presented);
    clock.start();
    let resolved: number | null = null;
    void clock.frameAfter(7).then((serial) => {
      resolved = serial;
    });
    scheduler.present();
    await Promise.resolve();
    expect(resolved).toBeNull();

    presented = 8;
    scheduler.present();
    await Promise.resolve();
    expect(resolved).toBe(8);
  });
});
