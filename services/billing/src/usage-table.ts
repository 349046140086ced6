import type { Queryable } from '@tally/db';
import type { UsageHourly } from '@tally/records';

/** An instance-hour whose stored value changed, with the accounts it belonged to before and after. */
export interface ChangedUsage {
  readonly record: UsageHourly;
  /** The account of the value it replaced, when that differs (an instance that changed owner). */
  readonly previousAccountId: string | undefined;
}

/**
 * Upserts usage values, keeping per instance-hour the highest version (equal versions: the greater jsonb text), and
 * returns those that changed the table. `records` must hold at most one value per instance-hour (use latestUsage).
 *
 * @example
 * const changed = await upsertUsage(client, latestUsage(batch));
 */
export async function upsertUsage(db: Queryable, records: readonly UsageHourly[]): Promise<ChangedUsage[]> {
  if (records.length === 0) return [];
  // One statement: the CTE reads the accounts as they were before the upsert (same snapshot), so an instance that
  // changed owner reports its previous account.
  const written = await db.query<{ instance_id: string; hour_start: string; previous: string | null }>(
    `WITH k AS (
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::jsonb[])
         AS k(instance_id, hour_start, account_id, version, record)),
     previous AS (
       SELECT u.instance_id, u.hour_start, u.account_id FROM billing_usage u JOIN k USING (instance_id, hour_start)),
     written AS (
       INSERT INTO billing_usage (instance_id, hour_start, account_id, version, record)
       SELECT * FROM k
       ON CONFLICT (instance_id, hour_start) DO UPDATE
         SET account_id = EXCLUDED.account_id, version = EXCLUDED.version, record = EXCLUDED.record
         WHERE billing_usage.version < EXCLUDED.version
            OR (billing_usage.version = EXCLUDED.version AND billing_usage.record::text < EXCLUDED.record::text)
       RETURNING instance_id, hour_start)
     SELECT w.instance_id, w.hour_start, p.account_id AS previous
     FROM written w LEFT JOIN previous p USING (instance_id, hour_start)`,
    [
      records.map((r) => r.instanceId),
      records.map((r) => r.hourStart),
      records.map((r) => r.accountId),
      records.map((r) => r.version),
      records.map((r) => JSON.stringify(r)),
    ],
  );
  const byKey = new Map(records.map((r) => [`${r.instanceId}|${r.hourStart}`, r]));
  return written.rows.flatMap((row) => {
    const record = byKey.get(`${row.instance_id}|${row.hour_start}`);
    if (record === undefined) return [];
    const before = row.previous ?? undefined;
    return [{ record, previousAccountId: before !== undefined && before !== record.accountId ? before : undefined }];
  });
}

/** The usage of the given account-hours (every instance the account had in those hours). */
export async function loadUsageOfAccountHours(
  db: Queryable,
  accountHours: readonly { accountId: string; hourStart: number }[],
): Promise<UsageHourly[]> {
  if (accountHours.length === 0) return [];
  // Without the counted slots (most of a real record's bytes): hourly charges never read them.
  const result = await db.query<{ record: UsageHourly }>(
    `SELECT u.record - 'counted' AS record FROM billing_usage u
     JOIN unnest($1::text[], $2::bigint[]) AS k(account_id, hour_start) USING (account_id, hour_start)`,
    [accountHours.map((k) => k.accountId), accountHours.map((k) => k.hourStart)],
  );
  return result.rows.map((row) => row.record);
}

/** The first and last hour of usage of each account from an instant on (undefined: all); accounts without usage absent. */
export async function loadUsageRanges(
  db: Queryable,
  accounts: readonly { readonly accountId: string; readonly from: number | undefined }[],
): Promise<Map<string, { first: number; last: number }>> {
  const ranges = new Map<string, { first: number; last: number }>();
  if (accounts.length === 0) return ranges;
  // Two index probes per account (account_id, hour_start), not a scan of its usage.
  const result = await db.query<{ account_id: string; first: string; last: string }>(
    `SELECT k.account_id, f.hour_start AS first, l.hour_start AS last
     FROM unnest($1::text[], $2::bigint[]) AS k(account_id, from_ms)
     CROSS JOIN LATERAL (SELECT hour_start FROM billing_usage u WHERE u.account_id = k.account_id
                         AND u.hour_start >= k.from_ms ORDER BY hour_start LIMIT 1) AS f
     CROSS JOIN LATERAL (SELECT hour_start FROM billing_usage u WHERE u.account_id = k.account_id
                         AND u.hour_start >= k.from_ms ORDER BY hour_start DESC LIMIT 1) AS l`,
    [accounts.map((a) => a.accountId), accounts.map((a) => a.from ?? Number.MIN_SAFE_INTEGER)],
  );
  for (const row of result.rows) ranges.set(row.account_id, { first: Number(row.first), last: Number(row.last) });
  return ranges;
}

/** An account's usage of one instance type summed over a stretch of hours (see loadUsageSums). */
export interface UsageSum {
  readonly instanceType: string;
  /** The stretch's first hour with usage: any hour of it resolves to the same month and price entries. */
  readonly firstHour: number;
  readonly runningSeconds: bigint;
  readonly txBytes: bigint;
  readonly rxBytes: bigint;
}

/**
 * Each account's usage from an instant on, summed by PostgreSQL (exact numeric sums of whole seconds and bytes) per
 * instance type and stretch: the stretches are the spans between consecutive `boundaries` (ascending epoch ms), so
 * a caller that puts every month boundary and price change in them gets sums that each fall in one month and one
 * price entry per SKU. Ordered by account, first hour and instance type.
 */
export async function loadUsageSums(
  db: Queryable,
  accounts: readonly { readonly accountId: string; readonly from: number | undefined }[],
  boundaries: readonly number[],
): Promise<Map<string, UsageSum[]>> {
  const sums = new Map<string, UsageSum[]>();
  if (accounts.length === 0) return sums;
  const result = await db.query<{ account_id: string; t: string; h: string; rs: string; tx: string; rx: string }>(
    `SELECT u.account_id, u.record->>'instanceType' AS t, min(u.hour_start) AS h,
            sum((u.record->>'runningSeconds')::numeric)::text AS rs, sum((u.record->>'txBytes')::numeric)::text AS tx,
            sum((u.record->>'rxBytes')::numeric)::text AS rx
     FROM billing_usage u JOIN unnest($1::text[], $2::bigint[]) AS k(account_id, from_ms) USING (account_id)
     WHERE u.hour_start >= k.from_ms
     GROUP BY u.account_id, 2, width_bucket(u.hour_start, $3::bigint[])
     ORDER BY u.account_id, 3, 2`,
    [
      accounts.map((a) => a.accountId),
      accounts.map((a) => a.from ?? Number.MIN_SAFE_INTEGER),
      boundaries.length === 0 ? [0] : boundaries,
    ],
  );
  for (const row of result.rows) {
    const list = sums.get(row.account_id) ?? [];
    list.push({
      instanceType: row.t,
      firstHour: Number(row.h),
      runningSeconds: BigInt(row.rs),
      txBytes: BigInt(row.tx),
      rxBytes: BigInt(row.rx),
    });
    sums.set(row.account_id, list);
  }
  return sums;
}
