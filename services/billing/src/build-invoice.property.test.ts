import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Account, PriceEntry, PricingModel, PriceTier, UsageHourly } from '@tally/records';
import { buildInvoice } from './build-invoice.ts';
import { monthPeriod } from './billing-month.ts';
import { invoiceHash } from './invoice-hash.ts';
import type { BilledQuantity } from './invoice.ts';
import { oracleInvoice } from './invoice-oracle.ts';
import { PriceBook } from './price-book.ts';
import { priceEntryKey } from './price-entry-key.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SKUS = ['compute.a', 'compute.b', 'egress.gb', 'ingress.gb'] as const;

const decimalText = (maxUnits: number, scale: number) =>
  fc.integer({ min: 0, max: maxUnits * 10 ** scale }).map((n) => (n / 10 ** scale).toFixed(scale));

const tiers: fc.Arbitrary<PriceTier[]> = fc
  .tuple(
    // Tenths up to 500, or small whole numbers that month quantities hit exactly (tier boundaries are inclusive).
    fc.uniqueArray(
      fc.oneof(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 8 }).map((n) => n * 10),
      ),
      {
        minLength: 0,
        maxLength: 3,
      },
    ),
    fc.array(fc.tuple(decimalText(2, 4), fc.oneof(fc.constant('0'), decimalText(5, 2))), {
      minLength: 4,
      maxLength: 4,
    }),
  )
  .map(([bounds, prices]) => {
    const sorted = [...bounds].sort((a, b) => a - b).map((b) => (b / 10).toString());
    return [...sorted, null].map((upTo, i) => ({
      upTo,
      unitPrice: prices[i]![0],
      flatFee: prices[i]![1],
    }));
  });

const model: fc.Arbitrary<PricingModel> = fc.oneof(
  decimalText(3, 5).map((unitPrice) => ({ kind: 'per_unit' as const, unitPrice })),
  tiers.map((t) => ({ kind: 'graduated' as const, tiers: t })),
  tiers.map((t) => ({ kind: 'volume' as const, tiers: t })),
  fc
    .tuple(fc.integer({ min: 1, max: 2000 }), decimalText(10, 3))
    .map(([size, packagePrice]) => ({ kind: 'package' as const, packageSize: (size / 4).toString(), packagePrice })),
);

interface Scenario {
  account: Account;
  month: string;
  previousMonth: string;
  entries: PriceEntry[];
  usage: UsageHourly[];
  previousUsage: UsageHourly[];
  billedSeeds: { entryIndex: number; quantity: string }[];
  adjust: boolean;
}

const MONTHS: [string, string][] = [
  ['2025-03', '2025-02'], // DST starts in Europe (30 Mar) and the US (9 Mar)
  ['2024-03', '2024-02'], // leap February before it
  ['2025-11', '2025-10'], // DST ends
  ['2026-01', '2025-12'], // year boundary
];
const ZONES = ['UTC', 'Europe/Zurich', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham', 'Australia/Lord_Howe'];

function usageIn(accountId: string, start: number, end: number): fc.Arbitrary<UsageHourly[]> {
  const first = Math.floor(start / HOUR) - 30;
  const last = Math.floor(end / HOUR) + 30;
  const record = fc.record({
    instanceId: fc.constantFrom('i-1', 'i-2', 'i-3'),
    accountId: fc.constantFrom(accountId, accountId, accountId, 'someone-else'),
    instanceType: fc.constantFrom('a', 'b'),
    hour: fc.oneof(
      fc.integer({ min: first, max: last }),
      // Crowd the month boundaries, where time zones matter.
      fc.integer({ min: Math.floor(start / HOUR) - 3, max: Math.floor(start / HOUR) + 3 }),
      fc.integer({ min: Math.floor(end / HOUR) - 3, max: Math.floor(end / HOUR) + 3 }),
    ),
    slots: fc.oneof(fc.constant(120), fc.integer({ min: 0, max: 120 })),
    txBytes: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 300_000_000_000 }),
      fc.integer({ min: 0, max: 8 }).map((gb) => gb * 1_000_000_000),
    ),
    rxBytes: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000_000_000_000 })),
    version: fc.integer({ min: 0, max: 4 }),
  });
  return fc
    .uniqueArray(record, { maxLength: 40, selector: (r) => `${r.instanceId}|${r.hour}|${r.version}` })
    .chain((records) => {
      const full: UsageHourly[] = records.map((r) => ({
        instanceId: r.instanceId,
        accountId: r.accountId,
        instanceType: r.instanceType,
        hourStart: r.hour * HOUR,
        runningSeconds: r.slots * 30,
        rxBytes: r.rxBytes,
        txBytes: r.txBytes,
        rxPackets: 0,
        txPackets: 0,
        cpuSeconds: '0',
        counted: [],
        version: r.version,
      }));
      // Resends: exact duplicates, anywhere in the stream.
      return fc
        .subarray(full)
        .chain((dups) => fc.shuffledSubarray([...full, ...dups], { minLength: full.length + dups.length }));
    });
}

