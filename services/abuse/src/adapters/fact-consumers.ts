import type { Hour } from '@tally/fsm';
import { transactionalConsumerSpec, type ConsumerSpec, type ValueCodec } from '@tally/kafka';
import type { Pool } from '@tally/db';
import type { Account } from '@tally/records';
import type { Fact } from '../core/facts.ts';
import { recordProgress, storeAccounts, storeFacts } from './fact-store.ts';

export interface InputOptions<T> {
  readonly service: string;
  readonly groupId: string;
  readonly topic: string;
  readonly codec: ValueCodec<T>;
  readonly pool: Pool;
  readonly sessionTimeoutMs?: number;
  readonly maxBytesPerPartition?: number;
}

/**
 * An input topic -> facts waiting for the watermark, with the partition's latest event hour, in one transaction
 * with the offsets (invariant 2): a crash re-reads the batch, and storing its facts again changes nothing.
 */
export function factConsumerSpec<T>(
  options: InputOptions<T> & { factsOf: (value: T) => readonly Fact[]; hourOf: (value: T) => Hour },
): ConsumerSpec<T, T> {
  const { factsOf, hourOf, ...rest } = options;
  return transactionalConsumerSpec<T>({
    ...rest,
    apply: async (client, values, offsets) => {
      await storeFacts(client, values.flatMap(factsOf));
      const latest = values.reduce<Hour | undefined>((max, v) => Math.max(max ?? -Infinity, hourOf(v)), undefined);
      await recordProgress(client, offsets.topic, offsets.partition, latest);
    },
  });
}

/** accounts -> abuse_accounts (reference data). */
export function accountConsumerSpec(options: InputOptions<Account>): ConsumerSpec<Account, Account> {
  return transactionalConsumerSpec<Account>({
    ...options,
    apply: async (client, accounts) => storeAccounts(client, accounts),
  });
}
