import type { Queryable } from '@tally/db';
import type { AccountCalendar, MonthSettings } from './account-calendar.ts';
import {
  accountCalendar,
  adjustmentWindowStart,
  monthsToBuild,
  planFromGroups,
  type AccountPlanInput,
  type MonthGroups,
  type PlannedInvoice,
} from './invoice-plan.ts';
import { loadBilledEntriesOfAccounts, loadFinalizedOfAccounts } from './invoice-table.ts';
import { MissingPriceError } from './missing-price-error.ts';
import { UsageGroupAccumulator } from './month-usage.ts';
import type { PriceSource } from './price-book.ts';
import { MEASURED_USAGE_COLUMNS, measuredUsageOf, type MeasuredUsageRow } from './measured-usage-row.ts';
import { loadAccounts } from './reference-tables.ts';
import type { MeasuredUsage } from './usage-measures.ts';
import { forEachUsageOfAccount } from './usage-table.ts';

export interface AccountPlansOptions {
  readonly prices: PriceSource;
  readonly adjustmentMonths: number;
  /**
   * Usage rows per query: small months of several accounts are read together up to this many rows; a month above
   * it is streamed alone in chunks of hours, as planAccount does (memory: about this many records at a time).
   */
  readonly chunkRows?: number;
  /** First chunk of hours when a large month is streamed (forEachUsageOfAccount's chunkHours). */
  readonly chunkHours?: number;
}

/** One month of one account to read, with how many usage rows it had when its hours were counted. */
interface MonthToRead {
  readonly accountId: string;
  readonly month: MonthSettings;
  readonly rows: number;
}

/**
 * planAccount for many accounts in a few round trips: the same plan of each account, from the same rows. Each
 * account's frame (its record, finalized invoices, billed entries) is read for all accounts in one query each; the
 * hours they have usage in (with a row count per hour) in one; then every month each plan builds is read whole, as
 * `WHERE account_id = a AND hour_start >= start AND hour_start < end`: months of several accounts share a query up
 * to `chunkRows` rows, and a larger month is streamed alone (forEachUsageOfAccount). Nothing is summed or filtered by
 * PostgreSQL: each month's groups come from its usage records, added one by one (UsageGroupAccumulator), exactly as
 * planAccount adds them. Accounts not known yet are absent (their usage waits).
 *
 * Callers hold the invoices lock (lockInvoices), as for planAccount: finalized invoices and billed entries cannot
 * change while the plans are made.
 *
 * @example
 * const plans = await planAccounts(client, ['acct-1', 'acct-2'], { prices, adjustmentMonths: 3 });
 * plans.get('acct-1'); // what planAccount(client, 'acct-1', …) returns
 */
export async function planAccounts(
  db: Queryable,
  accountIds: readonly string[],
  options: AccountPlansOptions,
): Promise<Map<string, PlannedInvoice[]>> {
  const chunkRows = options.chunkRows ?? 5_000;
  const accounts = await loadAccounts(db, [...new Set(accountIds)]);
  const ids = [...accounts.keys()];
  const finalized = await loadFinalizedOfAccounts(db, ids);
  const frames = new Map<string, { input: AccountPlanInput; calendar: AccountCalendar }>();
  const windows = ids.map((id) => {
    const account = accounts.get(id)!;
    const partial = { account, finalized: finalized.get(id)?.regular ?? [] };
    const calendar = accountCalendar(partial);
    const windowStart = adjustmentWindowStart(calendar.lastClosed?.month, options.adjustmentMonths);
    return {
      id,
      partial,
      calendar,
      windowStart,
      from: windowStart === undefined ? undefined : calendar.settings(windowStart).start,
    };
  });
  const billed = await loadBilledEntriesOfAccounts(
    db,
    windows.map((w) => ({ accountId: w.id, fromMonth: w.windowStart })),
  );
  for (const w of windows) {
    frames.set(w.id, {
      calendar: w.calendar,
      input: {
        ...w.partial,
        adjustmentInvoices: finalized.get(w.id)?.adjustment ?? [],
        billedEntries: billed.get(w.id) ?? new Map(),
        prices: options.prices,
        adjustmentMonths: options.adjustmentMonths,
      },
    });
  }
  const hours = await loadUsageHourCounts(
    db,
    windows.map((w) => ({ accountId: w.id, from: w.from })),
  );

  const monthsOf = new Map<string, MonthSettings[]>();
  const toRead: MonthToRead[] = [];
  for (const [id, frame] of frames) {
    const counts = hours.get(id) ?? new Map<number, number>();
    const months = monthsToBuild(
      frame.input,
      [...counts.keys()].sort((a, b) => a - b),
    );
    monthsOf.set(id, months);
    for (const month of months) {
      let rows = 0;
      for (const [hour, n] of counts) if (hour >= month.start && hour < month.end) rows += n;
      toRead.push({ accountId: id, month, rows });
    }
  }

  const accumulators = new Map<MonthToRead, UsageGroupAccumulator>();
  const errors = new Map<MonthToRead, MissingPriceError>();
  const add = (item: MonthToRead, record: MeasuredUsage): void => {
    if (errors.has(item)) return;
    let acc = accumulators.get(item);
    if (acc === undefined) {
      acc = new UsageGroupAccumulator(item.accountId, item.month.currency, item.month, options.prices);
      accumulators.set(item, acc);
    }
    try {
      acc.add(record);
    } catch (error) {
      if (!(error instanceof MissingPriceError)) throw error;
      errors.set(item, error); // a SKU without a price: the month waits (README, "Missing prices")
    }
  };
  let batch: MonthToRead[] = [];
  let batchRows = 0;
  const readBatch = async (): Promise<void> => {
    if (batch.length === 0) return;
    await forEachUsageOfMonths(db, batch, add);
    batch = [];
    batchRows = 0;
  };
  for (const item of toRead) {
    if (item.rows > chunkRows) {
      await forEachUsageOfAccount(
        db,
        item.accountId,
        item.month,
        (record) => add(item, record),
        options.chunkHours,
        chunkRows,
      );
      continue;
    }
    if (batchRows + item.rows > chunkRows) await readBatch();
    batch.push(item);
    batchRows += item.rows;
  }
  await readBatch();

  const plans = new Map<string, PlannedInvoice[]>();
  let next = 0;
  for (const [id, frame] of frames) {
    const groups = new Map<string, MonthGroups>();
    for (const month of monthsOf.get(id)!) {
      const item = toRead[next++]!;
      const error = errors.get(item);
      const acc = accumulators.get(item) ?? new UsageGroupAccumulator(id, month.currency, month, options.prices);
      groups.set(month.month, error ?? acc.groups());
    }
    plans.set(id, planFromGroups(frame.input, monthsOf.get(id)!, groups, frame.calendar));
  }
  return plans;
}

