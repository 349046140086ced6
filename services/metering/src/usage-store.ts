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
 * Loads the stored states of the given usageKeys; keys never stored are absent from the result.
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
  const result = await db.query<UsageRow>(
    `${SELECT_USAGE} JOIN unnest($1::text[], $2::timestamptz[]) AS k(instance_id, hour_start)
     USING (instance_id, hour_start)`,
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

/**
 * Upserts full states; a stored row with an equal or higher version is left alone (invariant 3).
 * Returns the states actually written, which are the ones to publish.
 */
export async function upsertStates(db: Queryable, states: readonly InstanceHour[]): Promise<InstanceHour[]> {
  if (states.length === 0) return [];
  const values = states.map(toUsageHourly);
  const result = await db.query<{ instance_id: string; hour_start_ms: string }>(
    `INSERT INTO usage_hourly AS u (instance_id, hour_start, account_id, instance_type, running_seconds, rx_bytes,
       tx_bytes, rx_packets, tx_packets, cpu_seconds, counted, version)
     SELECT r."instanceId", to_timestamp(r."hourStart" / 1000.0), r."accountId", r."instanceType", r."runningSeconds",
       r."rxBytes", r."txBytes", r."rxPackets", r."txPackets", r."cpuSeconds"::numeric, r.counted, r.version
     FROM jsonb_to_recordset($1::jsonb) AS r("instanceId" text, "hourStart" bigint, "accountId" text,
       "instanceType" text, "runningSeconds" bigint, "rxBytes" bigint, "txBytes" bigint, "rxPackets" bigint,
       "txPackets" bigint, "cpuSeconds" text, counted jsonb, version bigint)
     ON CONFLICT (instance_id, hour_start) DO UPDATE SET
       account_id = EXCLUDED.account_id, instance_type = EXCLUDED.instance_type,
       running_seconds = EXCLUDED.running_seconds, rx_bytes = EXCLUDED.rx_bytes, tx_bytes = EXCLUDED.tx_bytes,
       rx_packets = EXCLUDED.rx_packets, tx_packets = EXCLUDED.tx_packets, cpu_seconds = EXCLUDED.cpu_seconds,
       counted = EXCLUDED.counted, version = EXCLUDED.version, updated_at = now()
     WHERE u.version < EXCLUDED.version
     RETURNING instance_id, (extract(epoch FROM hour_start) * 1000)::bigint AS hour_start_ms`,
    [JSON.stringify(values)],
  );
  const written = new Set(result.rows.map((row) => usageKey(row.instance_id, Number(row.hour_start_ms))));
  return states.filter((state) => written.has(usageKey(state.instanceId, state.hourStart)));
}
