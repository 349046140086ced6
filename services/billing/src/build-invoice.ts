import {
  assertCurrency,
  Dec,
  decimal,
  floorToMinor,
  formatMinor,
  priceQuantity,
  toDecimalString,
  type DecimalInput,
} from '@tally/money';
import type { Account, PriceEntry, UsageHourly } from '@tally/records';
import { BillingMonthError, monthPeriod, type MonthPeriod } from './billing-month.ts';
import { INVOICE_FORMAT, type FinalizedMonth, type InvoiceDraft, type InvoiceLine } from './invoice.ts';
import { bySkuThenEffectiveFrom, monthUsageGroups, type UsageGroup } from './month-usage.ts';
import type { PriceSource } from './price-book.ts';

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
 * - Credit line: −min(spendable credit, subtotal), none when the subtotal is not positive.
 * - total = sum of rounded lines.
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

  const subtotal = [...usageLines, ...adjustmentLines].reduce((sum, l) => sum.plus(l.roundedAmount), new Dec(0));
  const available = decimal(input.creditAvailable);
  if (available.isNegative()) throw new RangeError(`credit cannot be negative: ${available.toFixed()}`);
  // Only whole minor units of credit are spent; the fraction carries, so no credit is lost or invented.
  const applied = subtotal.isPositive() ? Dec.min(floorToMinor(available, currency), subtotal) : new Dec(0);
  const creditLines: InvoiceLine[] = applied.isZero()
    ? []
    : [
        {
          kind: 'credit',
          sku: null,
          priceEntryKey: null,
          unit: null,
          adjustsMonth: null,
          quantity: null,
          amount: toDecimalString(applied.neg()),
          roundedAmount: formatMinor(applied.neg(), currency),
        },
      ];

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
    total: formatMinor(
      lines.reduce((sum, l) => sum.plus(l.roundedAmount), new Dec(0)),
      currency,
    ),
    creditRemaining: toDecimalString(available.minus(applied)),
  };
}

function adjustmentsFor(
  finalized: FinalizedMonth,
  account: Account,
  currency: string,
  prices: PriceSource,
): InvoiceLine[] {
  const period = finalized.period ?? monthPeriod(finalized.month, account.timeZone);
  const now = new Map<string, { entry: PriceEntry; quantity: Dec }>();
  const groups =
    finalized.groups ?? monthUsageGroups(finalized.usage ?? [], account.accountId, currency, period, prices);
  for (const group of groups) now.set(group.priceEntryKey, { entry: group.entry, quantity: group.quantity });
  // The baseline is what the finalized invoices billed: their quantities and, where stored, their amounts.
  const billed = new Map<string, { quantity: Dec; amount: Dec | undefined }>();
  for (const b of finalized.billed) {
    const sum = billed.get(b.priceEntryKey) ?? { quantity: new Dec(0), amount: new Dec(0) };
    billed.set(b.priceEntryKey, {
      quantity: sum.quantity.plus(decimal(b.quantity)),
      amount: sum.amount === undefined || b.amount === undefined ? undefined : sum.amount.plus(decimal(b.amount)),
    });
  }

  const rows: { sku: string; entry: PriceEntry; key: string; was: Dec; is: Dec; billedAmount: Dec | undefined }[] = [];
  for (const key of new Set([...now.keys(), ...billed.keys()])) {
    // The entry as it was when the month was finalized: a price republished under the same key later never
    // changes what a finalized month costs (README, "Adjustment policy").
    const entry = finalized.entries?.get(key) ?? now.get(key)?.entry ?? prices.byKey(key);
    const was = billed.get(key)?.quantity ?? new Dec(0);
    const is = now.get(key)?.quantity ?? new Dec(0);
    const billedAmount = billed.has(key) ? billed.get(key)!.amount : new Dec(0);
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

function line(
  kind: 'usage' | 'adjustment',
  entry: PriceEntry,
  priceEntryKey: string,
  adjustsMonth: string | null,
  quantity: Dec,
  amount: Dec,
  currency: string,
): InvoiceLine {
  return {
    kind,
    sku: entry.sku,
    priceEntryKey,
    unit: entry.unit,
    adjustsMonth,
    quantity: toDecimalString(quantity),
    amount: toDecimalString(amount),
    roundedAmount: formatMinor(amount, currency),
  };
}
