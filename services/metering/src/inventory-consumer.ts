import { advanceOffset, inTransaction, loadOffsets, type Pool } from '@tally/db';
import type { ConsumedRecord, ConsumerSpec, ValueCodec } from '@tally/kafka';
import type { Instance } from '@tally/records';
import { map } from '@tally/stream';
import { upsertInstances } from './inventory-store.ts';

export interface InventoryConsumerOptions {
  readonly service: string;
  readonly groupId: string;
  readonly topic: string;
  readonly codec: ValueCodec<Instance>;
  readonly pool: Pool;
  readonly sessionTimeoutMs: number;
}

/**
 * inventory.instances → the inventory table (newer updatedAt wins), with the offsets in the same transaction.
 * Samples waiting for an instance are released by the pending-sample timer, not here: they belong to
 * traffic.samples partitions, whose state only their own lock may touch.
 */
export function inventoryConsumerSpec(options: InventoryConsumerOptions): ConsumerSpec<Instance, Instance> {
  const { pool, groupId } = options;
  return {
    service: options.service,
    groupId,
    topic: options.topic,
    codec: options.codec,
    sessionTimeoutMs: options.sessionTimeoutMs,
    loadOffsets: (topic) => loadOffsets(pool, groupId, topic),
    pipeline: () => map((record: ConsumedRecord<Instance>) => record.value),
    commit: (records, offsets) =>
      inTransaction(pool, async (client) => {
        await upsertInstances(client, records);
        await advanceOffset(client, groupId, offsets.topic, offsets.partition, offsets.from, offsets.to);
      }),
  };
}
