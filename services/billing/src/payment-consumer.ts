import { advanceOffset, inTransaction, loadOffsets } from '@tally/db';
import type { ConsumedRecord, ConsumerSpec } from '@tally/kafka';
import type { Payment } from '@tally/records';
import { map } from '@tally/stream';
import type { BillingConsumerOptions } from './consumer-context.ts';
import { insertPayments } from './reference-tables.ts';

/** payments → billing_payments (once per payment id); invoice status is derived from them on read (invoiceStatus). */
export function paymentConsumerSpec(options: BillingConsumerOptions<Payment>): ConsumerSpec<Payment, Payment> {
  const { pool, groupId } = options;
  return {
    service: options.service,
    groupId,
    topic: options.topic,
    codec: options.codec,
    sessionTimeoutMs: options.sessionTimeoutMs,
    maxBytesPerPartition: options.maxBytesPerPartition,
    loadOffsets: (topic) => loadOffsets(pool, groupId, topic),
    pipeline: () => map((record: ConsumedRecord<Payment>) => record.value),
    commit: (results, offsets) =>
      inTransaction(pool, async (client) => {
        await insertPayments(client, results);
        await advanceOffset(client, groupId, offsets.topic, offsets.partition, offsets.from, offsets.to);
      }),
  };
}