/**
 * Per account, the hours it has usage in from its instant on (undefined: all), with the number of rows in each:
 * loadUsageHoursOfAccount for many accounts, plus the counts that size the month reads.
 */
async function loadUsageHourCounts(
  db: Queryable,
  accounts: readonly { readonly accountId: string; readonly from: number | undefined }[],
): Promise<Map<string, Map<number, number>>> {
  const byAccount = new Map<string, Map<number, number>>();
  if (accounts.length === 0) return byAccount;
  // Each account's rows through its index, whatever the statistics say (LATERAL with OFFSET 0, so PostgreSQL cannot
  // flatten it into a join): without statistics, as after a rebuild from empty tables or on a busy day before
  // autovacuum's analyze, it hash-joined a sequential scan of all of billing_usage for every chunk of accounts
  // (finalizing 10,000 accounts without statistics: 13.6 s before, 6.4 s with this and JIT off).
  const result = await db.query<{ account_id: string; hour_start: string; n: string }>(
    `SELECT k.account_id, u.hour_start, count(*) AS n
     FROM unnest($1::text[], $2::bigint[]) AS k(account_id, from_ms)
     CROSS JOIN LATERAL (
       SELECT hour_start FROM billing_usage WHERE account_id = k.account_id AND hour_start >= k.from_ms OFFSET 0
     ) AS u
     GROUP BY k.account_id, u.hour_start`,
    [accounts.map((a) => a.accountId), accounts.map((a) => a.from ?? Number.MIN_SAFE_INTEGER)],
  );
  for (const row of result.rows) {
    const counts = byAccount.get(row.account_id) ?? new Map<number, number>();
    counts.set(Number(row.hour_start), Number(row.n));
    byAccount.set(row.account_id, counts);
  }
  return byAccount;
}

/**
 * Every usage row of the given account-months (`account_id = a AND start <= hour_start < end` for each), handed to
 * `each` with the month it belongs to: the fields that price it (MEASURED_USAGE_COLUMNS). Read through the index
 * whatever the statistics say, as in loadUsageHourCounts.
 */
async function forEachUsageOfMonths(
  db: Queryable,
  months: readonly MonthToRead[],
  each: (item: MonthToRead, record: MeasuredUsage) => void,
): Promise<void> {
  const result = await db.query<MeasuredUsageRow & { n: number }>(
    `SELECT k.n::int AS n, ${MEASURED_USAGE_COLUMNS}
     FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS k(account_id, start_ms, end_ms, n)
     CROSS JOIN LATERAL (
       SELECT * FROM billing_usage
       WHERE account_id = k.account_id AND hour_start >= k.start_ms AND hour_start < k.end_ms OFFSET 0
     ) AS u`,
    [months.map((m) => m.accountId), months.map((m) => m.month.start), months.map((m) => m.month.end)],
  );
  for (const row of result.rows) each(months[row.n - 1]!, measuredUsageOf(row));
}
