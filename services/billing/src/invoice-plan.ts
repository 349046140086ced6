import type { Account, PriceEntry, UsageHourly } from '@tally/records';
import { AccountCalendar, type MonthSettings } from './account-calendar.ts';
import { nextMonth } from './billing-month.ts';
import { billedQuantities } from './billed-quantities.ts';
import { buildInvoice } from './build-invoice.ts';
import type { FinalizedMonth, InvoiceDraft } from './invoice.ts';
import { latestUsage } from './latest-usage.ts';
import { UsageGroupAccumulator, type UsageGroup } from './month-usage.ts';
import type { PriceSource } from './price-book.ts';

/** A regular invoice bills its month; an adjustment invoice carries adjustments in a currency the account left. */
export type InvoiceKind = 'regular' | 'adjustment';

/** What billing knows about one account, as stored, apart from usage: the frame of every draft and finalization. */
export interface AccountPlanInput {
  readonly account: Account;
  /** The account's finalized regular invoices (any order): they close their months. */
  readonly finalized: readonly InvoiceDraft[];
  /** The account's finalized adjustment invoices (other currencies; any order). */
  readonly adjustmentInvoices?: readonly InvoiceDraft[];
  /** Per closed month, the price entries it was billed with, by priceEntryKey (stored at finalization). */
  readonly billedEntries?: ReadonlyMap<string, ReadonlyMap<string, PriceEntry>>;
  readonly prices: PriceSource;
  /** How many months before the next invoice are re-checked for late usage (adjustment lines). */
  readonly adjustmentMonths: number;
}

/** AccountPlanInput with the usage itself: the pure form, for tests and small accounts. */
export interface AccountBillingState extends AccountPlanInput {
  /** The account's usage from `adjustmentWindowStart(...)` on (more is harmless): any versions, any order. */
  readonly usage: Iterable<UsageHourly>;
}

/** One invoice to draft (or finalize), or why it cannot be built yet. */
export type PlannedInvoice =
  | {
      readonly month: string;
      readonly kind: InvoiceKind;
      readonly currency: string;
      readonly invoice: InvoiceDraft;
      /** The price entries of its lines, per month billed (adjustsMonth for adjustments), by priceEntryKey. */
      readonly entries: ReadonlyMap<string, ReadonlyMap<string, PriceEntry>>;
      readonly problem?: undefined;
    }
  | {
      readonly month: string;
      readonly kind: InvoiceKind;
      readonly currency: string;
      readonly invoice?: undefined;
      readonly problem: Error;
    };

/** A month's usage groups, or why they cannot be formed (a SKU without a price). */
export type MonthGroups = readonly UsageGroup[] | Error;

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

/** The account's months as its finalized regular invoices closed them (see AccountCalendar). */
export function accountCalendar(input: Pick<AccountPlanInput, 'account' | 'finalized'>): AccountCalendar {
  return new AccountCalendar(
    input.finalized.map((f) => ({
      month: f.month,
      timeZone: f.timeZone,
      currency: f.currency,
      periodStart: f.periodStart,
      periodEnd: f.periodEnd,
    })),
    input.account,
  );
}

/**
 * The months whose usage the plan needs, oldest first: the closed months inside the adjustment window (finalized
 * ones, and never-invoiced ones that got usage late) and the open months (with usage after the last closed one).
 * `usageHours` are the hours the account has usage in (from the window start on; more is harmless). `calendar`:
 * accountCalendar(input), passed by a caller that has it already.
 *
 * @example
 * monthsToBuild(input, [Date.parse('2025-03-02T00:00:00Z')]).map((m) => m.month); // ['2025-03']
 */
