import { describe, expect, it } from 'vitest';
import { billedQuantities } from './billed-quantities.ts';
import { buildInvoice } from './build-invoice.ts';
import { invoiceStatus } from './invoice-status.ts';
import { planInvoices } from './invoice-plan.ts';
import { PriceBook } from './price-book.ts';
import { priceEntryKey } from './price-entry-key.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';

// Invariant 5 on whole invoices: exact line amounts, one rounding, ISO minor units, negative months carried forward.

const hours = (iso: string, seconds: number[], instanceType = 's1.small') =>
  seconds.map((runningSeconds, i) =>
    usage({ instanceType, hourStart: at(iso) + i * 3_600_000, runningSeconds, version: 1 }),
  );

const invoiceFor = (currency: string, unitPrice: string, seconds: number[], timeZone = 'UTC') =>
  buildInvoice({
    account: account({ currency, timeZone }),
    month: '2025-03',
    prices: PriceBook.from([entry('compute.s1.small', currency, '2025-01-01T00:00:00Z', perUnit(unitPrice))]),
    usage: hours('2025-03-02T00:00:00Z', seconds),
    creditAvailable: '0',
  });

describe('exact line amounts', () => {
  it('bills 6600 s at USD 0.03 per hour, exactly 0.055, as 0.06 (half away from zero)', () => {
    const invoice = invoiceFor('USD', '0.03', [3600, 3000]);
    expect(invoice.lines.map((l) => [l.quantity, l.amount, l.roundedAmount])).toEqual([
      ['1.833333333333333333333333333333333333333', '0.055', '0.06'],
    ]);
    expect(invoice.total).toBe('0.06');
  });

  it('finds exact halves in 3- and 0-decimal currencies too (a 40-digit third would round each of them down)', () => {
    // 4800 s = 4/3 h at KWD 0.003375 = 0.0045 exactly → 0.005.
    expect(invoiceFor('KWD', '0.003375', [3600, 1200]).lines[0]!.roundedAmount).toBe('0.005');
    // 1200 s = 1/3 h at TND 0.0015 = 0.0005 exactly → 0.001.
    expect(invoiceFor('TND', '0.0015', [1200]).lines[0]!.roundedAmount).toBe('0.001');
    // 1/3 h at JPY 1.5 = 0.5 exactly → 1.
    expect(invoiceFor('JPY', '1.5', [1200]).lines[0]!.roundedAmount).toBe('1');
  });

  it('rounds with ISO 4217 minor units, not ICU: HUF 2 and IQD 3 decimals', () => {
    expect(invoiceFor('HUF', '0.03', [3600, 3000]).lines[0]!.roundedAmount).toBe('0.06');
    expect(invoiceFor('IQD', '0.0015', [1200]).lines[0]!.roundedAmount).toBe('0.001');
    expect(invoiceFor('IQD', '0.0015', [1200]).total).toBe('0.001');
  });

  it('refuses a currency outside the pinned table with a clear error', () => {
    expect(() => invoiceFor('XAU', '1', [3600])).toThrowError(/XAU has no minor unit in ISO 4217/);
  });
});

