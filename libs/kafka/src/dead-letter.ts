import type { IHeaders, Producer } from 'kafkajs';
import { deadLetterTopicOf } from './catalog.ts';
import { isPoison } from './errors.ts';
import { headersBytes, messageBytes } from './message-size.ts';
import { budgetOf, sendSized, type SizedSendOptions, type TopicMessage } from './sized-send.ts';

export const deadLetterHeaders = {
  errorClass: 'tally.error.class',
  errorMessage: 'tally.error.message',
  sourceTopic: 'tally.source.topic',
  sourcePartition: 'tally.source.partition',
  sourceOffset: 'tally.source.offset',
  service: 'tally.service',
  time: 'tally.time',
  /** Set when the original value was left out to fit the topic's size limit: the original size in bytes. */
  valueTruncated: 'tally.value.truncated',
  /** Set when the original headers were left out too: their size in bytes. */
  headersTruncated: 'tally.headers.truncated',
  /** Set when the original key was cut to its first KEY_KEPT_BYTES bytes: its size in bytes. */
  keyTruncated: 'tally.key.truncated',
} as const;

/** Bytes of an oversized original key a dead letter keeps. */
export const KEY_KEPT_BYTES = 1_024;

export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
}

/** A message for a dead-letter topic. */
export interface DeadLetterMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders;
}

/** The dead-letter message for a record: original key, bytes and headers, plus why and where from. */
export function deadLetterMessage(record: RawRecord, error: unknown, service: string, now: Date): DeadLetterMessage {
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

/**
 * A dead letter that fits `budget` bytes. No record may vanish without trace because it is too large, so what
 * does not fit is left out in steps, each one said in a header: first the original value (an empty value, never
 * null, so a re-drive cannot turn it into a tombstone), then the original headers, then all but the first
 * KEY_KEPT_BYTES of the key. The reason and origin headers always stay.
 *
 * @example
 * fitDeadLetter(deadLetterMessage(hugeRecord, error, 'metering', now), 943_668).headers['tally.value.truncated']; // '2000000'
 */
export function fitDeadLetter(message: DeadLetterMessage, budget: number): DeadLetterMessage {
  if (messageBytes(message) <= budget) return message;
  const valueBytes = message.value?.length ?? 0;
  const withoutValue: DeadLetterMessage = {
    ...message,
    value: Buffer.alloc(0),
    headers: { ...message.headers, [deadLetterHeaders.valueTruncated]: String(valueBytes) },
  };
  if (messageBytes(withoutValue) <= budget) return withoutValue;
  const ours: IHeaders = Object.fromEntries(
    Object.entries(withoutValue.headers).filter(([name]) => name.startsWith('tally.')),
  );
  const dropped = headersBytes(withoutValue.headers) - headersBytes(ours);
  const withoutHeaders: DeadLetterMessage = {
    ...withoutValue,
    headers: { ...ours, [deadLetterHeaders.headersTruncated]: String(dropped) },
  };
  if (messageBytes(withoutHeaders) <= budget || message.key === null || message.key.length <= KEY_KEPT_BYTES) {
    return withoutHeaders;
  }
  return {
    ...withoutHeaders,
    key: message.key.subarray(0, KEY_KEPT_BYTES),
    headers: { ...withoutHeaders.headers, [deadLetterHeaders.keyTruncated]: String(message.key.length) },
  };
}

export interface DeadLetter {
  record: RawRecord;
  error: unknown;
}

/**
 * Sends dead letters and waits for the broker's acknowledgement before the caller stores offsets past them.
 * However many letters a batch yields, the sends stay under each dead-letter topic's `max.message.bytes`
 * (sized-send.ts); a letter too large on its own goes without its value (fitDeadLetter). A retry after a
 * failure may send some letters twice: operators see duplicates, never a gap.
 */
export async function sendDeadLetters(
  producer: Producer,
  letters: readonly DeadLetter[],
  service: string,
  now: Date,
  options: SizedSendOptions = {},
): Promise<void> {
  if (letters.length === 0) return;
  const originals = new Map<unknown, DeadLetterMessage>();
  const messages: TopicMessage[] = letters.map(({ record, error }) => {
    const topic = deadLetterTopicOf(record.topic);
    const original = deadLetterMessage(record, error, service, now);
    const message = fitDeadLetter(original, budgetOf([{ topic, message: original }], options));
    originals.set(message, original);
    return { topic, message };
  });
  const refused = await sendSized(producer, messages, options);
  if (refused.length === 0) return;
  // The broker's limit is lower than we were told: send those letters at their smallest, or fail and retry.
  const smallest = refused.map(({ topic, message }) => ({
    topic,
    message: fitDeadLetter(originals.get(message) ?? (message as DeadLetterMessage), 0),
  }));
  const still = await sendSized(producer, smallest, options);
  if (still.length > 0) {
    throw new Error(
      `${still.length} dead letter(s) for ${still[0]!.topic} refused as too large even without value and headers`,
    );
  }
}