export function monthsToBuild(
  input: AccountPlanInput,
  usageHours: Iterable<number>,
  calendar: AccountCalendar = accountCalendar(input),
): MonthSettings[] {
  const last = calendar.lastClosed;
  const windowStart = adjustmentWindowStart(last?.month, input.adjustmentMonths);
  const months = new Set<string>(input.finalized.map((f) => f.month));
  const seen = new Set<number>();
  for (const hour of usageHours) {
    if (seen.has(hour)) continue;
    seen.add(hour);
    months.add(calendar.monthOf(hour));
  }
  return [...months]
    .filter((month) => windowStart === undefined || month >= windowStart)
    .sort()
    .map((month) => calendar.settings(month));
}

/**
 * Plans the invoices of an account's open months from their usage groups, oldest first: a pure function of the
 * stored state, so a draft refresh, the finalizer and a rebuild from empty tables all get the same invoices
 * (invariant 3). `months` comes from monthsToBuild, `groups` has each of them (formed in the month's currency);
 * `calendar` is accountCalendar(input), as for monthsToBuild.
 *
 * - Month boundaries, time zone and currency: a change takes effect from the first month not yet finalized;
 *   finalized months keep theirs (AccountCalendar).
 * - The first open month is the next invoice: it carries the adjustment lines of every closed month inside the
 *   adjustment window that was billed in the account's currency, so late data is billed on the next invoice and
 *   never rewrites a finalized one (invariants 4, 7). When only adjustments are left, the month after the last
 *   finalized one is opened for them.
 * - Adjustments of months billed in another currency are never converted: they go on a separate adjustment invoice
 *   in that currency, dated like the next invoice (README, "Account changes").
 * - Adjustments compare with what the finalized invoices billed and price with the entries stored at finalization.
 * - Credit chains per currency: the account's freeCredit for its very first invoice, then the creditRemaining of the
 *   last finalized invoice in the same currency; credit is never converted either.
 * - A month that cannot be built (no price in force) reports the error; the months after it wait for it, since their
 *   credit depends on it.
 */
