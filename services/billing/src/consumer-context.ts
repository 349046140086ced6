import type { Pool } from '@tally/db';
import { poison, type ConsumedRecord, type PipelineContext, type ValueCodec } from '@tally/kafka';
import type { Failure, SideOutput } from '@tally/stream';

/** What every billing consumer needs. */
export interface BillingConsumerOptions<T> {
  readonly service: string;
  readonly groupId: string;
  readonly topic: string;
  readonly codec: ValueCodec<T>;
  readonly pool: Pool;
  readonly sessionTimeoutMs: number;
  readonly maxBytesPerPartition: number;
}

/** The fields every billing consumer passes to `transactionalConsumerSpec` unchanged. */
export function consumerBasics<T>(options: BillingConsumerOptions<T>) {
  const { service, groupId, topic, codec, pool, sessionTimeoutMs, maxBytesPerPartition } = options;
  return { service, groupId, topic, codec, pool, sessionTimeoutMs, maxBytesPerPartition };
}

/** The sink for tryMap failures: the record goes to the dead-letter topic as poison of the error's class. */
export function toDeadLetters<T>(context: PipelineContext): SideOutput<Failure<ConsumedRecord<T>>> {
  return {
    emit: ({ input, error }) =>
      context.deadLetters.emit({
        record: input.raw,
        error: poison(error instanceof Error ? error.name : 'BusinessRule', String(error)),
      }),
  };
}
