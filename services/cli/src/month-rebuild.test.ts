import { invoiceHash, planInvoices, PriceBook } from '@tally/billing';
import type { Account, PriceEntry, UsageHourly } from '@tally/records';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyMonth, type StoredInvoice, type TimedValue } from './month-rebuild.ts';

const HOUR = 3_600_000;
const MARCH = Date.UTC(2025, 2, 1);
const account: Account = {
  accountId: 'acct-1',
  name: 'a',
  email: 'a@example.com',
  plan: 'paying',
  freeCredit: '3.00',
  currency: 'USD',
  timeZone: 'UTC',
  createdAt: Date.UTC(2025, 0, 1),
  address: null,
  unsubscribed: false,
};
const prices: PriceEntry[] = [
  {
    sku: 'compute.g1.large',
    currency: 'USD',
    effectiveFrom: Date.UTC(2025, 0, 1),
    unit: 'hour',
    model: { kind: 'per_unit', unitPrice: '1.25' },
  },
  {
    sku: 'egress.gb',
    currency: 'USD',
    effectiveFrom: Date.UTC(2025, 0, 1),
    unit: 'gb',
    model: { kind: 'per_unit', unitPrice: '0.09' },
  },
];

function usage(hour: number, txBytes: number, version: number): UsageHourly {
  return {
    instanceId: 'i-1',
    accountId: account.accountId,
    instanceType: 'g1.large',
    hourStart: MARCH + hour * HOUR,
    runningSeconds: 3600,
    rxBytes: 0,
    txBytes,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds: '0',
    counted: [],
    version,
  };
}

/** Usage records with the time they reached the topic; those at or before 100 were there at finalization. */
const records = fc.array(
  fc.record({
    hour: fc.integer({ min: 0, max: 40 * 24 }), // March and into April
    txBytes: fc.integer({ min: 0, max: 5e9 }),
    version: fc.integer({ min: 1, max: 3 }),
    at: fc.integer({ min: 1, max: 200 }),
  }),
  { minLength: 1, maxLength: 40 },
);

function finalize(usageAt: readonly TimedValue<UsageHourly>[]): StoredInvoice | undefined {
  const plan = planInvoices({
    account,
    finalized: [],
    usage: usageAt.filter((u) => u.at <= 100).map((u) => u.value),
    prices: PriceBook.from(prices),
    adjustmentMonths: 3,
  }).find((p) => p.month === '2025-03');
  if (plan?.invoice === undefined) return undefined;
  return {
    accountId: account.accountId,
    month: '2025-03',
    kind: 'regular',
    number: 'INV-2025-000001',
    contentHash: invoiceHash(plan.invoice),
    total: plan.invoice.total,
    storedAt: 100,
    content: plan.invoice,
  };
}

describe('verifyMonth', () => {
  it('finds an invoice equal to its rebuild whatever reached the topics after it was finalized', () => {
    fc.assert(
      fc.property(records, (list) => {
        const usageAt = list.map((r) => ({ at: r.at, value: usage(r.hour, r.txBytes, r.version) }));
        const stored = finalize(usageAt);
        fc.pre(stored !== undefined);
        const contents = {
          accounts: [{ at: 0, value: account }],
          prices: prices.map((value) => ({ at: 0, value })),
          usage: usageAt,
        };
        const checks = verifyMonth('2025-03', contents, [stored], [], 3);
        expect(checks.map((c) => c.status)).toEqual(['equal']);

        // Any change to what was billed is found and located, even with the hash recomputed to match.
        const forged = { ...stored.content, subtotal: '999999.00' };
        const altered = verifyMonth(
          '2025-03',
          contents,
          [{ ...stored, content: forged, contentHash: invoiceHash(forged) }],
          [],
          3,
        );
        expect(altered.map((c) => c.status)).toEqual(['different']);
        expect(altered[0]!.differences.map((d) => d.what)).toContain('subtotal');
      }),
      { numRuns: 60 },
    );
  });

  it('reports an invoice the topics call for but nobody finalized, and one the account was unknown for', () => {
    const usageAt = [{ at: 1, value: usage(5, 1e9, 1) }];
    const stored = finalize(usageAt)!;
    const other: Account = { ...account, accountId: 'acct-2' };
    const contents = {
      accounts: [
        { at: 0, value: account },
        { at: 0, value: other },
      ],
      prices: prices.map((value) => ({ at: 0, value })),
      usage: [...usageAt, { at: 1, value: { ...usage(6, 0, 1), accountId: 'acct-2', instanceId: 'i-2' } }],
    };
    const checks = verifyMonth('2025-03', contents, [stored], [], 3);
    expect(checks.map((c) => [c.accountId, c.status])).toEqual([
      ['acct-1', 'equal'],
      ['acct-2', 'missing'],
    ]);
    const unknown = verifyMonth('2025-03', { ...contents, accounts: [{ at: 500, value: account }] }, [stored], [], 3);
    expect(unknown.map((c) => [c.accountId, c.status])).toEqual([['acct-1', 'unbuildable']]);
  });
});
