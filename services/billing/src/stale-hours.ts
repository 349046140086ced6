import { inTransaction, type Pool, type Queryable } from '@tally/db';
import { createLogger, type Logger } from '@tally/log';
import { Gauge, type Registry } from 'prom-client';
import type { Account, BillingHourly } from '@tally/records';
import { computeAccountHours, type AccountHoursResult } from './account-hours.ts';
import { lockAccountHours, lockPricesShared } from './hourly-locks.ts';
import { storeHourly } from './hourly-store.ts';
import { monthAt } from './month-lookup.ts';
import { loadAccounts, loadPriceBookSnapshot, priceBookFingerprint } from './reference-tables.ts';

export interface StaleHoursOptions {
  /** billing.hourly topic name, for the outbox. */
  readonly topic: string;
  /** Epoch ms; see HourlyRefreshOptions. */
  readonly clock: () => number;
  /** Accounts per pass (read in a few set-based statements, written in one transaction). */
  readonly batchSize: number;
  /** An account is recomputed once it has not been marked for this long (default 2 s)... */
  readonly quietMs?: number;
  /** ...or once its first mark is this old (default 60 s), even while it keeps being marked. */
  readonly maxDelayMs?: number;
  /** Where a parked account is reported (default: a logger of its own). */
  readonly log?: Logger;
  /** Where `tally_billing_stale_parked` (marks parked at their current seq, set after each pass) is registered. */
  readonly registry?: Registry;
}

/** Passes that find the price book changed between their read and their write, before one gives up until later. */
const PRICE_ATTEMPTS = 3;

/**
 * Recomputes the hours marked stale (markLaterHoursStale) from their stored quantities; stores and publishes those
 * whose value moved, under the same locks as the consumers. An account is taken once its marks are quiet (or its
 * first mark old), so a replay recomputes each month about once, not once per batch, and does not hold the account's
 * lock against the consumer while it is still reading. Up to `batchSize` accounts per pass: their accounts, stored
 * ranges and the price book are read in a few statements and computed without locks (a long month takes a while on a
 * busy process); then, in one transaction under the consumers' locks, the accounts none of whose hours changed
 * meanwhile are written together, and the others keep their mark for the next pass (the consumer that wrote has
 * marked the account again anyway). Each mark is removed only if it was not set again meanwhile.
 *
 * The price book is read before the locks, so the write checks under lockPricesShared that it did not change since
 * (the prices consumer marks the accounts a new price applies to with a new seq, so such values would be redone, but
 * only after being stored and published once with the outdated book); if it did, nothing of
 * the batch is stored and the pass starts over with the new book. An account whose computation throws (a
 * deterministic error of its data) does not stop the others: its mark is parked with the reason and a log line, and
 * tried again only when the account is marked again. Returns how many accounts it brought up to date or parked.
 *
 * @example
 * while ((await refreshStaleHours(pool, { topic, clock, batchSize: 50 })) > 0);
 */
export async function refreshStaleHours(pool: Pool, options: StaleHoursOptions): Promise<number> {
  for (let attempt = 1; ; attempt += 1) {
    const batch = await readStaleBatch(pool, options);
    const done = await writeStaleBatch(pool, batch, options);
    if (done !== undefined || attempt >= PRICE_ATTEMPTS) {
      if (options.registry !== undefined) parkedGauge(options.registry).set(await parkedMarks(pool));
      return done ?? batch.unknown;
    }
  }
}

/** Marks parked at their current seq: accounts whose stale values cannot be computed until new input arrives. */
export async function parkedMarks(db: Queryable): Promise<number> {
  const result = await db.query<{ n: string }>(`SELECT count(*) AS n FROM billing_hourly_stale WHERE parked_seq = seq`);
  return Number(result.rows[0]!.n);
}

const gauges = new WeakMap<Registry, Gauge>();
function parkedGauge(registry: Registry): Gauge {
  let gauge = gauges.get(registry);
  if (gauge === undefined) {
    gauge = new Gauge({
      name: 'tally_billing_stale_parked',
      help: 'Accounts whose stale billing.hourly values cannot be computed: marks parked with their reason (billing_hourly_stale.parked_reason) until the account is marked again',
      registers: [registry],
    });
    gauges.set(registry, gauge);
  }
  return gauge;
}

/** An account's stale mark as read. */
interface Mark {
  readonly account_id: string;
  readonly seq: string;
}

/** What a pass read and computed without locks; writeStaleBatch stores it. */
export interface StaleBatch {
  /** Marks of unknown accounts, forgotten while reading. */
  readonly unknown: number;
  /** The fingerprint of the price book the hours were computed with. */
  readonly prices: string;
  readonly computed: readonly ComputedAccount[];
  /** Accounts whose computation threw: parked by the write. */
  readonly failures: readonly (Mark & { readonly error: unknown })[];
}

