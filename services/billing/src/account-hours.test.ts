import { describe, expect, it } from 'vitest';
import type { BillingHourly, PricingModel, UsageHourly } from '@tally/records';
import { accountHour } from './account-hour.ts';
import { computeAccountHours } from './account-hours.ts';
import { PriceBook } from './price-book.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';

const tiers = (price: string): PricingModel => ({
  kind: 'graduated',
  tiers: [
    { upTo: '3', unitPrice: '0', flatFee: '0' },
    { upTo: null, unitPrice: price, flatFee: '0.5' },
  ],
});
const book = PriceBook.from([
  entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.0104')),
  entry('compute.g1.large', 'USD', '2025-01-01T00:00:00Z', perUnit('1.25')),
  entry('compute.g1.large', 'USD', '2025-03-02T10:00:00Z', perUnit('0.99')),
  entry('egress.gb', 'USD', '2025-01-01T00:00:00Z', tiers('0.09')),
  entry('egress.gb', 'USD', '2025-03-02T14:00:00Z', tiers('0.07')),
]);
const acct = account({ timeZone: 'UTC' });
const HOUR = 3_600_000;
const first = at('2025-03-02T00:00:00Z');

function usageOf(h: number): UsageHourly[] {
  return [
    usage({ instanceId: 'i-1', hourStart: first + h * HOUR, txBytes: 700_000_000 + h }),
    usage({ instanceId: 'i-2', instanceType: 'g1.large', hourStart: first + h * HOUR, runningSeconds: 1800 }),
  ];
}

/** accountHour with every earlier hour, one hour at a time: the definition computeAccountHours must match. */
function naive(hours: number[]): BillingHourly[] {
  const done: BillingHourly[] = [];
  for (const h of hours) {
    done.push(
      accountHour({
        account: acct,
        hourStart: first + h * HOUR,
        usage: usageOf(h),
        previousHours: done,
        prices: book,
        version: 1,
      }),
    );
  }
  return done;
}

describe('computeAccountHours', () => {
  const hours = Array.from({ length: 24 }, (_, h) => h);

  it('equals accountHour over every earlier hour, across price changes and tiers', () => {
    const result = computeAccountHours({
      account: acct,
      hours: hours.map((h) => first + h * HOUR),
      stored: new Map(),
      usage: hours.flatMap(usageOf),
      prices: book,
      versionOf: () => 1,
    });
    expect(result.failed).toEqual([]);
    expect(result.values).toEqual(naive(hours));
  });

  it('builds on stored hours it does not recompute', () => {
    const all = naive(hours);
    const stored = new Map(all.filter((_, i) => i !== 5 && i !== 17).map((v) => [v.hourStart, v]));
    const result = computeAccountHours({
      account: acct,
      hours: [first + 17 * HOUR, first + 5 * HOUR],
      stored,
      usage: [...usageOf(5), ...usageOf(17)],
      prices: book,
      versionOf: () => 1,
    });
    expect(result.values).toEqual([all[5], all[17]]);
  });

  it('reports hours it cannot price', () => {
    const result = computeAccountHours({
      account: acct,
      hours: [first],
      stored: new Map(),
      usage: [usage({ hourStart: first, instanceType: 'x9.huge' })],
      prices: book,
      versionOf: () => 1,
    });
    expect(result.values).toEqual([]);
    expect(String(result.failed[0]?.error)).toMatch(/no price for compute.x9.huge/);
  });
});
