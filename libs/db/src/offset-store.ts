import type { Queryable } from './pool.ts';

export interface StoredOffset {
  partition: number;
  /** The offset of the next record to read, as a decimal string (Kafka offsets are 64-bit). */
  nextOffset: string;
}

/** Loads the next offsets a group stored for a topic; partitions never stored are absent. */
export async function loadOffsets(db: Queryable, groupId: string, topic: string): Promise<Map<number, string>> {
  const result = await db.query<{ partition: number; next_offset: string }>(
    'SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
    [groupId, topic],
  );
  return new Map(result.rows.map((row) => [row.partition, row.next_offset]));
}

/** Stores next offsets; call it inside the transaction that writes the results of those records. */
export async function storeOffsets(
  db: Queryable,
  groupId: string,
  topic: string,
  offsets: readonly StoredOffset[],
): Promise<void> {
  if (offsets.length === 0) return;
  await db.query(
    `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)
     SELECT $1, $2, p.partition, p.next_offset FROM unnest($3::int[], $4::bigint[]) AS p(partition, next_offset)
     ON CONFLICT (group_id, topic, partition)
     DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()`,
    [groupId, topic, offsets.map((offset) => offset.partition), offsets.map((offset) => offset.nextOffset)],
  );
}

export class OffsetConflictError extends Error {
  override readonly name = 'OffsetConflictError';
}

/**
 * Moves a partition's stored offset from `expected` to `next`, or fails if another consumer moved it
 * first: the fence that keeps a consumer which lost its partition in a rebalance from applying a
 * batch twice. Call inside the transaction that writes the batch's results; a conflict rolls it back.
 * `expected` undefined means "nothing stored yet".
 */
export async function advanceOffset(
  db: Queryable,
  groupId: string,
  topic: string,
  partition: number,
  expected: string | undefined,
  next: string,
): Promise<void> {
  const result =
    expected === undefined
      ? await db.query(
          `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
           ON CONFLICT (group_id, topic, partition) DO NOTHING`,
          [groupId, topic, partition, next],
        )
      : await db.query(
          `UPDATE consumer_offsets SET next_offset = $5, updated_at = now()
           WHERE group_id = $1 AND topic = $2 AND partition = $3 AND next_offset = $4`,
          [groupId, topic, partition, expected, next],
        );
  if (result.rowCount !== 1) {
    throw new OffsetConflictError(
      `${groupId} ${topic}[${partition}]: stored offset is no longer ${expected ?? '(none)'}; another consumer advanced it`,
    );
  }
}
