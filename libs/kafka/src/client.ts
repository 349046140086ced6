import { Kafka, logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '@tally/log';

/** A kafkajs client whose log lines go to pino, so every process has one structured log. */
export function createKafka(clientId: string, brokers: string[], log: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers,
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
