import type { Queryable } from '@tally/db';
import type { Account, BillingHourly } from '@tally/records';
import { computeAccountHours, planSweep, sweepStart, type MonthPosition, type SweepStart } from './account-hours.ts';
import { lockAccountHours } from './hourly-locks.ts';
import { storeHourly, type Positioned } from './hourly-store.ts';
import type { PriceBook } from './price-book.ts';
import { loadAccounts } from './reference-tables.ts';
import type { MeasuredUsage } from './usage-measures.ts';
import { loadUsageOfAccountHours } from './usage-table.ts';

export interface AccountHourKey {
  readonly accountId: string;
  readonly hourStart: number;
}

export interface HourlyRefreshOptions {
  /** billing.hourly topic name, for the outbox. */
  readonly topic: string;
  readonly prices: PriceBook;
  /** Epoch ms; versions of republished values are at least this, so a rebuild from empty tables supersedes. */
  readonly clock: () => number;
}

export interface HourlyRefreshOutcome {
  readonly published: number;
  /** Account-hours left pending (account or price unknown); retried when accounts or prices arrive. */
  readonly pending: number;
}

/**
 * Recomputes the BillingHourly value of each account-hour from the stored usage, stores it, and enqueues it to the
 * outbox (one transaction with the caller's writes). Hours are computed oldest first per account, each building on
 * the month's earlier hours (the stored ones, and those computed here); stored later hours of the month, whose
 * month-to-date or tier position moved, are marked stale for refreshStaleHours, after which each published value
 * depends only on the month's data. An account-hour that cannot be priced yet
 * is parked in billing_pending_hours with the reason instead of failing the batch: usage is never dropped, it is
 * billed once the account or price arrives (see README, "Missing prices").
 *
 * Versions: max(stored + 1, clock): grows with each rewrite and stays ahead after a rebuild from empty tables.
 */
export async function refreshAccountHours(
  db: Queryable,
  keys: Iterable<AccountHourKey>,
  options: HourlyRefreshOptions,
): Promise<HourlyRefreshOutcome> {
  const byAccount = new Map<string, Set<number>>();
  for (const key of keys) {
    const hours = byAccount.get(key.accountId) ?? new Set<number>();
    hours.add(key.hourStart);
    byAccount.set(key.accountId, hours);
  }
  if (byAccount.size === 0) return { published: 0, pending: 0 };
  const accountIds = [...byAccount.keys()].sort();
  // Serializes the hours of an account across consumers and processes; accounts are loaded after it.
  await lockAccountHours(db, accountIds);
  const accounts = await loadAccounts(db, accountIds);

  const pending: { accountId: string; hourStart: number; reason: string }[] = [];
  const known: { account: Account; hours: number[] }[] = [];
  for (const accountId of accountIds) {
    const hours = [...(byAccount.get(accountId) ?? [])].sort((a, b) => a - b);
    const account = accounts.get(accountId);
    if (account === undefined) {
      for (const hourStart of hours) pending.push({ accountId, hourStart, reason: 'account not known yet' });
    } else {
      known.push({ account, hours });
    }
  }

  const usage = await loadUsageOfAccountHours(
    db,
    known.flatMap(({ account, hours }) => hours.map((hourStart) => ({ accountId: account.accountId, hourStart }))),
  );
  const usageByAccount = new Map<string, MeasuredUsage[]>();
  for (const u of usage) {
    const list = usageByAccount.get(u.accountId) ?? [];
    list.push(u);
    usageByAccount.set(u.accountId, list);
  }
  const sweeps = await loadSweeps(db, known, options.prices);
  await markLaterHoursStale(db, sweeps);

  const computed: BillingHourly[] = [];
  const positions: Positioned[] = [];
  const now = options.clock();
  for (const { account, hours } of known) {
    const sweep = sweeps.get(account.accountId)!;
    const result = computeAccountHours({
      account,
      hours,
      stored: sweep.stored,
      usage: usageByAccount.get(account.accountId) ?? [],
      prices: options.prices,
      versionOf: (stored) => Math.max((stored?.version ?? 0) + 1, now),
      ...(sweep.start === undefined ? {} : { start: sweep.start }),
      ...(sweep.recomputeFrom === undefined ? {} : { recomputeFrom: sweep.recomputeFrom }),
    });
    computed.push(...result.values);
    for (const [hourStart, position] of result.positions) {
      positions.push({ accountId: account.accountId, hourStart, position });
    }
    for (const { hourStart, error } of result.failed) {
      pending.push({ accountId: account.accountId, hourStart, reason: String(error) });
    }
  }
  await storeHourly(db, options.topic, computed, pending, positions);
  return { published: computed.length, pending: pending.length };
}