const scenario: fc.Arbitrary<Scenario> = fc
  .record({
    months: fc.constantFrom(...MONTHS),
    timeZone: fc.constantFrom(...ZONES),
    currency: fc.constantFrom('USD', 'JPY', 'KWD'),
    credit: fc.oneof(fc.constant('0'), decimalText(40, 4), decimalText(100000, 0)),
    adjust: fc.boolean(),
    priceIngress: fc.boolean(),
  })
  .chain(({ months: [month, previousMonth], timeZone, currency, credit, adjust, priceIngress }) => {
    const period = monthPeriod(month, timeZone);
    const previous = monthPeriod(previousMonth, timeZone);
    const account: Account = {
      accountId: 'acct-1',
      name: 'Acme',
      email: 'billing@acme.example',
      plan: 'paying',
      freeCredit: credit,
      currency,
      timeZone,
      createdAt: 0,
      address: null,
      unsubscribed: false,
    };
    const base = SKUS.filter((sku) => sku !== 'ingress.gb' || priceIngress).map((sku) =>
      model.map((m): PriceEntry => ({
        sku,
        currency,
        effectiveFrom: period.start - 40 * DAY,
        unit: sku.startsWith('compute.') ? 'hour' : 'gb',
        model: m,
      })),
    );
    const changes = fc.array(
      fc.record({
        sku: fc.constantFrom(...SKUS),
        currency: fc.constantFrom(currency, currency, 'EUR'),
        // Mid-month changes, some exactly on an hour (and on the month start), some not.
        effectiveFrom: fc.oneof(
          fc.integer({ min: previous.start, max: period.end + 2 * DAY }),
          fc
            .integer({ min: Math.floor(previous.start / HOUR), max: Math.floor(period.end / HOUR) })
            .map((h) => h * HOUR),
          fc.constant(period.start),
        ),
        model,
      }),
      { maxLength: 8 },
    );
    return fc.record({
      account: fc.constant(account),
      month: fc.constant(month),
      previousMonth: fc.constant(previousMonth),
      base: fc.tuple(...base),
      changes,
      usage: usageIn(account.accountId, period.start, period.end),
      previousUsage: usageIn(account.accountId, previous.start, previous.end),
      billedSeeds: fc.array(fc.record({ entryIndex: fc.nat(), quantity: decimalText(500, 3) }), { maxLength: 4 }),
      adjust: fc.constant(adjust),
    });
  })
  .map(({ base, changes, ...rest }) => ({
    ...rest,
    entries: [
      ...base,
      ...changes.map((c): PriceEntry => ({ ...c, unit: c.sku.startsWith('compute.') ? 'hour' : 'gb' })),
    ],
  }));

describe('buildInvoice against the oracle', () => {
  it('equals the independently computed invoice, byte for byte', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const book = PriceBook.from(s.entries);
        const inBook = book.entries().filter((e) => e.currency === s.account.currency);
        const billed: BilledQuantity[] = s.billedSeeds.map((b) => {
          const entry = inBook[b.entryIndex % inBook.length]!;
          return { sku: entry.sku, priceEntryKey: priceEntryKey(entry), quantity: b.quantity };
        });
        const finalizedMonths = s.adjust ? [{ month: s.previousMonth, billed, usage: s.previousUsage }] : [];
        const actual = buildInvoice({
          account: s.account,
          month: s.month,
          prices: book,
          usage: s.usage,
          creditAvailable: s.account.freeCredit,
          finalizedMonths,
        });
        const expected = oracleInvoice({
          account: s.account,
          month: s.month,
          priceEntries: s.entries,
          usage: s.usage,
          creditAvailable: s.account.freeCredit,
          finalizedMonths,
        });
        expect(actual).toEqual(expected);
        expect(invoiceHash(actual)).toBe(invoiceHash(expected));
      }),
      { numRuns: 500 },
    );
    // 500 exact invoices and their oracle twins: seconds on a quiet machine, more on a shared one.
  }, 60_000);

  it('does not depend on the order usage arrives in', () => {
    const withPermutation = scenario.chain((s) =>
      fc.tuple(fc.constant(s), fc.shuffledSubarray(s.usage, { minLength: s.usage.length })),
    );
    fc.assert(
      fc.property(withPermutation, ([s, permuted]) => {
        const input = { account: s.account, month: s.month, prices: PriceBook.from(s.entries), creditAvailable: '0' };
        expect(invoiceHash(buildInvoice({ ...input, usage: permuted }))).toBe(
          invoiceHash(buildInvoice({ ...input, usage: s.usage })),
        );
      }),
      { numRuns: 100 },
    );
  });
});
