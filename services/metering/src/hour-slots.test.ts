import { describe, expect, it } from 'vitest';
import { hourStartOf, isAlignedWindow, slotOf, SLOTS_PER_HOUR } from './hour-slots.ts';

describe('hour slots', () => {
  const hour = Date.UTC(2025, 0, 1, 10);

  it('has 120 slots of 30 s per hour', () => {
    expect(SLOTS_PER_HOUR).toBe(120);
  });

  it('maps window starts to their hour and slot', () => {
    expect(hourStartOf(hour + 3_599_999)).toBe(hour);
    expect(slotOf(hour)).toBe(0);
    expect(slotOf(hour + 30_000)).toBe(1);
    expect(slotOf(hour + 3_570_000)).toBe(119);
    expect(slotOf(hour + 3_600_000)).toBe(0);
  });

  it('recognises aligned windows', () => {
    expect(isAlignedWindow(hour + 60_000)).toBe(true);
    expect(isAlignedWindow(hour + 60_001)).toBe(false);
  });
});
