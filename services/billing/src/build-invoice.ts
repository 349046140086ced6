import {
  assertCurrency,
  decimal,
  displayDecimal,
  floorToMinor,
  formatMinor,
  priceQuantity,
  Rational,
  type DecimalInput,
} from '@tally/money';
import type { Account, PriceEntry, UsageHourly } from '@tally/records';
import { BillingMonthError, monthPeriod, type MonthPeriod } from './billing-month.ts';
import { INVOICE_FORMAT, type FinalizedMonth, type InvoiceDraft, type InvoiceLine } from './invoice.ts';
import { bySkuThenEffectiveFrom, monthUsageGroups, type UsageGroup } from './month-usage.ts';
import type { PriceSource } from './price-book.ts';
import { shownQuantity } from './usage-measures.ts';

export interface InvoiceInput {
  readonly account: Account;
  /** 'YYYY-MM', in the account's time zone. */
  readonly month: string;
  readonly prices: PriceSource;
  /** Usage records of the account's instances: any versions, any order, duplicates and other months allowed. */
  readonly usage: Iterable<UsageHourly>;
  /** The month's usage already grouped (monthUsageGroups / UsageGroupAccumulator); when given, `usage` is not read. */
  readonly usageGroups?: readonly UsageGroup[];
  /** The month's instants when they are not the calendar month in account.timeZone (see AccountCalendar). */
  readonly period?: Pick<MonthPeriod, 'start' | 'end'>;
  /** Credit not yet used by earlier invoices (account.freeCredit for the first invoice). */
  readonly creditAvailable: DecimalInput;
  /** Earlier, finalized months to re-check for late usage; differences become adjustment lines. */
  readonly finalizedMonths?: readonly FinalizedMonth[];
}

/**
 * Builds the invoice draft of one account for one month: a pure function of its inputs (invariant 3).
 *
 * - Usage lines: per (SKU, price entry in force at each hour), the entry's model applied to the group's
 *   month quantity; each line rounded once to the minor unit, half away from zero.
 * - Adjustment lines: for each finalized month, per (SKU, price entry), price(recomputed) − price(billed),
 *   tagged with the month they adjust. A finalized invoice is never rewritten (invariant 7).
 * - Every amount is exact (BigInt rationals: quantity × price, multiplied before dividing) until each line is
 *   rounded once; subtotal and total are exact sums of rounded lines.
 * - Credit line: −min(spendable credit, subtotal), none when the subtotal is not positive.
 * - Carry line: a negative subtotal (adjustments above usage) is brought to 0 by a `carried_forward` line of
 *   +|subtotal|, and |subtotal| is added to creditRemaining: the next invoice spends it as credit. Never lost.
 * - total = sum of rounded lines, never negative.
 *
 * @example
 * const invoice = buildInvoice({ account, month: '2025-03', prices: book, usage, creditAvailable: account.freeCredit });
 * invoice.total; // '12.34'
 * invoice.creditRemaining; // carried to '2025-04'
 */
export function buildInvoice(input: InvoiceInput): InvoiceDraft {
  const { account, month, prices } = input;
  const currency = assertCurrency(account.currency);
  const period = input.period ?? monthPeriod(month, account.timeZone);
  const groups = input.usageGroups ?? monthUsageGroups(input.usage, account.accountId, currency, period, prices);

  const usageLines: InvoiceLine[] = groups.map((group) =>
    line(
      'usage',
      group.entry,
      group.priceEntryKey,
      null,
      group.quantity,
      priceQuantity(group.entry.model, group.quantity),
      currency,
    ),
  );

  const adjustmentLines: InvoiceLine[] = [];
  const adjusted = [...(input.finalizedMonths ?? [])].sort((a, b) =>
    a.month < b.month ? -1 : a.month > b.month ? 1 : 0,
  );
  adjusted.forEach((finalized, i) => {
    if (finalized.month >= month) {
      throw new BillingMonthError(`cannot adjust ${finalized.month} on the invoice for ${month}: not an earlier month`);
    }
    if (adjusted[i + 1]?.month === finalized.month) throw new BillingMonthError(`month ${finalized.month} given twice`);
    adjustmentLines.push(...adjustmentsFor(finalized, account, currency, prices));
  });

  const subtotal = sumRounded([...usageLines, ...adjustmentLines]);
  const available = Rational.from(decimal(input.creditAvailable));
  if (available.isNegative()) throw new RangeError(`credit cannot be negative: ${available.toString()}`);
  // Only whole minor units of credit are spent; the fraction carries, so no credit is lost or invented.
  const applied = subtotal.isPositive()
    ? Rational.min(Rational.from(floorToMinor(available, currency)), subtotal)
    : Rational.ZERO;
  // A negative month is not refunded and not lost: it becomes account credit for the next invoice (README).
  const carried = subtotal.isNegative() ? subtotal.neg() : Rational.ZERO;
  const creditLines: InvoiceLine[] = [];
  if (!applied.isZero()) creditLines.push(moneyLine('credit', applied.neg(), currency));
  if (!carried.isZero()) creditLines.push(moneyLine('carried_forward', carried, currency));

  const lines = [...usageLines, ...adjustmentLines, ...creditLines];
  return {
    format: INVOICE_FORMAT,
    accountId: account.accountId,
    month,
    timeZone: account.timeZone,
    currency,
    periodStart: period.start,
    periodEnd: period.end,
    lines,
    subtotal: formatMinor(subtotal, currency),
    creditApplied: formatMinor(applied, currency),
    total: formatMinor(sumRounded(lines), currency),
    creditRemaining: available.minus(applied).plus(carried).toString(),
  };
}

