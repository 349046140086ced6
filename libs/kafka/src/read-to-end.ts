import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface TopicRecord {
  partition: number;
  message: KafkaMessage;
}

/**
 * Reads a topic from `startAt` (per partition, default the beginning) up to the high watermarks taken
 * when the call starts, then returns. For operator commands: nothing is committed.
 */
export async function readToEnd(
  kafka: Kafka,
  topic: string,
  startAt: ReadonlyMap<number, string> = new Map(),
  /** Called after each batch with the records kept so far and the offsets to cover in all (long reads show it). */
  onProgress?: (read: number, total: bigint) => void,
): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const remaining = new Set(
    [...ends]
      .filter(([partition, high]) => high > BigInt(startAt.get(partition) ?? '0'))
      .map(([partition]) => partition),
  );
  if (remaining.size === 0) return [];
  let total = 0n;
  for (const partition of remaining) total += ends.get(partition)! - BigInt(startAt.get(partition) ?? '0');

  const consumer = kafka.consumer({ groupId: `tally-reader-${randomUUID()}` });
  const records: TopicRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ends.get(batch.partition) ?? 0n;
        const from = BigInt(startAt.get(batch.partition) ?? '0');
        for (const message of batch.messages) {
          const offset = BigInt(message.offset);
          if (offset >= from && offset < end) records.push({ partition: batch.partition, message });
        }
        if (BigInt(batch.lastOffset()) + 1n >= end) remaining.delete(batch.partition);
        onProgress?.(records.length, total);
        if (remaining.size === 0) resolve();
        return Promise.resolve();
      },
    });
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const [partition, offset] of startAt) consumer.seek({ topic, partition, offset });
  });
  await done;
  await consumer.disconnect();
  return records.sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)),
  );
}
