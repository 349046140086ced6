import type { Admin } from 'kafkajs';

export interface PartitionLag {
  topic: string;
  partition: number;
  committed: string | null;
  end: string;
  lag: string;
}

/**
 * Records between a group's committed offset and each partition's end. Tally's consumers commit to
 * Kafka after their database commit, so this is at most one batch behind the true position.
 */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<PartitionLag[]> {
  const [committed, ends] = await Promise.all([
    admin.fetchOffsets({ groupId, topics: [topic] }),
    admin.fetchTopicOffsets(topic),
  ]);
  const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
  return ends
    .map((end) => {
      const offset = byPartition.get(end.partition);
      const position = offset !== undefined && BigInt(offset) >= 0n ? BigInt(offset) : BigInt(end.low);
      return {
        topic,
        partition: end.partition,
        committed: offset !== undefined && BigInt(offset) >= 0n ? offset : null,
        end: end.high,
        lag: (BigInt(end.high) - position).toString(),
      };
    })
    .sort((a, b) => a.partition - b.partition);
}
