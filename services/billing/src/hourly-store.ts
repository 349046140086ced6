import type { Queryable } from '@tally/db';
import { billingKey, type BillingHourly } from '@tally/records';
import type { MonthPosition } from './account-hours.ts';

/** The month position to store with an account-hour. */
export interface Positioned {
  readonly accountId: string;
  readonly hourStart: number;
  readonly position: MonthPosition;
}

/** Stores and publishes computed values (clearing their parked rows) and parks the hours that could not be priced. */
export async function storeHourly(
  db: Queryable,
  topic: string,
  computed: readonly BillingHourly[],
  pending: readonly { accountId: string; hourStart: number; reason: string }[],
  positions: readonly Positioned[],
): Promise<void> {
  if (computed.length === 0 && pending.length === 0 && positions.length === 0) return;
  const positionOf = new Map(positions.map((p) => [`${p.accountId}|${p.hourStart}`, p.position]));
  const written = new Set(computed.map((v) => `${v.accountId}|${v.hourStart}`));
  // Hours recomputed to the same value (or that failed with a stored value) keep it; their position may have moved.
  const moved = positions.filter((p) => !written.has(`${p.accountId}|${p.hourStart}`));
  // One statement (each value sent once, for the table and the outbox): the rows each part writes are disjoint.
  // Each part's rows travel as one JSON document (json_to_recordset), not as jsonb[]/text[] parameters: node-postgres
  // writes an array as a literal, escaping every quote of every JSON value in JavaScript, which cost more than the
  // rest of the statement.
  await db.query(
    `WITH v AS (
       SELECT * FROM json_to_recordset($2::json)
         AS v(account_id text, hour_start bigint, version bigint, value jsonb, position jsonb, key text, n int)),
     stored AS (
       INSERT INTO billing_hourly (account_id, hour_start, version, value, position)
       SELECT account_id, hour_start, version, value, position FROM v
       ON CONFLICT (account_id, hour_start) DO UPDATE
         SET version = EXCLUDED.version, value = EXCLUDED.value, position = EXCLUDED.position),
     unparked AS (
       DELETE FROM billing_pending_hours p USING v WHERE p.account_id = v.account_id AND p.hour_start = v.hour_start),
     moved AS (
       UPDATE billing_hourly h SET position = k.position
       FROM json_to_recordset($3::json) AS k(account_id text, hour_start bigint, position jsonb)
       WHERE h.account_id = k.account_id AND h.hour_start = k.hour_start),
     parked AS (
       INSERT INTO billing_pending_hours (account_id, hour_start, reason)
       SELECT account_id, hour_start, reason
       FROM json_to_recordset($4::json) AS k(account_id text, hour_start bigint, reason text)
       ON CONFLICT (account_id, hour_start) DO UPDATE SET reason = EXCLUDED.reason)
     INSERT INTO outbox (topic, key, payload) SELECT $1, v.key, v.value FROM v ORDER BY v.n`,
    [
      topic,
      JSON.stringify(
        computed.map((v, n) => ({
          account_id: v.accountId,
          hour_start: v.hourStart,
          version: v.version,
          value: v,
          position: positionOf.get(`${v.accountId}|${v.hourStart}`) ?? null,
          key: billingKey(v.accountId, v.hourStart),
          n,
        })),
      ),
      JSON.stringify(moved.map((p) => ({ account_id: p.accountId, hour_start: p.hourStart, position: p.position }))),
      JSON.stringify(pending.map((p) => ({ account_id: p.accountId, hour_start: p.hourStart, reason: p.reason }))),
    ],
  );
}