/**
 * Marks, before the changed hours are written, the accounts that already have values after a changed hour in its
 * month: their month-to-date and tier positions moved, and refreshStaleHours recomputes them. Done outside the
 * consumer's batch so a replay in any order recomputes each month once per pass, not once per batch (hours arrive
 * in order in production, and then nothing is marked). An account whose earlier mark the batch recomputed (folded)
 * loses it first: only hours after the batch's last one are still stale.
 */
async function markLaterHoursStale(db: Queryable, sweeps: ReadonlyMap<string, Sweep>): Promise<void> {
  if (sweeps.size === 0) return;
  const folded = [...sweeps].filter(([, s]) => s.folded).map(([id]) => id);
  if (folded.length > 0) {
    await db.query(`DELETE FROM billing_hourly_stale WHERE account_id = ANY($1::text[])`, [folded]);
  }
  const ranges = [...sweeps].map(([accountId, s]) => ({ accountId, from: s.staleFrom, end: s.staleEnd }));
  // One index probe per account (the latest stored hour in the range). As a join, PostgreSQL hashed the whole of
  // billing_hourly for every batch: the cost grew with the table, ~0.7 s per batch at 500k rows.
  await db.query(
    `INSERT INTO billing_hourly_stale (account_id, from_hour, to_hour)
     SELECT k.account_id, k.from_ms, h.hour_start
     FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS k(account_id, from_ms, end_ms)
     CROSS JOIN LATERAL (
       SELECT h.hour_start FROM billing_hourly h
       WHERE h.account_id = k.account_id AND h.hour_start > k.from_ms AND h.hour_start < k.end_ms
       ORDER BY h.hour_start DESC LIMIT 1) AS h
     ON CONFLICT (account_id) DO UPDATE SET from_hour = LEAST(billing_hourly_stale.from_hour, EXCLUDED.from_hour),
       to_hour = GREATEST(billing_hourly_stale.to_hour, EXCLUDED.to_hour), seq = EXCLUDED.seq, marked_at = now()`,
    [ranges.map((r) => r.accountId), ranges.map((r) => r.from), ranges.map((r) => r.end)],
  );
}

/** A stale mark is recomputed by the batch itself when it lies at most the batch's span plus this before it. */
const FOLD_MS = 72 * 3_600_000;

/** What one account's sweep starts from, and how it leaves the account's stale mark. */
interface Sweep {
  /** The stored values the sweep goes through: after the start's position, up to the batch's last hour. */
  readonly stored: Map<number, BillingHourly>;
  readonly start: SweepStart | undefined;
  /** Set when the batch recomputes its account's stale hours itself (a mark shortly before its first hour). */
  readonly recomputeFrom: number | undefined;
  readonly folded: boolean;
  /** Stored hours after this one, up to staleEnd, are stale once the batch is written. */
  readonly staleFrom: number;
  readonly staleEnd: number;
}

/**
 * Per account, where its sweep starts and the stored values it goes through. The start is the stored position of the
 * month's last hour before the first changed one, or, when the account is marked stale from an earlier hour, before
 * the mark's first hour (later positions are outdated); the values from there to the batch's last hour are read.
 * Without a usable position (none stored yet, or rows older than positions) the month is read from its first hour,
 * as before. A mark at most the batch's span + FOLD_MS before its first hour (a replay reading partitions out of order marks
 * nearly every account with every batch) is recomputed by the batch itself, so the next batch starts near its own
 * hours instead of at the mark; a farther one (late data) is left to refreshStaleHours.
 */
