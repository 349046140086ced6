import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface OffsetRange {
  readonly partition: number;
  /** First offset to read, and the offset to stop before. */
  readonly from: string;
  readonly to: string;
}

/**
 * Reads the records of each partition in [from, to) with a throwaway group that commits nothing, then returns
 * them in offset order per partition. On a compacted topic some offsets are gone; the range still ends where
 * the broker's batches pass `to`.
 *
 * @example
 * await readRanges(kafka, 'usage.hourly.v1', [{ partition: 0, from: '80', to: '120' }]);
 */
export async function readRanges(
  kafka: Kafka,
  topic: string,
  ranges: readonly OffsetRange[],
  stallMs = 30_000,
): Promise<{ partition: number; message: KafkaMessage }[]> {
  const wanted = new Map(ranges.filter((r) => BigInt(r.to) > BigInt(r.from)).map((r) => [r.partition, r]));
  if (wanted.size === 0) return [];
  const remaining = new Set(wanted.keys());
  const records: { partition: number; message: KafkaMessage }[] = [];
  const consumer = kafka.consumer({ groupId: `tally-cli-range-${randomUUID()}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const range of wanted.values()) consumer.seek({ topic, partition: range.partition, offset: range.from });
    });
    let stall: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve, reject) => {
      // A partition whose remaining records were all compacted away delivers no batch: fail loudly, never hang.
      const arm = () => {
        clearTimeout(stall);
        stall = setTimeout(
          () =>
            reject(
              new Error(`${topic}: no records for ${stallMs} ms while reading partitions ${[...remaining].join(', ')}`),
            ),
          stallMs,
        );
      };
      arm();
      consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
      void consumer.run({
        autoCommit: false,
        eachBatch: ({ batch }) => {
          arm();
          const range = wanted.get(batch.partition);
          if (range === undefined || !remaining.has(batch.partition)) return Promise.resolve();
          const from = BigInt(range.from);
          const to = BigInt(range.to);
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            if (offset >= from && offset < to) records.push({ partition: batch.partition, message });
          }
          if (BigInt(batch.lastOffset()) + 1n >= to || BigInt(batch.highWatermark) <= BigInt(batch.lastOffset()) + 1n) {
            remaining.delete(batch.partition);
          }
          if (remaining.size === 0) {
            clearTimeout(stall);
            resolve();
          }
          return Promise.resolve();
        },
      });
    }).finally(() => clearTimeout(stall));
  } finally {
    await consumer.disconnect();
  }
  return records.sort(
    (a, b) => a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)),
  );
}
