import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { UsageHourly } from '@tally/records';
import { planInvoices } from './invoice-plan.ts';
import { PriceBook } from './price-book.ts';
import { account, at, emptyBook, entry, finalizeFirst, perUnit, usage } from './test-fixtures.ts';

const HOUR = 3_600_000;
const ZONES = ['UTC', 'America/New_York', 'Asia/Tokyo', 'Asia/Kolkata', 'Pacific/Kiritimati', 'Pacific/Pago_Pago'];
const CURRENCIES = ['USD', 'JPY', 'KWD'];
const book = PriceBook.from(
  CURRENCIES.map((c) => entry('compute.g1.large', c, '2024-01-01T00:00:00Z', perUnit(c === 'JPY' ? '190' : '1.25'))),
);
const FROM = at('2024-12-30T00:00:00Z');
const SPAN = 24 * 130; // hours: into May 2025

/** One step of an account's life: new settings, then usage (some of it late), then one month finalized. */
const step = fc.record({
  timeZone: fc.constantFrom(...ZONES),
  currency: fc.constantFrom(...CURRENCIES),
  hours: fc.uniqueArray(fc.integer({ min: 0, max: SPAN - 1 }), { maxLength: 30 }),
});

describe('planInvoices across time zone and currency changes', () => {
  it('bills every hour exactly once, each in the currency of the month that billed it', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 6 }), (steps) => {
        const finalized = emptyBook();
        const records = new Map<number, UsageHourly>();
        let a = account({ timeZone: 'UTC', currency: 'USD' });
        const plan = () =>
          planInvoices({
            account: a,
            finalized: finalized.regular,
            adjustmentInvoices: finalized.adjustment,
            billedEntries: finalized.billedEntries,
            usage: records.values(),
            prices: book,
            adjustmentMonths: 12,
          });
        for (const s of steps) {
          a = { ...a, timeZone: s.timeZone, currency: s.currency };
          for (const h of s.hours) {
            const hourStart = FROM + h * HOUR;
            records.set(hourStart, usage({ instanceType: 'g1.large', hourStart }));
          }
          const plans = plan();
          for (const p of plans) if (p.invoice === undefined) throw p.problem;
          finalizeFirst(finalized, plans);
        }
        const invoices = [...finalized.regular, ...finalized.adjustment];
        const end = Math.max(...finalized.regular.map((i) => i.periodEnd), FROM);
        const due = [...records.keys()].filter((h) => h < end).length;
        let billed = 0;
        for (const invoice of invoices) {
          for (const l of invoice.lines) {
            if (l.quantity === null) continue;
            billed += Number(l.quantity);
            expect(l.priceEntryKey!.split('|')[1]).toBe(invoice.currency);
          }
        }
        expect(billed).toBe(due);
        // Each adjusted month is adjusted in the currency its regular invoice was billed in.
        const currencyOf = new Map(finalized.regular.map((i) => [i.month, i.currency]));
        for (const invoice of invoices) {
          for (const l of invoice.lines) {
            if (l.kind === 'adjustment' && currencyOf.has(l.adjustsMonth!)) {
              expect(invoice.currency).toBe(currencyOf.get(l.adjustsMonth!));
            }
          }
        }
        // Finalized periods never overlap.
        const periods = [...finalized.regular].sort((x, y) => x.periodStart - y.periodStart);
        periods.slice(1).forEach((p, i) => expect(p.periodStart).toBeGreaterThanOrEqual(periods[i]!.periodEnd));
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
