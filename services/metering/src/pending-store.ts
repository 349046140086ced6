import type { Queryable } from '@tally/db';
import { trafficSample } from '@tally/records';
import { diffPending } from './pending-diff.ts';
import type { HeldSample } from './pending-samples.ts';

/** One traffic.samples partition as one metering group handles it. */
export interface PartitionRef {
  readonly groupId: string;
  readonly topic: string;
  readonly partition: number;
}

/**
 * Locks the partition's row until the transaction ends, so a batch commit and the pending-sample timer never
 * read and write the same partition's state at once (in this process or another one during a rebalance).
 * Everything in this file belongs to one partition and is touched only under this lock; instance-hours are
 * shared between partitions and carry their own row locks (usage-store.ts).
 */
export async function lockPartition(db: Queryable, ref: PartitionRef): Promise<void> {
  const key = [ref.groupId, ref.topic, ref.partition];
  await db.query(
    'INSERT INTO metering_partitions (group_id, topic, partition) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
    key,
  );
  await db.query(
    'SELECT 1 FROM metering_partitions WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE',
    key,
  );
}

/** A partition's waiting samples as loaded, oldest first, and the seq each is stored under. */
export interface StoredPending {
  readonly held: HeldSample[];
  readonly seqs: Map<HeldSample, number>;
}

/** The samples of this partition waiting for the inventory, oldest first. */
export async function loadPending(db: Queryable, ref: PartitionRef): Promise<StoredPending> {
  const result = await db.query<{ seq: number; sample: unknown; held_at: string }>(
    `SELECT seq, sample, held_at FROM metering_pending WHERE group_id = $1 AND topic = $2 AND partition = $3
     ORDER BY seq`,
    [ref.groupId, ref.topic, ref.partition],
  );
  const seqs = new Map<HeldSample, number>();
  for (const row of result.rows)
    seqs.set({ sample: trafficSample.parse(row.sample), heldAt: Number(row.held_at) }, row.seq);
  return { held: [...seqs.keys()], seqs };
}

/**
 * Makes the partition's stored waiting samples equal `held`: deletes the rows that left and inserts the new
 * ones (see `diffPending`), so a batch writes only what changed.
 */
export async function savePending(
  db: Queryable,
  ref: PartitionRef,
  stored: StoredPending,
  held: readonly HeldSample[],
): Promise<void> {
  const key = [ref.groupId, ref.topic, ref.partition];
  const { deleted, inserted } = diffPending(stored.seqs, held);
  if (deleted.length > 0) {
    await db.query(
      'DELETE FROM metering_pending WHERE group_id = $1 AND topic = $2 AND partition = $3 AND seq = ANY($4::int[])',
      [...key, deleted],
    );
  }
  if (inserted.length === 0) return;
  await db.query(
    `INSERT INTO metering_pending (group_id, topic, partition, seq, sample, held_at)
     SELECT $1, $2, $3, h.seq, h.sample, h.held_at
     FROM unnest($4::int[], $5::jsonb[], $6::bigint[]) AS h(seq, sample, held_at)`,
    [
      ...key,
      inserted.map((row) => row.seq),
      inserted.map((row) => JSON.stringify(row.entry.sample)),
      inserted.map((row) => row.entry.heldAt),
    ],
  );
}

/** Partitions of a group's topic that hold waiting samples. */
export async function partitionsWithPending(db: Queryable, groupId: string, topic: string): Promise<number[]> {
  const result = await db.query<{ partition: number }>(
    'SELECT DISTINCT partition FROM metering_pending WHERE group_id = $1 AND topic = $2 ORDER BY partition',
    [groupId, topic],
  );
  return result.rows.map((row) => row.partition);
}
