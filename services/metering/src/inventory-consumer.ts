import type { Pool } from '@tally/db';
import { transactionalConsumerSpec, type ConsumerSpec, type ValueCodec } from '@tally/kafka';
import type { Instance } from '@tally/records';
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
  const { service, groupId, topic, codec, pool, sessionTimeoutMs } = options;
  return transactionalConsumerSpec({
    service,
    groupId,
    topic,
    codec,
    pool,
    sessionTimeoutMs,
    apply: async (client, records) => {
      await upsertInstances(client, records);
    },
  });
}
