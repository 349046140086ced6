import type { Queryable } from '@tally/db';
import { usageKey } from '@tally/records';
import { fromUsageHourly, toUsageHourly, type InstanceHour } from './instance-hour.ts';

/** Splits a usageKey back into instance id and hour start (the id may itself hold a `|`). */
export function parseUsageKey(key: string): { instanceId: string; hourStart: number } {
  const bar = key.lastIndexOf('|');
  const hourStart = Date.parse(key.slice(bar + 1));
  if (bar < 0 || Number.isNaN(hourStart)) throw new RangeError(`not a usage key: ${key}`);
  return { instanceId: key.slice(0, bar), hourStart };
}

interface UsageRow {
  instance_id: string;
  hour_start_ms: string;
  account_id: string;
  instance_type: string;
  running_seconds: string;
  rx_bytes: string;
  tx_bytes: string;
  rx_packets: string;
  tx_packets: string;
  cpu_seconds: string;
  counted: { interfaceId: string; slots: number[] }[];
  version: string;
}

const SELECT_USAGE = `SELECT instance_id, (extract(epoch FROM hour_start) * 1000)::bigint AS hour_start_ms, account_id,
  instance_type, running_seconds, rx_bytes, tx_bytes, rx_packets, tx_packets, cpu_seconds::text AS cpu_seconds,
  counted, version FROM usage_hourly`;

function stateOf(row: UsageRow): InstanceHour {
  return fromUsageHourly({
    instanceId: row.instance_id,
    hourStart: Number(row.hour_start_ms),
    accountId: row.account_id,
    instanceType: row.instance_type,
    runningSeconds: Number(row.running_seconds),
    rxBytes: Number(row.rx_bytes),
    txBytes: Number(row.tx_bytes),
    rxPackets: Number(row.rx_packets),
    txPackets: Number(row.tx_packets),
    cpuSeconds: row.cpu_seconds,
    counted: row.counted,
    version: Number(row.version),
  });
}

/**
 * Another transaction wrote an instance-hour between this one's read and write (two partitions or members
 * metering the same instance-hour): a serialization failure found by hand. Nothing is committed; retrying the
 * batch reads the other's result, so it is marked `retryable` for the consumer runtime's `classifyError`.
 */
export class ConcurrentWriteError extends Error {
  override readonly name = 'ConcurrentWriteError';
  readonly retryable = true;
}

/**
 * Loads and row-locks (until the transaction ends) the stored states of the given usageKeys; keys never
 * stored are absent from the result. Rows are locked in key order, so transactions sharing several keys
 * queue instead of deadlocking. A key absent here may be inserted by another transaction meanwhile:
 * `upsertStates` detects that and fails.
 *
 * @example
 * const states = await loadStates(client, instanceHourKeys(samples));
 */
export async function loadStates(db: Queryable, keys: Iterable<string>): Promise<Map<string, InstanceHour>> {
  const ids: string[] = [];
  const hours: string[] = [];
  for (const key of keys) {
    const { instanceId, hourStart } = parseUsageKey(key);
    ids.push(instanceId);
    hours.push(new Date(hourStart).toISOString());
  }
  const states = new Map<string, InstanceHour>();
  if (ids.length === 0) return states;
  // ORDER BY comes before the row locks in PostgreSQL's plan, so this is the order they are taken in.
  const result = await db.query<UsageRow>(
    `${SELECT_USAGE} JOIN unnest($1::text[], $2::timestamptz[]) AS k(instance_id, hour_start)
     USING (instance_id, hour_start)
     ORDER BY instance_id COLLATE "C", hour_start
     FOR UPDATE OF usage_hourly`,
    [ids, hours],
  );
  for (const row of result.rows) {
    const state = stateOf(row);
    states.set(usageKey(state.instanceId, state.hourStart), state);
  }
  return states;
}

