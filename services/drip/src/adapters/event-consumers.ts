import { hourOf } from '@tally/fsm';
import type { Pool } from '@tally/db';
import { transactionalConsumerSpec, type ConsumerSpec, type ValueCodec } from '@tally/kafka';
import { eventTime, type FactEvent } from '../core/events.ts';
import { bufferEvents, recordProgress } from './event-store.ts';

export interface InputOptions<T> {
  readonly service: string;
  readonly groupId: string;
  readonly topic: string;
  readonly codec: ValueCodec<T>;
  readonly pool: Pool;
  /** The record as a drip event (pure). */
  readonly eventOf: (value: T) => FactEvent;
  /** Whether the partition's latest event hour feeds the watermark (false for accounts: createdAt is not progress). */
  readonly tracksHours: boolean;
  readonly sessionTimeoutMs?: number;
}

/**
 * An input topic → drip_events (buffered until the watermark passes their hour), with the partition's latest event
 * hour, in one transaction with the offsets (invariant 2): each record is buffered exactly once, however often the
 * consumer crashes. The decider applies and deletes the events.
 */
export function eventConsumerSpec<T>(options: InputOptions<T>): ConsumerSpec<T, T> {
  const { eventOf, tracksHours, ...rest } = options;
  return transactionalConsumerSpec<T>({
    ...rest,
    apply: async (client, values, offsets) => {
      const events = values.map((value) => {
        const event = eventOf(value);
        return { accountId: event.accountId, hour: hourOf(eventTime(event)), event };
      });
      await bufferEvents(client, events);
      if (tracksHours && events.length > 0) {
        const latest = Math.max(...events.map((event) => event.hour));
        await recordProgress(client, offsets.topic, offsets.partition, latest);
      }
    },
  });
}