describe('exact adjustments', () => {
  it('compares with the exact billed amount even where the stored one is shown rounded up', () => {
    const price = entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.03'));
    const prices = PriceBook.from([price]);
    const acct = account({ timeZone: 'UTC' });
    const billedHour = usage({ hourStart: at('2025-02-03T00:00:00Z'), runningSeconds: 200 });
    const february = buildInvoice({
      account: acct,
      month: '2025-02',
      prices,
      usage: [billedHour],
      creditAvailable: '0',
    });
    const billed = billedQuantities([february], '2025-02');
    // 200 s at 0.03/h is 1/600, shown rounded up: subtracting the shown digits would leave 0.055 − 10^-42.
    expect(billed.map((b) => b.amount)).toEqual(['0.001666666666666666666666666666666666666667']);
    const late = [
      billedHour,
      usage({ hourStart: at('2025-02-04T00:00:00Z'), runningSeconds: 3600 }),
      usage({ hourStart: at('2025-02-05T00:00:00Z'), runningSeconds: 3000 }),
    ];
    const march = buildInvoice({
      account: acct,
      month: '2025-03',
      prices,
      usage: [],
      creditAvailable: '0',
      finalizedMonths: [{ month: '2025-02', billed, usage: late, entries: new Map([[priceEntryKey(price), price]]) }],
    });
    // 6600 s more at 0.03/h: exactly 0.055, so 0.06.
    expect(march.lines.map((l) => [l.kind, l.quantity, l.amount, l.roundedAmount])).toEqual([
      ['adjustment', '1.833333333333333333333333333333333333333', '0.055', '0.06'],
    ]);
  });
});

describe('negative month totals', () => {
  const prices = PriceBook.from([entry('compute.g1.large', 'USD', '2025-01-01T00:00:00Z', perUnit('1.25'))]);
  const acct = account({ timeZone: 'UTC', freeCredit: '0' });
  const g1 = (iso: string, seconds = 3600, version = 1) =>
    usage({ instanceType: 'g1.large', hourStart: at(iso), runningSeconds: seconds, version });
  // February billed 10 hours (12.50); afterwards metering corrects all of them to 0 (version 2).
  const februaryUsage = Array.from({ length: 10 }, (_, h) => g1(`2025-02-03T0${h}:00:00Z`));
  const corrected = februaryUsage.map((u) => ({ ...u, runningSeconds: 0, version: 2 }));
  const february = planInvoices({
    account: acct,
    finalized: [],
    usage: februaryUsage,
    prices,
    adjustmentMonths: 3,
  })[0]!.invoice!;

  it('brings a negative month to 0 with a carried_forward line and keeps the amount as credit', () => {
    const march = planInvoices({
      account: acct,
      finalized: [february],
      usage: [...corrected, g1('2025-03-02T00:00:00Z')],
      prices,
      adjustmentMonths: 3,
    })[0]!.invoice!;
    expect(march.lines.map((l) => [l.kind, l.adjustsMonth, l.roundedAmount])).toEqual([
      ['usage', null, '1.25'],
      ['adjustment', '2025-02', '-12.50'],
      ['carried_forward', null, '11.25'],
    ]);
    expect([march.subtotal, march.creditApplied, march.total, march.creditRemaining]).toEqual([
      '-11.25',
      '0.00',
      '0.00',
      '11.25',
    ]);
    // Nothing to pay, nothing refunded: the invoice is settled on finalization.
    expect(invoiceStatus({ ...march, number: 'INV-1', finalizedAt: 0 }, [], 0, 1)).toBe('paid');
  });

  it('spends the carried credit on the next invoices, a pure function of the finalized ones', () => {
    const usageNow = [
      ...corrected,
      g1('2025-03-02T00:00:00Z'),
      ...Array.from({ length: 5 }, (_, h) => g1(`2025-04-0${h + 1}T00:00:00Z`)),
    ];
    const planned = planInvoices({
      account: acct,
      finalized: [february],
      usage: usageNow,
      prices,
      adjustmentMonths: 3,
    });
    const march = planned[0]!.invoice!;
    const april = planned[1]!.invoice!;
    expect(april.lines.map((l) => [l.kind, l.roundedAmount])).toEqual([
      ['usage', '6.25'],
      ['credit', '-6.25'],
    ]);
    expect(april.creditRemaining).toBe('5');
    // Once March is finalized, April is planned from it alone, and comes out the same, to the byte.
    const again = planInvoices({
      account: acct,
      finalized: [february, march],
      usage: usageNow,
      prices,
      adjustmentMonths: 3,
    });
    expect(again.map((p) => p.invoice)).toEqual([april]);
  });
});
