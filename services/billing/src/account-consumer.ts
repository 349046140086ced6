import { assertCurrency } from '@tally/money';
import { transactionalConsumerSpec, type ConsumedRecord, type ConsumerSpec } from '@tally/kafka';
import type { Account } from '@tally/records';
import { tryMap } from '@tally/stream';
import { assertTimeZone } from './billing-month.ts';
import { consumerBasics, toDeadLetters, type BillingConsumerOptions } from './consumer-context.ts';
import { markDirty } from './dirty-accounts.ts';
import { lockAccountHours } from './hourly-locks.ts';
import { pendingAccountHours, refreshAccountHours } from './hourly-refresh.ts';
import { loadPriceBook, upsertAccounts } from './reference-tables.ts';

export interface AccountConsumerOptions extends BillingConsumerOptions<Account> {
  readonly billingHourlyTopic: string;
  readonly clock: () => number;
}

/**
 * accounts → billing_accounts. An account with an unknown currency or time zone goes to the dead-letter topic. An
 * account's arrival or change recomputes its parked account-hours and marks its drafts.
 */
export function accountConsumerSpec(options: AccountConsumerOptions): ConsumerSpec<Account, Account> {
  return transactionalConsumerSpec({
    ...consumerBasics(options),
    pipeline: (context) =>
      tryMap((record: ConsumedRecord<Account>) => {
        assertCurrency(record.value.currency);
        assertTimeZone(record.value.timeZone);
        return record.value;
      }, toDeadLetters<Account>(context)),
    apply: async (client, results) => {
      if (results.length > 0) {
        const ids = [...new Set(results.map((a) => a.accountId))];
        await lockAccountHours(client, ids);
        await upsertAccounts(client, results);
        const pending = await pendingAccountHours(client, ids);
        if (pending.length > 0) {
          await refreshAccountHours(client, pending, {
            topic: options.billingHourlyTopic,
            prices: await loadPriceBook(client),
            clock: options.clock,
          });
        }
        await markDirty(client, ids);
      }
    },
  });
}
