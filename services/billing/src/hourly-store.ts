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
  await db.query(
    `WITH v AS (
       SELECT * FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::jsonb[], $6::jsonb[], $7::text[])
         WITH ORDINALITY AS v(account_id, hour_start, version, value, position, key, n)),
     stored AS (
       INSERT INTO billing_hourly (account_id, hour_start, version, value, position)
       SELECT account_id, hour_start, version, value, position FROM v
       ON CONFLICT (account_id, hour_start) DO UPDATE
         SET version = EXCLUDED.version, value = EXCLUDED.value, position = EXCLUDED.position),
     unparked AS (
       DELETE FROM billing_pending_hours p USING v WHERE p.account_id = v.account_id AND p.hour_start = v.hour_start),
     moved AS (
       UPDATE billing_hourly h SET position = k.position
       FROM unnest($8::text[], $9::bigint[], $10::jsonb[]) AS k(account_id, hour_start, position)
       WHERE h.account_id = k.account_id AND h.hour_start = k.hour_start),
     parked AS (
       INSERT INTO billing_pending_hours (account_id, hour_start, reason)
       SELECT * FROM unnest($11::text[], $12::bigint[], $13::text[])
       ON CONFLICT (account_id, hour_start) DO UPDATE SET reason = EXCLUDED.reason)
     INSERT INTO outbox (topic, key, payload) SELECT $1, v.key, v.value FROM v ORDER BY v.n`,
    [
      topic,
      computed.map((v) => v.accountId),
      computed.map((v) => v.hourStart),
      computed.map((v) => v.version),
      computed.map((v) => JSON.stringify(v)),
      computed.map((v) => {
        const position = positionOf.get(`${v.accountId}|${v.hourStart}`);
        return position === undefined ? null : JSON.stringify(position);
      }),
      computed.map((v) => billingKey(v.accountId, v.hourStart)),
      moved.map((p) => p.accountId),
      moved.map((p) => p.hourStart),
      moved.map((p) => JSON.stringify(p.position)),
      pending.map((p) => p.accountId),
      pending.map((p) => p.hourStart),
      pending.map((p) => p.reason),
    ],
  );
}