function adjustmentsFor(
  finalized: FinalizedMonth,
  account: Account,
  currency: string,
  prices: PriceSource,
): InvoiceLine[] {
  const period = finalized.period ?? monthPeriod(finalized.month, account.timeZone);
  const now = new Map<string, { entry: PriceEntry; quantity: Rational }>();
  const groups =
    finalized.groups ?? monthUsageGroups(finalized.usage ?? [], account.accountId, currency, period, prices);
  for (const group of groups) now.set(group.priceEntryKey, { entry: group.entry, quantity: group.quantity });
  // The baseline is what the finalized invoices billed: their quantities and, where stored, their amounts.
  // Quantities are read back exactly (whole seconds or bytes); shown amounts are display digits, so where the
  // entry the month was billed with is known, the billed amount is that entry's exact price of the billed quantity
  // (the same number: a month's usage and adjustment amounts telescope to it).
  const billed = new Map<string, { quantity: Rational; amount: Rational | undefined }>();
  for (const b of finalized.billed) {
    const entry = finalized.entries?.get(b.priceEntryKey) ?? now.get(b.priceEntryKey)?.entry;
    const unit = entry?.unit ?? prices.byKey(b.priceEntryKey).unit;
    const sum = billed.get(b.priceEntryKey) ?? { quantity: Rational.ZERO, amount: Rational.ZERO };
    billed.set(b.priceEntryKey, {
      quantity: sum.quantity.plus(shownQuantity(b.quantity, unit)),
      amount: sum.amount === undefined || b.amount === undefined ? undefined : sum.amount.plus(b.amount),
    });
  }

  const rows: {
    sku: string;
    entry: PriceEntry;
    key: string;
    was: Rational;
    is: Rational;
    billedAmount: Rational | undefined;
  }[] = [];
  for (const key of new Set([...now.keys(), ...billed.keys()])) {
    // The entry as it was when the month was finalized: a price republished under the same key later never
    // changes what a finalized month costs (README, "Adjustment policy").
    const stored = finalized.entries?.get(key);
    const entry = stored ?? now.get(key)?.entry ?? prices.byKey(key);
    const was = billed.get(key)?.quantity ?? Rational.ZERO;
    const is = now.get(key)?.quantity ?? Rational.ZERO;
    const billedAmount = billedBaseline(stored, was, billed.has(key) ? billed.get(key)!.amount : Rational.ZERO);
    if (!was.eq(is)) rows.push({ sku: entry.sku, entry, key, was, is, billedAmount });
  }
  return rows
    .sort(bySkuThenEffectiveFrom)
    .map((r) =>
      line(
        'adjustment',
        r.entry,
        r.key,
        finalized.month,
        r.is.minus(r.was),
        priceQuantity(r.entry.model, r.is).minus(r.billedAmount ?? priceQuantity(r.entry.model, r.was)),
        currency,
      ),
    );
}

// Shown amounts carry 40 significant digits; a stored sum within this fraction of the entry's exact price is that
// price, shown rounded.
const SHOWN_TOLERANCE = Rational.fraction(1n, 10n ** 30n);

/**
 * What a finalized month billed for one price entry, exactly. The stored amounts are the record, but a
 * non-terminating amount is stored shown to 40 digits; when the entry it was billed with prices the billed quantity
 * to within those digits, that exact price is the billed amount (a month's amounts telescope to it). A stored sum the
 * entry does not explain (billed under an older rule) is taken as stored.
 */
function billedBaseline(
  stored: PriceEntry | undefined,
  was: Rational,
  amount: Rational | undefined,
): Rational | undefined {
  if (stored === undefined) return amount;
  const exact = priceQuantity(stored.model, was);
  if (amount === undefined) return exact;
  const scale = Rational.max(Rational.ONE, Rational.max(exact.abs(), amount.abs()));
  return exact.minus(amount).abs().lte(scale.times(SHOWN_TOLERANCE)) ? exact : amount;
}

/** Sum of rounded amounts, exact. */
function sumRounded(lines: readonly InvoiceLine[]): Rational {
  return lines.reduce((sum, l) => sum.plus(l.roundedAmount), Rational.ZERO);
}

/** A line without SKU or quantity (credit applied, balance carried forward): its amount is whole minor units. */
function moneyLine(kind: 'credit' | 'carried_forward', amount: Rational, currency: string): InvoiceLine {
  return {
    kind,
    sku: null,
    priceEntryKey: null,
    unit: null,
    adjustsMonth: null,
    quantity: null,
    amount: displayDecimal(amount),
    roundedAmount: formatMinor(amount, currency),
  };
}

/**
 * A usage or adjustment line. `amount` is exact; it is rounded here, once, half away from zero (invariant 5), and
 * shown with displayDecimal (in full when it terminates, else to 40 significant digits: display only).
 */
function line(
  kind: 'usage' | 'adjustment',
  entry: PriceEntry,
  priceEntryKey: string,
  adjustsMonth: string | null,
  quantity: Rational,
  amount: Rational,
  currency: string,
): InvoiceLine {
  return {
    kind,
    sku: entry.sku,
    priceEntryKey,
    unit: entry.unit,
    adjustsMonth,
    quantity: displayDecimal(quantity),
    amount: displayDecimal(amount),
    roundedAmount: formatMinor(amount, currency),
  };
}
