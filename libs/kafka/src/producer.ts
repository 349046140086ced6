import { Partitioners, type Kafka, type Producer } from 'kafkajs';

/**
 * An idempotent producer: the broker drops retried duplicates. kafkajs needs one request in flight for
 * that. The default partitioner is murmur2 over the key, the same as the Java client's, so a key lands
 * on the same partition whoever writes it.
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
}
