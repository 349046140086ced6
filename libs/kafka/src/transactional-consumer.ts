import { advanceOffset, inTransaction, loadOffsets, type Pool, type PoolClient } from '@tally/db';
import { map, type Transducer } from '@tally/stream';
import type { ConsumedRecord } from './consumed-record.ts';
import type { BatchOffsets, ConsumerSpec, PipelineContext } from './consumer-runtime.ts';

/** What `transactionalConsumerSpec` adds to a ConsumerSpec: where offsets live and what a batch writes. */
interface TransactionalParts<R, A> {
  /** Holds the results and the consumer_offsets table. */
  pool: Pool;
  /**
   * Writes one batch's results with `client`, inside the transaction that then advances the partition's offset
   * from `offsets.from` to `offsets.to`. Throwing rolls both back; the runtime retries or isolates the batch.
   */
  apply: (client: PoolClient, results: R[], offsets: BatchOffsets) => Promise<A>;
  /** Runs after the commit with what `apply` returned (logs, metrics): never for a batch that rolled back. */
  committed?: (outcome: A, offsets: BatchOffsets) => void;
}

type Rest<T, R> = Omit<ConsumerSpec<T, R>, 'commit' | 'loadOffsets' | 'pipeline'>;

export type TransactionalConsumerOptions<T, R, A = void> = Rest<T, R> &
  TransactionalParts<R, A> & {
    /** Shapes each batch; without it the results are the decoded values. */
    pipeline: (context: PipelineContext) => Transducer<ConsumedRecord<T>, R>;
  };

export type ValueConsumerOptions<T, A = void> = Rest<T, T> & TransactionalParts<T, A> & { pipeline?: undefined };

/**
 * A consumer whose results are written to PostgreSQL with its offsets, exactly once (invariant 2): offsets are
 * loaded from `consumer_offsets` of `pool`, and each batch runs `apply` and `advanceOffset` in one transaction,
 * fenced on the offset the batch started from. Every other ConsumerSpec field passes through.
 *
 * @example
 * const spec = transactionalConsumerSpec({
 *   service: 'billing', groupId: 'billing-payments', topic: 'payments.v1', codec, pool,
 *   apply: (client, payments) => insertPayments(client, payments),
 * });
 * await runConsumer(spec, deps);
 */
export function transactionalConsumerSpec<T, A = void>(options: ValueConsumerOptions<T, A>): ConsumerSpec<T, T>;
export function transactionalConsumerSpec<T, R, A = void>(
  options: TransactionalConsumerOptions<T, R, A>,
): ConsumerSpec<T, R>;
export function transactionalConsumerSpec<T, R, A>(
  options: TransactionalConsumerOptions<T, R, A> | ValueConsumerOptions<T, A>,
): ConsumerSpec<T, R> | ConsumerSpec<T, T> {
  if (options.pipeline === undefined) {
    return build<T, T, A>({ ...options, pipeline: () => map((record: ConsumedRecord<T>) => record.value) });
  }
  return build(options);
}

function build<T, R, A>(options: TransactionalConsumerOptions<T, R, A>): ConsumerSpec<T, R> {
  const { pool, apply, committed, ...rest } = options;
  const { groupId } = options;
  return {
    ...rest,
    loadOffsets: (topic) => loadOffsets(pool, groupId, topic),
    commit: async (results, offsets) => {
      const outcome = await inTransaction(pool, async (client) => {
        const applied = await apply(client, results, offsets);
        await advanceOffset(client, groupId, offsets.topic, offsets.partition, offsets.from, offsets.to);
        return applied;
      });
      committed?.(outcome, offsets);
    },
  };
}
