import type { Consumer } from 'kafkajs';
import type { Logger } from '@tally/log';

export interface OffsetHints {
  /** Records that `partition` is stored up to `offset`; committed to Kafka within the interval. */
  note(partition: number, offset: string): void;
  /** Commits what is noted now, and from now on each note at once (on stop: a batch finishing meanwhile counts). */
  flush(): Promise<void>;
  /** Drops what is noted and not yet sent (the partitions may belong to another member after a rebalance). */
  forget(): void;
}

/**
 * Kafka's committed offsets of a Tally group are only a hint for lag tools (the database holds the truth), so they
 * are sent at most once per `intervalMs`, all partitions in one request, instead of one round trip per batch; the
 * last batch's offset still goes out within the interval, because a noted offset arms a timer.
 */
export function offsetHints(consumer: Consumer, topic: string, intervalMs: number, log: Logger): OffsetHints {
  const noted = new Map<number, string>();
  let timer: NodeJS.Timeout | undefined;
  let immediate = intervalMs <= 0;
  let inFlight: Promise<void> = Promise.resolve();

  const send = (): Promise<void> => {
    timer = undefined;
    if (noted.size === 0) return inFlight;
    const offsets = [...noted].map(([partition, offset]) => ({ topic, partition, offset }));
    noted.clear();
    inFlight = inFlight
      .then(() => consumer.commitOffsets(offsets))
      .catch((error: unknown) => log.warn({ err: error, topic }, 'could not commit the offset hint to Kafka'));
    return inFlight;
  };

  return {
    note(partition, offset) {
      noted.set(partition, offset);
      if (immediate) {
        void send();
        return;
      }
      timer ??= setTimeout(() => void send(), intervalMs).unref();
    },
    flush() {
      immediate = true;
      if (timer !== undefined) clearTimeout(timer);
      return send();
    },
    forget() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      noted.clear();
    },
  };
}
