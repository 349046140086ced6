import type { IHeaders, Producer } from 'kafkajs';
import { deadLetterTopicOf } from './catalog.ts';
import { isPoison } from './errors.ts';

export const deadLetterHeaders = {
  errorClass: 'tally.error.class',
  errorMessage: 'tally.error.message',
  sourceTopic: 'tally.source.topic',
  sourcePartition: 'tally.source.partition',
  sourceOffset: 'tally.source.offset',
  service: 'tally.service',
  time: 'tally.time',
} as const;

export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

/** The dead-letter message for a record: original key, bytes and headers, plus why and where from. */
export function deadLetterMessage(record: RawRecord, error: unknown, service: string, now: Date) {
  const errorClass = isPoison(error) ? error.errorClass : error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return {
    key: record.key,
    value: record.value,
    headers: {
      ...record.headers,
      [deadLetterHeaders.errorClass]: errorClass,
      [deadLetterHeaders.errorMessage]: message.slice(0, 4000),
      [deadLetterHeaders.sourceTopic]: record.topic,
      [deadLetterHeaders.sourcePartition]: String(record.partition),
      [deadLetterHeaders.sourceOffset]: record.offset,
      [deadLetterHeaders.service]: service,
      [deadLetterHeaders.time]: now.toISOString(),
    },
  };
}

export interface DeadLetter {
  record: RawRecord;
  error: unknown;
}

/** Sends dead letters and waits for the broker's acknowledgement before the caller stores offsets past them. */
export async function sendDeadLetters(
  producer: Producer,
  letters: readonly DeadLetter[],
  service: string,
  now: Date,
): Promise<void> {
  if (letters.length === 0) return;
  const byTopic = new Map<string, ReturnType<typeof deadLetterMessage>[]>();
  for (const { record, error } of letters) {
    const topic = deadLetterTopicOf(record.topic);
    const messages = byTopic.get(topic) ?? [];
    messages.push(deadLetterMessage(record, error, service, now));
    byTopic.set(topic, messages);
  }
  await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
}