export function planFromGroups(
  input: AccountPlanInput,
  months: readonly MonthSettings[],
  groups: ReadonlyMap<string, MonthGroups>,
  calendar: AccountCalendar = accountCalendar(input),
): PlannedInvoice[] {
  const { account } = input;
  const last = calendar.lastClosed;
  const allFinalized = [...input.finalized, ...(input.adjustmentInvoices ?? [])].sort((a, b) =>
    a.month < b.month ? -1 : a.month > b.month ? 1 : 0,
  );
  const groupsOf = (month: string): readonly UsageGroup[] => {
    const g = groups.get(month) ?? [];
    if (g instanceof Error) throw g;
    return g;
  };

  let lateProblem: Error | undefined;
  const adjustByCurrency = new Map<string, FinalizedMonth[]>();
  for (const m of months) {
    if (!m.closed) continue;
    const g = groups.get(m.month) ?? [];
    if (g instanceof Error) {
      lateProblem ??= g;
      continue;
    }
    const list = adjustByCurrency.get(m.currency) ?? [];
    list.push({
      month: m.month,
      billed: billedQuantities(allFinalized, m.month),
      groups: g,
      period: m,
      entries: input.billedEntries?.get(m.month) ?? new Map(),
    });
    adjustByCurrency.set(m.currency, list);
  }
  const entryOf = (month: string, key: string): PriceEntry => {
    const stored = input.billedEntries?.get(month)?.get(key);
    if (stored !== undefined) return stored;
    const g = groups.get(month);
    return (g instanceof Error ? undefined : g?.find((x) => x.priceEntryKey === key)?.entry) ?? input.prices.byKey(key);
  };
  const entriesOf = (invoice: InvoiceDraft): Map<string, Map<string, PriceEntry>> => {
    const byMonth = new Map<string, Map<string, PriceEntry>>();
    for (const l of invoice.lines) {
      if (l.priceEntryKey === null) continue;
      const month = l.kind === 'adjustment' && l.adjustsMonth !== null ? l.adjustsMonth : invoice.month;
      const entries = byMonth.get(month) ?? new Map<string, PriceEntry>();
      entries.set(l.priceEntryKey, entryOf(month, l.priceEntryKey));
      byMonth.set(month, entries);
    }
    return byMonth;
  };
  const creditIn = (currency: string): string => {
    const previous = allFinalized.findLast((f) => f.currency === currency);
    if (previous !== undefined) return previous.creditRemaining;
    return allFinalized.length === 0 ? account.freeCredit : '0';
  };

  const open = months.filter((m) => !m.closed);
  const sameCurrency = adjustByCurrency.get(account.currency) ?? [];
  adjustByCurrency.delete(account.currency);
  // Only adjustments left: they go on the month after the last finalized one, if they add up to any line.
  const adjustmentOnly =
    open.length === 0 && last !== undefined && (sameCurrency.length > 0 || lateProblem !== undefined);
  const first = open[0]?.month ?? (last === undefined ? undefined : nextMonth(last.month));
  const regularMonths = adjustmentOnly ? [calendar.settings(nextMonth(last.month))] : open;

  const plans: PlannedInvoice[] = [];
  let credit = creditIn(account.currency);
  let blocked: Error | undefined = lateProblem;
  regularMonths.forEach((m, i) => {
    const base = { month: m.month, kind: 'regular' as const, currency: account.currency };
    if (blocked !== undefined) {
      plans.push({ ...base, problem: blocked });
      return;
    }
    try {
      const invoice = buildInvoice({
        account,
        month: m.month,
        prices: input.prices,
        usage: [],
        usageGroups: groupsOf(m.month),
        period: m,
        creditAvailable: credit,
        ...(i === 0 ? { finalizedMonths: sameCurrency } : {}),
      });
      if (adjustmentOnly && invoice.lines.length === 0) return;
      plans.push({ ...base, invoice, entries: entriesOf(invoice) });
      credit = invoice.creditRemaining;
    } catch (error) {
      blocked = error instanceof Error ? error : new Error(String(error));
      plans.push({ ...base, problem: blocked });
    }
  });

  if (first !== undefined) {
    const period = calendar.settings(first);
    for (const [currency, finalizedMonths] of [...adjustByCurrency].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const base = { month: first, kind: 'adjustment' as const, currency };
      try {
        const invoice = buildInvoice({
          account: { ...account, currency },
          month: first,
          prices: input.prices,
          usage: [],
          usageGroups: [],
          period,
          creditAvailable: creditIn(currency),
          finalizedMonths,
        });
        if (invoice.lines.length > 0) plans.push({ ...base, invoice, entries: entriesOf(invoice) });
      } catch (error) {
        plans.push({ ...base, problem: error instanceof Error ? error : new Error(String(error)) });
      }
    }
  }
  return plans;
}

/**
 * planFromGroups over usage records held in memory (tests, the oracle side of property tests, small accounts); the
 * runtime streams each month's usage from storage instead (account-state.ts).
 *
 * @example
 * planInvoices({ account, finalized: [], usage, prices, adjustmentMonths: 12 }); // [{ month: '2025-03', invoice, … }]
 */
export function planInvoices(state: AccountBillingState): PlannedInvoice[] {
  const usage = latestUsage(state.usage).filter((u) => u.accountId === state.account.accountId);
  const months = monthsToBuild(
    state,
    usage.map((u) => u.hourStart),
  );
  const groups = new Map<string, MonthGroups>();
  for (const m of months) groups.set(m.month, monthGroups(state, m, usage));
  return planFromGroups(state, months, groups);
}

/** A month's usage groups in the month's currency, or the error that keeps them from being formed. */
export function monthGroups(
  input: Pick<AccountPlanInput, 'account' | 'prices'>,
  month: MonthSettings,
  usage: Iterable<UsageHourly>,
): MonthGroups {
  try {
    const acc = new UsageGroupAccumulator(input.account.accountId, month.currency, month, input.prices);
    for (const record of usage) acc.add(record);
    return acc.groups();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
