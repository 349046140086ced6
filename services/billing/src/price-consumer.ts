import { assertValidPricingModel } from '@tally/money';
import { transactionalConsumerSpec, type ConsumedRecord, type ConsumerSpec } from '@tally/kafka';
import type { PriceEntry } from '@tally/records';
import { tryMap } from '@tally/stream';
import { consumerBasics, toDeadLetters, type BillingConsumerOptions } from './consumer-context.ts';
import { markDirty, markDirtyByCurrency } from './dirty-accounts.ts';
import { lockPricesExclusive } from './hourly-locks.ts';
import { pendingAccountHours, refreshAccountHours } from './hourly-refresh.ts';
import { changedPrices, markHoursStaleForPrices } from './price-stale-hours.ts';
import { loadPriceBook, upsertPrices } from './reference-tables.ts';

export interface PriceConsumerOptions extends BillingConsumerOptions<PriceEntry> {
  readonly billingHourlyTopic: string;
  readonly clock: () => number;
}

/**
 * prices → billing_prices. An entry whose pricing model is invalid goes to the dead-letter topic. A new price can
 * make parked account-hours billable (recomputed here), changes drafts in its currency (marked), and, when it applies
 * to hours already stored (backdated, or arriving after usage in a rebuild), their billing.hourly values: those
 * accounts are marked stale for refreshStaleHours, for new or changed entries only (re-reading stored prices marks
 * nothing), before the parked hours are computed (which may fold the mark in).
 */
export function priceConsumerSpec(options: PriceConsumerOptions): ConsumerSpec<PriceEntry, PriceEntry> {
  return transactionalConsumerSpec({
    ...consumerBasics(options),
    pipeline: (context) =>
      tryMap((record: ConsumedRecord<PriceEntry>) => {
        assertValidPricingModel(record.value.model);
        return record.value;
      }, toDeadLetters<PriceEntry>(context)),
    apply: async (client, results) => {
      if (results.length > 0) {
        await lockPricesExclusive(client);
        const changed = await changedPrices(client, results);
        await upsertPrices(client, results);
        await markHoursStaleForPrices(client, changed);
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
    },
  });
}
