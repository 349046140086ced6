import type { Queryable } from '@tally/db';

export interface OutboxEntry {
  readonly key: string;
  readonly value: unknown;
}

/**
 * `enqueueOutbox` for many records in one statement (same table, same row shape, order kept): a batch of
 * samples can change thousands of instance-hours, and one round trip per row would dominate the commit.
 */
export async function enqueueOutboxBatch(db: Queryable, topic: string, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO outbox (topic, key, payload)
     SELECT $1, e.key, e.payload FROM unnest($2::text[], $3::jsonb[]) WITH ORDINALITY AS e(key, payload, n)
     ORDER BY e.n`,
    [topic, entries.map((entry) => entry.key), entries.map((entry) => JSON.stringify(entry.value))],
  );
}
