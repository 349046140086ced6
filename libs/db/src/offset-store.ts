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
