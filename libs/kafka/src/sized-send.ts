import type { Message, Producer } from 'kafkajs';
import { maxMessageBytesOf } from './catalog.ts';
import { messageBytes, sendBudget, splitBySize } from './message-size.ts';

/** One message and the topic it goes to; a list of them is sent in its order. */
export interface TopicMessage {
  readonly topic: string;
  readonly message: Message;
}

export interface SizedSendOptions {
  /** The `max.message.bytes` of a topic; the catalog's (or Kafka's default) when not given. */
  readonly maxMessageBytes?: (topic: string) => number;
}

/** The send budget of the strictest topic among `messages` (a send covers them all). */
export function budgetOf(messages: readonly TopicMessage[], options: SizedSendOptions = {}): number {
  const limitOf = options.maxMessageBytes ?? maxMessageBytesOf;
  let limit = Number.POSITIVE_INFINITY;
  for (const topic of new Set(messages.map((item) => item.topic))) limit = Math.min(limit, limitOf(topic));
  return sendBudget(limit);
}

/** Whether kafkajs failed because the broker refused a record batch as too large (not retryable as is). */
export function isTooLarge(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth += 1) {
    const type = (cause as { type?: unknown }).type;
    if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return true;
    cause = cause.cause;
  }
  return false;
}

/**
 * Sends `messages` in order, in as many requests as the topics' size limits need, each acknowledged by all
 * replicas before the next goes: with the idempotent producer (one request in flight) the order per partition is
 * kept, and a failure leaves a prefix sent, which the caller's retry resends (dead letters and outbox values are
 * safe to repeat). A request the broker still refuses as too large (its limit is lower than we were told) is
 * halved until the refused messages are alone; those are returned, in order, for the caller to shrink or park.
 * Any other error is thrown.
 *
 * @example
 * const refused = await sendSized(producer, [{ topic: 'usage.hourly.v1', message: { key, value } }]);
 */
export async function sendSized(
  producer: Producer,
  messages: readonly TopicMessage[],
  options: SizedSendOptions = {},
): Promise<TopicMessage[]> {
  const refused: TopicMessage[] = [];
  const chunks = splitBySize(messages, (item) => messageBytes(item.message), budgetOf(messages, options));
  for (const chunk of chunks) await sendChunk(producer, chunk, refused);
  return refused;
}

async function sendChunk(producer: Producer, chunk: TopicMessage[], refused: TopicMessage[]): Promise<void> {
  try {
    await producer.sendBatch({ acks: -1, topicMessages: byTopic(chunk) });
  } catch (error) {
    if (!isTooLarge(error)) throw error;
    if (chunk.length === 1) {
      refused.push(chunk[0]!);
      return;
    }
    const half = Math.ceil(chunk.length / 2);
    await sendChunk(producer, chunk.slice(0, half), refused);
    await sendChunk(producer, chunk.slice(half), refused);
  }
}

function byTopic(chunk: readonly TopicMessage[]): { topic: string; messages: Message[] }[] {
  const grouped = new Map<string, Message[]>();
  for (const { topic, message } of chunk) {
    const list = grouped.get(topic) ?? [];
    list.push(message);
    grouped.set(topic, list);
  }
  return [...grouped].map(([topic, list]) => ({ topic, messages: list }));
}
