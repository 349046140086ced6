import type { Account, UsageHourly } from '@tally/records';
import { monthOf, nextMonth } from './billing-month.ts';
import { billedQuantities } from './billed-quantities.ts';
import { buildInvoice } from './build-invoice.ts';
import type { FinalizedMonth, InvoiceDraft } from './invoice.ts';
import { latestUsage } from './latest-usage.ts';
import type { PriceSource } from './price-book.ts';

/** What billing knows about one account, as stored: the input of every draft and of finalization. */
export interface AccountBillingState {
  readonly account: Account;
  /** The account's finalized invoices (any order). */
  readonly finalized: readonly InvoiceDraft[];
  /** The account's usage from `adjustmentWindowStart(...)` on (more is harmless): any versions, any order. */
  readonly usage: Iterable<UsageHourly>;
  readonly prices: PriceSource;
  /** How many months before the next invoice are re-checked for late usage (adjustment lines). */
  readonly adjustmentMonths: number;
}

/** One open (not finalized) month: its draft, or why it cannot be built yet. */
export type PlannedInvoice =
  | { readonly month: string; readonly invoice: InvoiceDraft; readonly problem?: undefined }
  | { readonly month: string; readonly invoice?: undefined; readonly problem: Error };

/**
 * The month `n` months before `month`.
 *
 * @example
 * monthsBefore('2025-02', 3); // '2024-11'
 */
export function monthsBefore(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const index = y * 12 + (m - 1) - n;
  return `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** The last finalized month of an account, or undefined. */
export function lastFinalizedMonth(finalized: readonly Pick<InvoiceDraft, 'month'>[]): string | undefined {
  return finalized.reduce<string | undefined>(
    (last, f) => (last === undefined || f.month > last ? f.month : last),
    undefined,
  );
}

/**
 * The first month whose usage can still change an invoice: `adjustmentMonths` before the month after the last
 * finalized one. Usage of earlier months is no longer read (a documented limit: metering's retention is days).
 * undefined when nothing is finalized yet: every month is open.
 */
export function adjustmentWindowStart(lastFinalized: string | undefined, adjustmentMonths: number): string | undefined {
  return lastFinalized === undefined ? undefined : monthsBefore(nextMonth(lastFinalized), adjustmentMonths);
}

/**
 * Plans the drafts of an account's open months, oldest first: a pure function of the stored state, so a draft
 * refresh, the finalizer and a rebuild from empty tables all get the same invoices (invariant 3).
 *
 * - Open months: months (in the account's time zone) with usage after the end of the last finalized invoice.
 * - The first open month is the next invoice: it carries the adjustment lines for every month inside the
 *   adjustment window before it (finalized months, and months never invoiced that got usage late), so late data is
 *   billed on the next invoice and never rewrites a finalized one (invariants 4, 7). When only adjustments are left,
 *   the month after the last finalized one is opened for them.
 * - Credit chains: the account's freeCredit for its first invoice, then each invoice's creditRemaining.
 * - A month that cannot be built (no price in force) reports the error; the months after it wait for it, since their
 *   credit depends on it.
 *
 * @example
 * planInvoices({ account, finalized: [], usage, prices, adjustmentMonths: 12 }); // [{ month: '2025-03', invoice }]
 */
export function planInvoices(state: AccountBillingState): PlannedInvoice[] {
  const { account } = state;
  const finalized = [...state.finalized].sort((a, b) => (a.month < b.month ? -1 : a.month > b.month ? 1 : 0));
  const last = finalized[finalized.length - 1];
  const openFrom = last?.periodEnd ?? Number.NEGATIVE_INFINITY;
  const windowStart = adjustmentWindowStart(last?.month, state.adjustmentMonths);

  const usage = latestUsage(state.usage).filter((u) => u.accountId === account.accountId);
  const openMonths = new Set<string>();
  const lateMonths = new Set<string>(finalized.map((f) => f.month));
  for (const u of usage) {
    const month = monthOf(u.hourStart, account.timeZone);
    if (u.hourStart >= openFrom) openMonths.add(month);
    else lateMonths.add(month);
  }

  const adjust: FinalizedMonth[] = [...lateMonths]
    .filter((month) => windowStart !== undefined && month >= windowStart && month <= (last?.month ?? month))
    .sort()
    .map((month) => ({ month, billed: billedQuantities(finalized, month), usage }));

  const months = [...openMonths].sort();
  // Only adjustments left: they go on the month after the last finalized one, if they add up to any line.
  const adjustmentOnly = months.length === 0 && last !== undefined && adjust.length > 0;
  if (adjustmentOnly) months.push(nextMonth(last.month));

  const plans: PlannedInvoice[] = [];
  let credit: string = last?.creditRemaining ?? account.freeCredit;
  let blocked: Error | undefined;
  months.forEach((month, i) => {
    if (blocked !== undefined) {
      plans.push({ month, problem: blocked });
      return;
    }
    try {
      const invoice = buildInvoice({
        account,
        month,
        prices: state.prices,
        usage,
        creditAvailable: credit,
        ...(i === 0 ? { finalizedMonths: adjust } : {}),
      });
      if (adjustmentOnly && invoice.lines.length === 0) return;
      plans.push({ month, invoice });
      credit = invoice.creditRemaining;
    } catch (error) {
      blocked = error instanceof Error ? error : new Error(String(error));
      plans.push({ month, problem: blocked });
    }
  });
  return plans;
}
