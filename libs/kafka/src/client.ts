import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '@tally/log';
import { kafkaSecurityFromEnv, type KafkaSecurity } from './client-security.ts';

/**
 * A kafkajs client whose log lines go to pino, so every process has one structured log. TLS and SASL come from the
 * environment (`KAFKA_SSL`, `KAFKA_SASL_*`, see client-security.ts) unless `security` is given, so every client of
 * every process authenticates the same way.
 */
export function createKafka(
  clientId: string,
  brokers: string[],
  log: Logger,
  security: KafkaSecurity = kafkaSecurityFromEnv(),
): Kafka {
  return new Kafka({
    clientId,
    brokers,
    ...security,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, label, log: entry }: LogEntry) => {
        const { message, ...fields } = entry;
        const target = level <= logLevel.ERROR ? log.error.bind(log) : log.warn.bind(log);
        target({ kafkajs: label, ...fields }, message);
      },
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
  });
}
