import type { Hour } from '@tally/fsm';
import type { Queryable } from '@tally/db';
import type { DripEvent, FactEvent } from '../core/events.ts';

/** A buffered event with its row id (deleted once applied). */
export interface StoredEvent {
  readonly id: string;
  readonly accountId: string;
  readonly event: DripEvent;
}

/** Buffers events until the watermark passes their hour; called in the consumer's transaction. */
export async function bufferEvents(
  db: Queryable,
  events: readonly { accountId: string; hour: Hour; event: FactEvent }[],
): Promise<void> {
  if (events.length === 0) return;
  await db.query(
    `INSERT INTO drip_events (account_id, hour, event)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::jsonb[])`,
    [events.map((e) => e.accountId), events.map((e) => e.hour), events.map((e) => JSON.stringify(e.event))],
  );
}

/** Moves a partition's latest event hour forward (never back); called in the consumer's transaction. */
export async function recordProgress(db: Queryable, topic: string, partition: number, hour: Hour): Promise<void> {
  await db.query(
    `INSERT INTO drip_progress (topic, partition, latest_hour) VALUES ($1, $2, $3)
     ON CONFLICT (topic, partition) DO UPDATE SET latest_hour = GREATEST(drip_progress.latest_hour, EXCLUDED.latest_hour)`,
    [topic, partition, hour],
  );
}

/** The buffered events of `accounts` whose hour is below `mark`, in the order they were stored. */
export async function loadEvents(db: Queryable, accounts: readonly string[], mark: Hour): Promise<StoredEvent[]> {
  const result = await db.query<{ id: string; account_id: string; event: DripEvent }>(
    'SELECT id, account_id, event FROM drip_events WHERE account_id = ANY($1::text[]) AND hour < $2 ORDER BY id',
    [accounts, mark],
  );
  return result.rows.map((row) => ({ id: row.id, accountId: row.account_id, event: row.event }));
}

export async function deleteEvents(db: Queryable, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.query('DELETE FROM drip_events WHERE id = ANY($1::bigint[])', [ids]);
}
