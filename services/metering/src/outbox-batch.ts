import type { Queryable } from '@tally/db';

export interface OutboxEntry {
  readonly key: string;
  readonly value: unknown;
}

/**
 * `enqueueOutbox` for many records in one statement (same table, same row shape, order kept): a batch of
 * samples can change thousands of instance-hours, and one round trip per row would dominate the commit.
 * The values travel as one JSON array, not a `jsonb[]` literal: every quote of every value would be escaped
 * in the array literal and unescaped again by the server, which cost more than the insert.
 */
export async function enqueueOutboxBatch(db: Queryable, topic: string, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db.query(
    `INSERT INTO outbox (topic, key, payload)
     SELECT $1, k.key, v.payload::jsonb
     FROM unnest($2::text[]) WITH ORDINALITY AS k(key, n)
     JOIN json_array_elements($3::json) WITH ORDINALITY AS v(payload, n) USING (n)
     ORDER BY n`,
    [topic, entries.map((entry) => entry.key), JSON.stringify(entries.map((entry) => entry.value))],
  );
}