interface ComputedAccount {
  readonly range: StaleRange & { readonly seq: string };
  readonly versions: string;
  readonly result: AccountHoursResult;
}

/**
 * The read half of refreshStaleHours: the marked accounts that are due, their stored hours recomputed with the price
 * book as stored now (no locks held). Marks of unknown accounts are forgotten (their hours are parked; they are
 * computed when the account arrives).
 */
export async function readStaleBatch(pool: Pool, options: StaleHoursOptions): Promise<StaleBatch> {
  const marked = await pool.query<{ account_id: string; from_hour: string; to_hour: string; seq: string }>(
    `SELECT account_id, from_hour, to_hour, seq FROM billing_hourly_stale
     WHERE parked_seq IS DISTINCT FROM seq
       AND (marked_at <= now() - make_interval(secs => $2) OR first_marked_at <= now() - make_interval(secs => $3))
     ORDER BY account_id COLLATE "C" LIMIT $1`,
    [options.batchSize, (options.quietMs ?? 2_000) / 1000, (options.maxDelayMs ?? 60_000) / 1000],
  );
  if (marked.rows.length === 0) return { unknown: 0, prices: '', computed: [], failures: [] };
  const accounts = await loadAccounts(
    pool,
    marked.rows.map((m) => m.account_id),
  );
  const unknown = marked.rows.filter((m) => !accounts.has(m.account_id));
  await forgetMarks(pool, unknown);
  const failures: (Mark & { error: unknown })[] = [];
  const ranges = marked.rows.flatMap((mark) => {
    const account = accounts.get(mark.account_id);
    if (account === undefined) return [];
    try {
      const from = Number(mark.from_hour);
      // Hours after from_hour are stale (the prices consumer marks from effectiveFrom - 1): the month of from + 1 is
      // the first one to read, not the one before when a price takes effect at a month's start.
      const start = monthAt(from + 1, account.timeZone).start;
      const end = monthAt(Number(mark.to_hour), account.timeZone).end;
      return [{ account, from, start, end, seq: mark.seq }];
    } catch (error) {
      failures.push({ account_id: mark.account_id, seq: mark.seq, error });
      return [];
    }
  });
  if (ranges.length === 0) return { unknown: unknown.length, prices: '', computed: [], failures };
  const stored = await readStaleRanges(pool, ranges);
  const { book, fingerprint } = await loadPriceBookSnapshot(pool);
  const now = options.clock();
  const computed = ranges.flatMap((range) => {
    const values = stored.get(range.account.accountId) ?? [];
    try {
      const result = computeAccountHours({
        account: range.account,
        hours: [],
        stored: new Map(values.map((value) => [value.hourStart, value])),
        usage: [],
        prices: book,
        recomputeFrom: range.from,
        versionOf: (value) => Math.max((value?.version ?? 0) + 1, now),
      });
      return [{ range, versions: versionsOf(values), result }];
    } catch (error) {
      // A pure function throwing on this account's data: the others of the batch are still billed.
      failures.push({ account_id: range.account.accountId, seq: range.seq, error });
      return [];
    }
  });
  return { unknown: unknown.length, prices: fingerprint, computed, failures };
}

/**
 * The write half of refreshStaleHours, in one transaction under the consumers' locks. Returns how many accounts it
 * brought up to date or parked, or undefined (nothing written) when the price book changed since `batch` was read.
 */
export async function writeStaleBatch(
  pool: Pool,
  batch: StaleBatch,
  options: StaleHoursOptions,
): Promise<number | undefined> {
  const { computed, failures } = batch;
  if (computed.length === 0 && failures.length === 0) return batch.unknown;
  const ids = computed.map((c) => c.range.account.accountId);
  const written = await inTransaction(pool, async (client) => {
    await lockPricesShared(client);
    // A price stored since the read (the prices consumer holds the lock exclusively while it writes) would be
    // stored as if not there, and nothing marks these hours again: store nothing, read again.
    if (computed.length > 0 && (await priceBookFingerprint(client)) !== batch.prices) return undefined;
    await lockAccountHours(client, ids);
    const current = await readStaleVersions(
      client,
      computed.map((c) => c.range),
    );
    const unchanged = computed.filter((c) => current.get(c.range.account.accountId) === c.versions);
    const changed = computed.filter((c) => current.get(c.range.account.accountId) !== c.versions);
    if (changed.length > 0) {
      // A consumer wrote meanwhile: wait for the account to be quiet again (or another maxDelayMs) and redo.
      await client.query(`UPDATE billing_hourly_stale SET first_marked_at = now() WHERE account_id = ANY($1::text[])`, [
        changed.map((c) => c.range.account.accountId),
      ]);
    }
    const values = unchanged.flatMap((c) => c.result.values);
    const pending = unchanged.flatMap((c) =>
      c.result.failed.map(({ hourStart, error }) => ({
        accountId: c.range.account.accountId,
        hourStart,
        reason: String(error),
      })),
    );
    const positions = unchanged.flatMap((c) =>
      [...c.result.positions].map(([hourStart, position]) => ({
        accountId: c.range.account.accountId,
        hourStart,
        position,
      })),
    );
    await storeHourly(client, options.topic, values, pending, positions);
    await forgetMarks(
      client,
      unchanged.map((c) => ({ account_id: c.range.account.accountId, seq: c.range.seq })),
    );
    await parkMarks(client, failures);
    return unchanged.length + failures.length;
  });
  if (written === undefined) return undefined;
  const log = options.log ?? defaultLog();
  for (const failure of failures) {
    log.error(
      { accountId: failure.account_id, seq: failure.seq, err: failure.error },
      'stale billing.hourly values of an account cannot be computed: its mark is parked',
    );
  }
  return batch.unknown + written;
}

