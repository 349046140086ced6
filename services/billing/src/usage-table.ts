import type { Queryable } from '@tally/db';
import type { UsageHourly } from '@tally/records';
import { usageTieKey } from './latest-usage.ts';
import { MEASURED_USAGE_COLUMNS, measuredUsageOf, type MeasuredUsageRow } from './measured-usage-row.ts';
import type { MeasuredUsage } from './usage-measures.ts';

/** An instance-hour whose stored value changed, with the accounts it belonged to before and after. */
export interface ChangedUsage {
  readonly record: UsageHourly;
  /** The account of the value it replaced, when that differs (an instance that changed owner). */
  readonly previousAccountId: string | undefined;
}

/**
 * Upserts usage values, keeping per instance-hour the highest version (equal versions: the greater usageTieKey, the
 * rule latestUsage applies; a row stored without one yields), and returns those that changed the table. `records` must hold at most one value per instance-hour (use latestUsage).
 *
 * @example
 * const changed = await upsertUsage(client, latestUsage(batch));
 */
export async function upsertUsage(db: Queryable, records: readonly UsageHourly[]): Promise<ChangedUsage[]> {
  if (records.length === 0) return [];
  // One statement: the previous owners are read from the snapshot the upsert starts from (a data-modifying CTE and
  // the query around it see the table as it was), so each changed row comes back with the account it had.
  const written = await db.query<{ n: number; previous_account_id: string | null }>(
    `WITH k AS (
       SELECT * FROM json_to_recordset($1::json)
         AS k(instance_id text, hour_start bigint, account_id text, version bigint, record jsonb, tie_key text, n int)),
     previous AS (
       SELECT u.instance_id, u.hour_start, u.account_id,
         -- A row stored before tie keys (0171) gets its key from an equal value without counting as a change.
         (u.tie_key IS NULL AND u.version = k.version AND u.record = k.record) AS keyed
       FROM billing_usage u JOIN k USING (instance_id, hour_start)),
     written AS (
       INSERT INTO billing_usage (instance_id, hour_start, account_id, version, record, tie_key)
       SELECT instance_id, hour_start, account_id, version, record, tie_key FROM k
       ON CONFLICT (instance_id, hour_start) DO UPDATE
         SET account_id = EXCLUDED.account_id, version = EXCLUDED.version, record = EXCLUDED.record,
           tie_key = EXCLUDED.tie_key
         WHERE billing_usage.version < EXCLUDED.version
            OR (billing_usage.version = EXCLUDED.version
                AND (billing_usage.tie_key IS NULL OR billing_usage.tie_key COLLATE "C" < EXCLUDED.tie_key))
       RETURNING instance_id, hour_start)
     SELECT k.n, p.account_id AS previous_account_id
     FROM written w JOIN k USING (instance_id, hour_start) LEFT JOIN previous p USING (instance_id, hour_start)
     WHERE p.keyed IS NOT TRUE`,
    // One JSON document, not a jsonb[] parameter, whose literal node-postgres builds by escaping every quote of
    // every record in JavaScript (the larger part of the statement's cost). Rows come back as their index in it.
    [
      JSON.stringify(
        records.map((r, n) => ({
          instance_id: r.instanceId,
          hour_start: r.hourStart,
          account_id: r.accountId,
          version: r.version,
          record: storedRecord(r),
          tie_key: usageTieKey(r),
          n,
        })),
      ),
    ],
  );
  return written.rows.flatMap((row) => {
    const record = records[row.n];
    if (record === undefined) return [];
    const before = row.previous_account_id;
    return [{ record, previousAccountId: before !== null && before !== record.accountId ? before : undefined }];
  });
}

/**
 * A usage record as billing stores it: without the `counted` slots (up to 64 interfaces × 120 slots per
 * instance-hour), which only metering's duplicate check reads; billing never does, and they made most of the row.
 */
function storedRecord(record: UsageHourly): UsageHourly {
  return record.counted.length === 0 ? record : { ...record, counted: [] };
}

/**
 * What prices the given account-hours (every instance the account had in those hours): the measured fields only, read
 * out of the stored record by PostgreSQL, instead of the whole record as JSON (half of a usage batch's reading time).
 */
export async function loadUsageOfAccountHours(
  db: Queryable,
  accountHours: readonly { accountId: string; hourStart: number }[],
): Promise<MeasuredUsage[]> {
  if (accountHours.length === 0) return [];
  // The keys as one JSON document: a text[] parameter is a literal node-postgres escapes element by element.
  const result = await db.query<MeasuredUsageRow>(
    `SELECT ${MEASURED_USAGE_COLUMNS}
     FROM billing_usage u
     JOIN json_to_recordset($1::json) AS k(account_id text, hour_start bigint) USING (account_id, hour_start)`,
    [JSON.stringify(accountHours.map((k) => ({ account_id: k.accountId, hour_start: k.hourStart })))],
  );
  return result.rows.map(measuredUsageOf);
}

/** The usage of each account from an instant on (per account; -Infinity or undefined: all of it). */
export async function loadUsageOfAccounts(
  db: Queryable,
  from: ReadonlyMap<string, number | undefined>,
): Promise<Map<string, UsageHourly[]>> {
  const ids = [...from.keys()];
  const usage = new Map<string, UsageHourly[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return usage;
  const result = await db.query<{ account_id: string; record: UsageHourly }>(
    `SELECT u.account_id, u.record FROM billing_usage u
     JOIN unnest($1::text[], $2::bigint[]) AS k(account_id, from_ms) USING (account_id)
     WHERE u.hour_start >= k.from_ms`,
    [ids, ids.map((id) => from.get(id) ?? -1)],
  );
  for (const row of result.rows) usage.get(row.account_id)?.push(row.record);
  return usage;
}

/** The distinct hours an account has usage in, from an instant on (undefined: all), ascending. */
export async function loadUsageHoursOfAccount(
  db: Queryable,
  accountId: string,
  from: number | undefined,
): Promise<number[]> {
  const result = await db.query<{ hour_start: string }>(
    `SELECT DISTINCT hour_start FROM billing_usage WHERE account_id = $1 AND hour_start >= $2 ORDER BY hour_start`,
    [accountId, from ?? Number.MIN_SAFE_INTEGER],
  );
  return result.rows.map((row) => Number(row.hour_start));
}

/**
 * Streams an account's usage in [start, end) to `each` in chunks of hours, so only one chunk is held at a time (a
 * month of 500 instances is 372 000 rows). Chunks start at `chunkHours` and adapt to about `chunkRows` rows (up to a
 * week), so a small account takes a few queries per month and a large one holds a few thousand records at a time. The
 * `counted` slots are left out: billing never reads them.
 */
export async function forEachUsageOfAccount(
  db: Queryable,
  accountId: string,
  period: { readonly start: number; readonly end: number },
  each: (record: UsageHourly) => void,
  chunkHours = 24,
  chunkRows = 5_000,
): Promise<void> {
  let hours = chunkHours;
  for (let from = period.start; from < period.end;) {
    const to = Math.min(from + hours * 3_600_000, period.end);
    const result = await db.query<{ record: UsageHourly }>(
      `SELECT record - 'counted' AS record FROM billing_usage
       WHERE account_id = $1 AND hour_start >= $2 AND hour_start < $3`,
      [accountId, from, to],
    );
    for (const row of result.rows) each(row.record);
    from = to;
    const perHour = result.rows.length / hours;
    // Grow at most twofold and to a week, so a month whose instances appear late cannot land in one huge chunk.
    hours = Math.max(1, Math.min(hours * 2, 24 * 7, Math.floor(chunkRows / Math.max(perHour, 1))));
  }
}