async function loadSweeps(
  db: Queryable,
  known: readonly { account: Account; hours: readonly number[] }[],
  prices: PriceBook,
): Promise<Map<string, Sweep>> {
  const sweeps = new Map<string, Sweep>();
  if (known.length === 0) return sweeps;
  const marked = await db.query<{ account_id: string; from_hour: string; to_hour: string }>(
    `SELECT account_id, from_hour, to_hour FROM billing_hourly_stale WHERE account_id = ANY($1::text[])`,
    [known.map((k) => k.account.accountId)],
  );
  const marks = new Map(
    marked.rows.map((r) => [r.account_id, { from: Number(r.from_hour), to: Number(r.to_hour) }] as const),
  );
  const plans = known.map(({ account, hours }) => ({
    account,
    ...planSweep({ account, hours, mark: marks.get(account.accountId), prices, foldMs: FOLD_MS }),
  }));
  const lookups = plans.flatMap((p) =>
    p.cuts.map((cut) => ({ accountId: p.account.accountId, from: p.period.start, cut })),
  );
  const found = await db.query<{ n: string; hour_start: string; position: MonthPosition | null }>(
    `SELECT k.n, p.hour_start, p.position
     FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS k(account_id, from_ms, cut_ms, n)
     CROSS JOIN LATERAL (
       SELECT h.hour_start, h.position FROM billing_hourly h
       WHERE h.account_id = k.account_id AND h.hour_start >= k.from_ms AND h.hour_start < k.cut_ms
       ORDER BY h.hour_start DESC LIMIT 1) AS p`,
    [lookups.map((l) => l.accountId), lookups.map((l) => l.from), lookups.map((l) => l.cut)],
  );
  const byLookup = new Map(
    found.rows.map((r) => [Number(r.n) - 1, { hourStart: Number(r.hour_start), position: r.position }] as const),
  );
  let n = 0;
  const ranges = plans.map((p) => {
    const rows = p.cuts.map(() => byLookup.get(n++));
    const start = sweepStart(prices, p.account.currency, p.period, p.cuts, rows);
    const from = start === undefined ? p.period.start : rows[rows.length - 1]!.hourStart + 1;
    return { ...p, start, from };
  });
  // An index range scan per account: OFFSET 0 keeps the planner from flattening it into a hash join over the whole of
  // billing_hourly, which it chose for every batch (its cost grew with the table: ~0.9 s per batch at 500k rows).
  const rows = await db.query<{ value: BillingHourly }>(
    `SELECT h.value FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS k(account_id, from_ms, to_ms)
     CROSS JOIN LATERAL (
       SELECT h.value FROM billing_hourly h
       WHERE h.account_id = k.account_id AND h.hour_start >= k.from_ms AND h.hour_start <= k.to_ms
       OFFSET 0) AS h`,
    [ranges.map((r) => r.account.accountId), ranges.map((r) => r.from), ranges.map((r) => r.last)],
  );
  const stored = new Map<string, Map<number, BillingHourly>>();
  for (const { value } of rows.rows) {
    const hours = stored.get(value.accountId) ?? new Map<number, BillingHourly>();
    hours.set(value.hourStart, value);
    stored.set(value.accountId, hours);
  }
  for (const r of ranges) {
    sweeps.set(r.account.accountId, {
      stored: stored.get(r.account.accountId) ?? new Map<number, BillingHourly>(),
      start: r.start,
      recomputeFrom: r.recomputeFrom,
      folded: r.folded,
      staleFrom: r.staleFrom,
      staleEnd: r.staleEnd,
    });
  }
  return sweeps;
}

/** Account-hours parked for want of an account or a price, optionally only of some accounts. */
export async function pendingAccountHours(db: Queryable, accountIds?: readonly string[]): Promise<AccountHourKey[]> {
  const result = await db.query<{ account_id: string; hour_start: string }>(
    accountIds === undefined
      ? 'SELECT account_id, hour_start FROM billing_pending_hours'
      : 'SELECT account_id, hour_start FROM billing_pending_hours WHERE account_id = ANY($1::text[])',
    accountIds === undefined ? [] : [accountIds],
  );
  return result.rows.map((row) => ({ accountId: row.account_id, hourStart: Number(row.hour_start) }));
}