let fallbackLog: Logger | undefined;
function defaultLog(): Logger {
  return (fallbackLog ??= createLogger('billing'));
}

/**
 * Parks the given marks with their errors, unless they were set again meanwhile (their seq moved: new input, tried
 * on the next pass). A parked mark is skipped until the account is marked again.
 */
async function parkMarks(db: Queryable, marks: readonly (Mark & { readonly error: unknown })[]): Promise<void> {
  if (marks.length === 0) return;
  await db.query(
    `UPDATE billing_hourly_stale s SET parked_seq = s.seq, parked_reason = k.reason, parked_at = now()
     FROM unnest($1::text[], $2::bigint[], $3::text[]) AS k(account_id, seq, reason)
     WHERE s.account_id = k.account_id AND s.seq = k.seq`,
    [marks.map((m) => m.account_id), marks.map((m) => m.seq), marks.map((m) => reasonOf(m.error))],
  );
}

/** An error as an operator reads it in the parked mark. */
function reasonOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Removes the given stale marks unless they were set again meanwhile (their seq moved). */
async function forgetMarks(db: Queryable, marks: readonly Mark[]): Promise<void> {
  if (marks.length === 0) return;
  await db.query(
    `DELETE FROM billing_hourly_stale s USING unnest($1::text[], $2::bigint[]) AS k(account_id, seq)
     WHERE s.account_id = k.account_id AND s.seq = k.seq`,
    [marks.map((m) => m.account_id), marks.map((m) => m.seq)],
  );
}

interface StaleRange {
  readonly account: Account;
  readonly start: number;
  readonly end: number;
}

/** The stored values of each account in [start, end): an index range scan per account (LATERAL ... OFFSET 0). */
async function readStaleRanges(db: Queryable, ranges: readonly StaleRange[]): Promise<Map<string, BillingHourly[]>> {
  const result = await db.query<{ value: BillingHourly }>(
    `SELECT h.value FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS k(account_id, start_ms, end_ms)
     CROSS JOIN LATERAL (
       SELECT h.value FROM billing_hourly h
       WHERE h.account_id = k.account_id AND h.hour_start >= k.start_ms AND h.hour_start < k.end_ms
       OFFSET 0) AS h`,
    [ranges.map((r) => r.account.accountId), ranges.map((r) => r.start), ranges.map((r) => r.end)],
  );
  const byAccount = new Map<string, BillingHourly[]>();
  for (const { value } of result.rows) {
    const list = byAccount.get(value.accountId) ?? [];
    list.push(value);
    byAccount.set(value.accountId, list);
  }
  return byAccount;
}

/** Per account, the versions of its stored values in [start, end), as versionsOf gives them. */
async function readStaleVersions(db: Queryable, ranges: readonly StaleRange[]): Promise<Map<string, string>> {
  const result = await db.query<{ account_id: string; hour_start: string; version: string }>(
    `SELECT k.account_id, h.hour_start, h.version
     FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS k(account_id, start_ms, end_ms)
     CROSS JOIN LATERAL (
       SELECT h.hour_start, h.version FROM billing_hourly h
       WHERE h.account_id = k.account_id AND h.hour_start >= k.start_ms AND h.hour_start < k.end_ms
       OFFSET 0) AS h`,
    [ranges.map((r) => r.account.accountId), ranges.map((r) => r.start), ranges.map((r) => r.end)],
  );
  const byAccount = new Map<string, { hourStart: number; version: number }[]>();
  for (const row of result.rows) {
    const list = byAccount.get(row.account_id) ?? [];
    list.push({ hourStart: Number(row.hour_start), version: Number(row.version) });
    byAccount.set(row.account_id, list);
  }
  return new Map(ranges.map((r) => [r.account.accountId, versionsOf(byAccount.get(r.account.accountId) ?? [])]));
}

/** An account's stored hours and their versions, in a comparable form. */
function versionsOf(values: readonly { hourStart: number; version: number }[]): string {
  return values
    .map((v) => `${v.hourStart}:${v.version}`)
    .sort()
    .join(',');
}
