import type { StreamProgress } from '@tally/fsm';
import { loadOffsets, type Queryable } from '@tally/db';
import type { Admin } from 'kafkajs';

/** One input of the watermark: a topic, the group reading it, and what its hours mean. */
export interface WatermarkInput {
  readonly topic: string;
  readonly groupId: string;
  /** usage.hourly and billing.hourly: their hours say how far the pipeline has completed. */
  readonly clock: boolean;
  /** false for accounts: reference data without an event hour, so while it is behind it holds everything. */
  readonly hasHours: boolean;
}

/**
 * What each input partition contributes to the watermark: its latest event hour read, and whether the group's
 * offsets stored with abuse's tables have reached the partition's end (read in that order: the end first, so
 * "caught up" means every record that existed then is applied). An empty partition is caught up.
 */
export async function streamProgress(
  admin: Admin,
  db: Queryable,
  inputs: readonly WatermarkInput[],
): Promise<StreamProgress[]> {
  const streams: StreamProgress[] = [];
  for (const input of inputs) {
    const ends = await admin.fetchTopicOffsets(input.topic);
    const stored = await loadOffsets(db, input.groupId, input.topic);
    const latest = await db.query<{ partition: number; latest_hour: string }>(
      'SELECT partition, latest_hour FROM abuse_progress WHERE topic = $1',
      [input.topic],
    );
    const hours = new Map(latest.rows.map((row) => [row.partition, Number(row.latest_hour)]));
    for (const { partition, high, low } of ends) {
      const next = stored.get(partition);
      const caughtUp = BigInt(high) === BigInt(low) || (next !== undefined && BigInt(next) >= BigInt(high));
      streams.push({ latestHour: input.hasHours ? hours.get(partition) : undefined, caughtUp, clock: input.clock });
    }
  }
  return streams;
}
