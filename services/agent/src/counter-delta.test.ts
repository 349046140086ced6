import { describe, expect, it } from 'vitest';
import { counterDelta } from './counter-delta.ts';

const GB = 1_000_000_000n;

describe('counterDelta', () => {
  it('takes the difference of increasing readings', () => {
    expect(counterDelta(100n, 250n, { width: 64, maxPlausible: GB })).toEqual({ delta: 150n, kind: 'increase' });
    expect(counterDelta(7n, 7n, { width: 64, maxPlausible: GB })).toEqual({ delta: 0n, kind: 'increase' });
  });

  it('survives a 32-bit wrap', () => {
    expect(counterDelta(2n ** 32n - 10n, 5n, { width: 32, maxPlausible: GB })).toEqual({ delta: 15n, kind: 'wrap' });
  });

  it('survives a 64-bit wrap beyond what numbers hold exactly', () => {
    expect(counterDelta(2n ** 64n - 1n, 1n, { width: 64, maxPlausible: GB })).toEqual({ delta: 2n, kind: 'wrap' });
  });

  it('treats an implausible drop as a reset and counts the new reading', () => {
    expect(counterDelta(5_000_000n, 1_000n, { width: 64, maxPlausible: GB })).toEqual({ delta: 1000n, kind: 'reset' });
    // On a 32-bit counter too: wrapping would mean ~4 GB in the interval, more than the link carries.
    expect(counterDelta(10n, 3n, { width: 32, maxPlausible: GB })).toEqual({ delta: 3n, kind: 'reset' });
    // A reading above 2^32 cannot come from a 32-bit counter, so it cannot have wrapped at 32 bits.
    expect(counterDelta(2n ** 40n, 3n, { width: 32, maxPlausible: 2n ** 41n })).toEqual({ delta: 3n, kind: 'reset' });
  });

  it('refuses negative readings', () => {
    expect(() => counterDelta(-1n, 0n, { width: 64, maxPlausible: GB })).toThrow(RangeError);
  });
});