/** Every stored state whose instance id starts with `prefix` (for tests and operators). */
export async function loadStatesByPrefix(db: Queryable, prefix: string): Promise<InstanceHour[]> {
  const result = await db.query<UsageRow>(`${SELECT_USAGE} WHERE starts_with(instance_id, $1)`, [prefix]);
  return result.rows.map(stateOf);
}

// json, not jsonb: the document is only taken apart into rows, so converting all of it to jsonb first is waste.
const RECORDSET = `json_to_recordset($1::json) AS r("instanceId" text, "hourStart" bigint, "accountId" text,
  "instanceType" text, "runningSeconds" bigint, "rxBytes" bigint, "txBytes" bigint, "rxPackets" bigint,
  "txPackets" bigint, "cpuSeconds" text, counted json, version bigint, "expectedVersion" bigint)`;

/**
 * Writes the new full states of the instance-hours a batch changed; `loaded` is what `loadStates` returned in
 * the same transaction. A state loaded at version N is written only over version N (compare-and-set; the row
 * lock makes that the normal case), a state not loaded only where no row exists yet. If any was not written,
 * another transaction got there first: throws `ConcurrentWriteError`, and the caller's transaction, offsets
 * included, rolls back rather than commit a count that misses samples. Returns the states written (all of
 * them, in the given order), which are the ones to publish.
 */
export async function upsertStates(
  db: Queryable,
  states: readonly InstanceHour[],
  loaded: ReadonlyMap<string, InstanceHour>,
): Promise<InstanceHour[]> {
  if (states.length === 0) return [];
  const updates: object[] = [];
  const inserts: object[] = [];
  // One order for every transaction: two inserting the same new keys wait for each other, never in a cycle.
  const keyed = states.map((state) => ({ key: usageKey(state.instanceId, state.hourStart), state }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const { key, state } of keyed) {
    const before = loaded.get(key);
    const value = { ...toUsageHourly(state), expectedVersion: before?.version ?? 0 };
    (before === undefined ? inserts : updates).push(value);
  }
  let written = 0;
  if (updates.length > 0) {
    const result = await db.query(
      `UPDATE usage_hourly AS u SET account_id = r."accountId", instance_type = r."instanceType",
         running_seconds = r."runningSeconds", rx_bytes = r."rxBytes", tx_bytes = r."txBytes",
         rx_packets = r."rxPackets", tx_packets = r."txPackets", cpu_seconds = r."cpuSeconds"::numeric,
         counted = r.counted::jsonb, version = r.version, updated_at = now()
       FROM ${RECORDSET}
       WHERE u.instance_id = r."instanceId" AND u.hour_start = to_timestamp(r."hourStart" / 1000.0)
         AND u.version = r."expectedVersion" AND u.version < r.version`,
      [JSON.stringify(updates)],
    );
    written += result.rowCount ?? 0;
  }
  if (inserts.length > 0) {
    // DO NOTHING, not DO UPDATE: a row someone else inserted meanwhile holds samples this state lacks.
    const result = await db.query(
      `INSERT INTO usage_hourly (instance_id, hour_start, account_id, instance_type, running_seconds, rx_bytes,
         tx_bytes, rx_packets, tx_packets, cpu_seconds, counted, version)
       SELECT r."instanceId", to_timestamp(r."hourStart" / 1000.0), r."accountId", r."instanceType",
         r."runningSeconds", r."rxBytes", r."txBytes", r."rxPackets", r."txPackets", r."cpuSeconds"::numeric,
         r.counted::jsonb, r.version
       FROM ${RECORDSET}
       ON CONFLICT (instance_id, hour_start) DO NOTHING`,
      [JSON.stringify(inserts)],
    );
    written += result.rowCount ?? 0;
  }
  if (written !== states.length) {
    throw new ConcurrentWriteError(
      `${states.length - written} of ${states.length} instance-hours were changed by another transaction; retry`,
    );
  }
  return [...states];
}
