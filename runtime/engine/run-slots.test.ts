import { describe, expect, it } from 'vitest';
import { createRunSlots, defaultRunConcurrency, deferDelayMs } from './run-slots.ts';

describe('run slots', () => {
  it('holds a run to its share while the worker is busy, lends it idle slots but never the last free one', () => {
    const slots = createRunSlots(2, 4);
    const heavy = [slots.take('heavy'), slots.take('heavy'), slots.take('heavy')];
    expect(heavy.every(Boolean)).toBe(true);
    // Three of four in use: a fourth for the same run would leave none free.
    expect(slots.take('heavy')).toBeUndefined();
    const light = slots.take('light');
    expect(light).toBeDefined();
    expect(slots.held()).toEqual(
      new Map([
        ['heavy', 3],
        ['light', 1],
      ]),
    );
    heavy[0]?.release();
    heavy[0]?.release();
    expect(slots.held().get('heavy')).toBe(2);
    // Three in use (heavy 2, light 1): heavy is at its share and the last free slot is not lent.
    expect(slots.take('heavy')).toBeUndefined();
    light?.release();
    expect(slots.held().has('light')).toBe(false);
    // Two in use: heavy may borrow one more, leaving one free.
    expect(slots.take('heavy')).toBeDefined();
    expect(slots.take('heavy')).toBeUndefined();
  });

  it('defaults to half the worker, at least one', () => {
    expect(defaultRunConcurrency(10)).toBe(5);
    expect(defaultRunConcurrency(1)).toBe(1);
  });

  it('waits 20 ms doubling to 1 s, with jitter', () => {
    expect(deferDelayMs(0, () => 0.5)).toBe(20);
    expect(deferDelayMs(3, () => 0.5)).toBe(160);
    expect(deferDelayMs(30, () => 0.5)).toBe(1_000);
    expect(deferDelayMs(0, () => 0)).toBe(15);
    expect(deferDelayMs(0, () => 1)).toBe(25);
  });
});
