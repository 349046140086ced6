import type { StreamProgress } from '@tally/fsm';
import { loadOffsets, type Queryable } from '@tally/db';

/** One input of the watermark: a topic, the group reading it, and what its hours mean. */
export interface WatermarkInput {
  readonly topic: string;
  readonly groupId: string;
  /** billing.hourly: its hours say how far billing has completed. */
  readonly clock: boolean;
  /** false for accounts: no event hour of its own, so while it is behind it holds every decision back. */
  readonly hasHours: boolean;
}

/** A partition's offsets as the broker reports them (kafkajs admin.fetchTopicOffsets). */
export interface PartitionEnds {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

/**
 * What each input partition contributes to the watermark: its latest event hour read, and whether the offsets the
 * group stored with drip's tables have reached the partition's end. `ends` must be fetched before the stored
 * offsets are read, so "caught up" means every record that existed then is buffered. An empty partition is caught up.
 */
export async function streamProgress(
  ends: (topic: string) => Promise<readonly PartitionEnds[]>,
  db: Queryable,
  inputs: readonly WatermarkInput[],
): Promise<StreamProgress[]> {
  const fetched = await Promise.all(inputs.map((input) => ends(input.topic)));
  const streams: StreamProgress[] = [];
  for (const [i, input] of inputs.entries()) {
    const stored = await loadOffsets(db, input.groupId, input.topic);
    const latest = await db.query<{ partition: number; latest_hour: string }>(
      'SELECT partition, latest_hour FROM drip_progress WHERE topic = $1',
      [input.topic],
    );
    const hours = new Map(latest.rows.map((row) => [row.partition, Number(row.latest_hour)]));
    for (const { partition, high, low } of fetched[i]!) {
      const next = stored.get(partition);
      const caughtUp = BigInt(high) === BigInt(low) || (next !== undefined && BigInt(next) >= BigInt(high));
      streams.push({ latestHour: input.hasHours ? hours.get(partition) : undefined, caughtUp, clock: input.clock });
    }
  }
  return streams;
}
