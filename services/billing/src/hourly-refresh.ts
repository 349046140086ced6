import type { Queryable } from '@tally/db';
import { enqueueOutbox } from '@tally/kafka';
import { billingKey, type Account, type BillingHourly, type UsageHourly } from '@tally/records';
import { computeAccountHours } from './account-hours.ts';
import { lockAccountHours } from './hourly-locks.ts';
import { monthPeriod, monthOf } from './billing-month.ts';
import type { PriceBook } from './price-book.ts';
import { loadAccounts } from './reference-tables.ts';
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
 * the month's earlier hours (the stored ones, and those computed here); every later hour of the month whose month-to-
 * date or tier position moved is republished too, so each published value depends only on the month's data. An account-hour that cannot be priced yet
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
  const usageByAccount = new Map<string, UsageHourly[]>();
  for (const u of usage) {
    const list = usageByAccount.get(u.accountId) ?? [];
    list.push(u);
    usageByAccount.set(u.accountId, list);
  }
  const previous = await loadMonths(db, known);

  const computed: BillingHourly[] = [];
  const now = options.clock();
  for (const { account, hours } of known) {
    const result = computeAccountHours({
      account,
      hours,
      stored: previous.get(account.accountId) ?? new Map<number, BillingHourly>(),
      usage: usageByAccount.get(account.accountId) ?? [],
      prices: options.prices,
      versionOf: (stored) => Math.max((stored?.version ?? 0) + 1, now),
    });
    computed.push(...result.values);
    for (const { hourStart, error } of result.failed) {
      pending.push({ accountId: account.accountId, hourStart, reason: String(error) });
    }
  }

  if (computed.length > 0) {
    await db.query(
      `INSERT INTO billing_hourly (account_id, hour_start, version, value)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::jsonb[])
       ON CONFLICT (account_id, hour_start) DO UPDATE SET version = EXCLUDED.version, value = EXCLUDED.value`,
      [
        computed.map((v) => v.accountId),
        computed.map((v) => v.hourStart),
        computed.map((v) => v.version),
        computed.map((v) => JSON.stringify(v)),
      ],
    );
    await db.query(
      `DELETE FROM billing_pending_hours p USING unnest($1::text[], $2::bigint[]) AS k(account_id, hour_start)
       WHERE p.account_id = k.account_id AND p.hour_start = k.hour_start`,
      [computed.map((v) => v.accountId), computed.map((v) => v.hourStart)],
    );
    await enqueueOutboxBatch(db, options.topic, computed);
  }
  if (pending.length > 0) {
    await db.query(
      `INSERT INTO billing_pending_hours (account_id, hour_start, reason)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])
       ON CONFLICT (account_id, hour_start) DO UPDATE SET reason = EXCLUDED.reason`,
      [pending.map((p) => p.accountId), pending.map((p) => p.hourStart), pending.map((p) => p.reason)],
    );
  }
  return { published: computed.length, pending: pending.length };
}

/** The stored values of each account's months: from the start of the month of its first hour to the end of its last. */
async function loadMonths(
  db: Queryable,
  known: readonly { account: Account; hours: readonly number[] }[],
): Promise<Map<string, Map<number, BillingHourly>>> {
  const result = new Map<string, Map<number, BillingHourly>>();
  if (known.length === 0) return result;
  const ranges = known.map(({ account, hours }) => ({
    accountId: account.accountId,
    from: monthPeriod(monthOf(hours[0]!, account.timeZone), account.timeZone).start,
    to: monthPeriod(monthOf(hours[hours.length - 1]!, account.timeZone), account.timeZone).end - 1,
  }));
  const rows = await db.query<{ value: BillingHourly }>(
    `SELECT h.value FROM billing_hourly h
     JOIN unnest($1::text[], $2::bigint[], $3::bigint[]) AS k(account_id, from_ms, to_ms) USING (account_id)
     WHERE h.hour_start >= k.from_ms AND h.hour_start <= k.to_ms`,
    [ranges.map((r) => r.accountId), ranges.map((r) => r.from), ranges.map((r) => r.to)],
  );
  for (const { value } of rows.rows) {
    const hours = result.get(value.accountId) ?? new Map<number, BillingHourly>();
    hours.set(value.hourStart, value);
    result.set(value.accountId, hours);
  }
  return result;
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

/** enqueueOutbox for many values in one statement, order kept. */
async function enqueueOutboxBatch(db: Queryable, topic: string, values: readonly BillingHourly[]): Promise<void> {
  if (values.length === 1) {
    const [value] = values as [BillingHourly];
    await enqueueOutbox(db, topic, billingKey(value.accountId, value.hourStart), value);
    return;
  }
  await db.query(
    `INSERT INTO outbox (topic, key, payload)
     SELECT $1, e.key, e.payload FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS e(key, payload, n)
     ORDER BY e.n`,
    [topic, values.map((v) => billingKey(v.accountId, v.hourStart)), values.map((v) => JSON.stringify(v))],
  );
}
