import { assertValidPricingModel } from '@tally/money';
import { advanceOffset, inTransaction, loadOffsets } from '@tally/db';
import type { ConsumedRecord, ConsumerSpec } from '@tally/kafka';
import type { PriceEntry } from '@tally/records';
import { tryMap } from '@tally/stream';
import { toDeadLetters, type BillingConsumerOptions } from './consumer-context.ts';
import { markDirty, markDirtyByCurrency } from './dirty-accounts.ts';
import { lockPricesExclusive } from './hourly-locks.ts';
import { pendingAccountHours, refreshAccountHours } from './hourly-refresh.ts';
import { loadPriceBook, upsertPrices } from './reference-tables.ts';

export interface PriceConsumerOptions extends BillingConsumerOptions<PriceEntry> {
  readonly billingHourlyTopic: string;
  readonly clock: () => number;
}

/**
 * prices → billing_prices. An entry whose pricing model is invalid goes to the dead-letter topic. A new price can
 * make parked account-hours billable (recomputed here) and changes drafts in its currency (marked).
 */
export function priceConsumerSpec(options: PriceConsumerOptions): ConsumerSpec<PriceEntry, PriceEntry> {
  const { pool, groupId } = options;
  return {
    service: options.service,
    groupId,
    topic: options.topic,
    codec: options.codec,
    sessionTimeoutMs: options.sessionTimeoutMs,
    maxBytesPerPartition: options.maxBytesPerPartition,
    loadOffsets: (topic) => loadOffsets(pool, groupId, topic),
    pipeline: (context) =>
      tryMap((record: ConsumedRecord<PriceEntry>) => {
        assertValidPricingModel(record.value.model);
        return record.value;
      }, toDeadLetters<PriceEntry>(context)),
    commit: (results, offsets) =>
      inTransaction(pool, async (client) => {
        if (results.length > 0) {
          await lockPricesExclusive(client);
          await upsertPrices(client, results);
          const pending = await pendingAccountHours(client);
          if (pending.length > 0) {
            await refreshAccountHours(client, pending, {
              topic: options.billingHourlyTopic,
              prices: await loadPriceBook(client),
              clock: options.clock,
            });
            await markDirty(
              client,
              pending.map((p) => p.accountId),
            );
          }
          await markDirtyByCurrency(
            client,
            results.map((p) => p.currency),
          );
        }
        await advanceOffset(client, groupId, offsets.topic, offsets.partition, offsets.from, offsets.to);
      }),
  };
}
