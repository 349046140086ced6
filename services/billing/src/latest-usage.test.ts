import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UsageHourly } from '@tally/records';
import { canonicalJson } from './canonical-json.ts';
import { latestUsage, storedCanonicalJson, usageTieKey, wins } from './latest-usage.ts';
import { usage } from './test-fixtures.ts';

describe('latestUsage', () => {
  it('keeps the highest version per instance-hour, whatever the order', () => {
    const v1 = usage({ hourStart: 0, runningSeconds: 30, version: 1 });
    const v3 = usage({ hourStart: 0, runningSeconds: 90, version: 3 });
    const v2 = usage({ hourStart: 0, runningSeconds: 60, version: 2 });
    const other = usage({ hourStart: 3_600_000, version: 1 });
    expect(latestUsage([v1, v3, v2, other])).toEqual([v3, other]);
    expect(latestUsage([other, v2, v3, v1])).toEqual([v3, other]);
  });

  it('resolves equal versions by the tie key, without depending on order', () => {
    const a = usage({ hourStart: 0, runningSeconds: 30 });
    const b = usage({ hourStart: 0, runningSeconds: 60 });
    const winner = usageTieKey(a) > usageTieKey(b) ? a : b;
    expect(latestUsage([a, b])).toEqual([winner]);
    expect(latestUsage([b, a])).toEqual([winner]);
  });

  it('ties on what billing stores: values differing only in counted slots have one tie key', () => {
    const a = usage({ hourStart: 0 });
    const b = usage({ hourStart: 0, counted: [{ interfaceId: 'eth0', slots: [1, 2] }] });
    expect(usageTieKey(a)).toBe(usageTieKey(b));
    expect(usageTieKey(a)).toMatch(/^[0-9a-f]{64}$/);
    // In memory the whole record still decides, so the output does not depend on order either.
    expect(wins(a, b)).toBe(!wins(b, a));
  });
});

describe('storedCanonicalJson', () => {
  const json = fc.oneof(
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
    fc.array(fc.integer(), { maxLength: 3 }),
  );
  it('is the canonical JSON of the record without its counted slots, for any keys and values', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), json, { maxKeys: 8 }),
        fc.array(fc.record({ interfaceId: fc.string(), slots: fc.array(fc.nat(119)) }), { maxLength: 2 }),
        fc.boolean(),
        (extra, counted, withCounted) => {
          const record = { ...extra, ...(withCounted ? { counted } : {}) } as unknown as UsageHourly;
          const outcome = (f: () => string) => {
            try {
              return f();
            } catch (error) {
              return error instanceof TypeError ? 'TypeError' : error;
            }
          };
          const expected = outcome(() => canonicalJson(withCounted ? { ...record, counted: [] } : record));
          expect(outcome(() => storedCanonicalJson(record))).toBe(expected);
        },
      ),
      { numRuns: 100 },
    );
  }, 20_000);

  it('rejects what canonical JSON rejects', () => {
    expect(() => storedCanonicalJson(usage({ hourStart: 0, txBytes: Number.NaN }))).toThrow(TypeError);
    expect(() => storedCanonicalJson(usage({ hourStart: 0, txBytes: 2 ** 60 }))).toThrow(TypeError);
  });
});
