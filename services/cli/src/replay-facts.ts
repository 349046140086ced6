import { loadOffsets, type Queryable } from '@tally/db';
import type { Admin } from 'kafkajs';
import type { PartitionFacts } from './replay-plan.ts';
import type { ReplayTarget } from './replay-targets.ts';

/** `--from` / `--to`: the first offsets (earliest) or a time in epoch ms. */
export type ReplayPoint = 'earliest' | number;

/**
 * What the broker and PostgreSQL say about each partition of a target: stored offset, log start and end, and the
 * offsets `--from` and `--to` resolve to (by record timestamp: the first record at or after that time).
 *
 * @example
 * await partitionFacts(admin, pool, target, Date.parse('2026-11-30T10:00:00Z'), undefined);
 */
export async function partitionFacts(
  admin: Admin,
  db: Queryable,
  target: ReplayTarget,
  from: ReplayPoint,
  to: number | undefined,
): Promise<PartitionFacts[]> {
  const ends = await admin.fetchTopicOffsets(target.topic);
  const atFrom = from === 'earliest' ? undefined : await byTimestamp(admin, target.topic, from);
  const atTo = to === undefined ? undefined : await byTimestamp(admin, target.topic, to);
  const stored = await loadOffsets(db, target.group, target.topic);
  return ends
    .map((end) => ({
      partition: end.partition,
      stored: stored.get(end.partition),
      low: end.low,
      high: end.high,
      from: atFrom?.get(end.partition) ?? end.low,
      to: atTo?.get(end.partition),
    }))
    .sort((a, b) => a.partition - b.partition);
}

async function byTimestamp(admin: Admin, topic: string, at: number): Promise<Map<number, string>> {
  const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, at);
  return new Map(offsets.map((o) => [o.partition, o.offset]));
}
