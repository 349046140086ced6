import { transactionalConsumerSpec, type ConsumerSpec } from '@tally/kafka';
import type { UsageHourly } from '@tally/records';
import { consumerBasics, type BillingConsumerOptions } from './consumer-context.ts';
import { markDirty } from './dirty-accounts.ts';
import { refreshAccountHours, type AccountHourKey } from './hourly-refresh.ts';
import { lockPricesShared } from './hourly-locks.ts';
import { latestUsage } from './latest-usage.ts';
import { loadPriceBook } from './reference-tables.ts';
import { upsertUsage } from './usage-table.ts';

export interface UsageConsumerOptions extends BillingConsumerOptions<UsageHourly> {
  /** billing.hourly topic name (outbox rows). */
  readonly billingHourlyTopic: string;
  readonly clock: () => number;
  /**
   * Coalescing across fetches: see ConsumerSpec.commitIntervalMs (0 or absent: one commit per fetch). `apply` is
   * correct on the concatenated results of consecutive fetches: it keeps the latest value per instance-hour
   * (latestUsage) whatever the order, so the store ends as if the fetches were committed one by one.
   */
  readonly commitIntervalMs?: number;
  readonly commitMaxRecords?: number;
}

/**
 * usage.hourly → billing_usage, billing_hourly (+ outbox to billing.hourly) and draft marks, with the next offset,
 * in one transaction per batch. Versions decide (an older value never overwrites a newer); a value that changes
 * nothing recomputes nothing. Usage of an unknown account or without a price in force is kept and billed later
 * (parked account-hours, drafts with a problem), never dead-lettered: it is valid data that arrived first.
 */
export function usageConsumerSpec(options: UsageConsumerOptions): ConsumerSpec<UsageHourly, UsageHourly> {
  return transactionalConsumerSpec({
    ...consumerBasics(options),
    ...(options.commitIntervalMs === undefined || options.commitIntervalMs === 0
      ? {}
      : { commitIntervalMs: options.commitIntervalMs }),
    ...(options.commitMaxRecords === undefined ? {} : { commitMaxRecords: options.commitMaxRecords }),
    apply: async (client, results) => {
      const changed = await upsertUsage(client, latestUsage(results));
      const keys: AccountHourKey[] = [];
      for (const { record, previousAccountId } of changed) {
        keys.push({ accountId: record.accountId, hourStart: record.hourStart });
        if (previousAccountId !== undefined) keys.push({ accountId: previousAccountId, hourStart: record.hourStart });
      }
      if (keys.length > 0) {
        await lockPricesShared(client);
        const prices = await loadPriceBook(client);
        await refreshAccountHours(client, keys, {
          topic: options.billingHourlyTopic,
          prices,
          clock: options.clock,
        });
        await markDirty(
          client,
          keys.map((k) => k.accountId),
        );
      }
    },
  });
}
