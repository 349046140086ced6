import type { Kafka, Producer } from 'kafkajs';
import { keyPartitioner } from './key-partitioner.ts';

/**
 * An idempotent producer: the broker drops retried duplicates. kafkajs needs one request in flight for
 * that. The partitioner is murmur2 over the key, the same as the Java client's and kafkajs's default, so a key
 * lands on the same partition whoever writes it (key-partitioner.ts computes it without kafkajs's Long objects).
 *
 * How it behaves with sized sends (sized-send.ts): kafkajs takes a lock per broker for each produce request of an
 * idempotent producer and gives a partition's sequence numbers back when a request fails, so a request the broker
 * refuses (MESSAGE_TOO_LARGE, not retriable) leaves the producer usable and the next request in sequence. Retriable
 * errors are retried by kafkajs within the client's retry budget (client.ts; kafkajs warns that a bounded budget
 * weakens idempotence: a resend after the budget is a new send, which our callers make harmless, since dead letters
 * may repeat and outbox values are full and versioned). Chunks are awaited one after the other, so a later chunk
 * never overtakes an earlier one, and a retry resends the same messages in the same order.
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: keyPartitioner,
  });
}
