import { loadOffsets, type Queryable } from '@tally/db';
import type { Admin } from 'kafkajs';

/** A consumer group and the topic whose end it must have reached. */
export interface GroupTopic {
  readonly groupId: string;
  readonly topic: string;
}

/**
 * Whether every group's offsets stored in PostgreSQL (with its results) have reached the topic's end as of now.
 * A partition never written is caught up; one with records but no stored offset is not.
 *
 * @example
 * await caughtUp(admin, pool, [{ groupId: 'billing', topic: 'usage.hourly.v1' }]); // true
 */
export async function caughtUp(admin: Admin, db: Queryable, groups: readonly GroupTopic[]): Promise<boolean> {
  for (const { groupId, topic } of groups) {
    const ends = await admin.fetchTopicOffsets(topic);
    const stored = await loadOffsets(db, groupId, topic);
    for (const { partition, high, low } of ends) {
      if (BigInt(high) === BigInt(low)) continue;
      const next = stored.get(partition);
      if (next === undefined || BigInt(next) < BigInt(high)) return false;
    }
  }
  return true;
}
