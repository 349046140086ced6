import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOUR_MS, usageKey } from './usage-hourly.ts';

const MAX_DATE_MS = 8.64e15;

describe('usageKey', () => {
  it('is the instance id and the ISO hour, however many hours it has formatted before (cache)', () => {
    // More distinct hours than the cache holds, each asked for repeatedly and out of order.
    const hour = fc.integer({ min: -2_000_000, max: 2_000_000 }).map((n) => n * HOUR_MS);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string(), hour), { minLength: 1, maxLength: 3_000 }), (calls) => {
        for (const [id, start] of calls) {
          expect(usageKey(id, start)).toBe(`${id}|${new Date(start).toISOString()}`);
        }
      }),
      { numRuns: 30 },
    );
  });

  it('throws for a time outside Date range, and caches nothing for it', () => {
    expect(() => usageKey('i-1', MAX_DATE_MS + HOUR_MS)).toThrow(RangeError);
    expect(() => usageKey('i-1', MAX_DATE_MS + HOUR_MS)).toThrow(RangeError);
    expect(() => usageKey('i-1', Number.NaN)).toThrow(RangeError);
    expect(usageKey('i-1', 0)).toBe('i-1|1970-01-01T00:00:00.000Z');
  });
});
