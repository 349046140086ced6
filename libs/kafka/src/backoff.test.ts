import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, retryBudgetExceeded } from './backoff.ts';

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt up to the maximum', () => {
    const top = () => 0.999999;
    const options = { initialMs: 100, maxMs: 1000 };
    expect([1, 2, 3, 4, 5, 10].map((attempt) => backoffDelay(attempt, options, top))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('stays within [0, maxMs] for any attempt and jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, r) => {
          const delay = backoffDelay(attempt, { initialMs: 50, maxMs: 5000 }, () => r);
          return delay >= 0 && delay <= 5000;
        },
      ),
    );
  });
});

describe('retryBudgetExceeded', () => {
  it('is exceeded by either the attempts or the time', () => {
    const budget = { attempts: 8, ms: 60_000 };
    expect(retryBudgetExceeded(3, 1_000, budget)).toBe(false);
    expect(retryBudgetExceeded(8, 1_000, budget)).toBe(true);
    expect(retryBudgetExceeded(1, 60_000, budget)).toBe(true);
  });
});
