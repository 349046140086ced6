import type { Producer, ProducerBatch } from 'kafkajs';
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { isTooLarge, sendSized, type TopicMessage } from './sized-send.ts';

const { KafkaJSProtocolError } = kafkajs;
/** kafkajs's typings omit the second argument its retrier passes (the cause). */
const KafkaJSNonRetriableError = kafkajs.KafkaJSNonRetriableError as unknown as new (
  error: Error,
  options: { cause: Error },
) => Error;

/** A producer that records what it is asked to send and refuses batches the way a broker with `limit` would. */
function fakeProducer(limit: number) {
  const requests: string[][] = [];
  const producer = {
    sendBatch: (batch: ProducerBatch) => {
      const values = (batch.topicMessages ?? []).flatMap((t) => t.messages.map((m) => String(m.value)));
      const bytes = values.reduce((sum, value) => sum + value.length, 0);
      if (bytes > limit) {
        const protocol = new KafkaJSProtocolError({
          type: 'MESSAGE_TOO_LARGE',
          code: 10,
          retriable: false,
          message: 'too large',
        } as never);
        return Promise.reject(new KafkaJSNonRetriableError(protocol, { cause: protocol }));
      }
      requests.push(values);
      return Promise.resolve([]);
    },
  } as unknown as Producer;
  return { producer, requests };
}

const message = (value: string): TopicMessage => ({ topic: 't', message: { key: 'k', value } });

describe('sendSized', () => {
  it('sends in order, in requests under the budget', async () => {
    const { producer, requests } = fakeProducer(Number.POSITIVE_INFINITY);
    const values = Array.from({ length: 50 }, (_, i) => `${i}`.padEnd(1_000, '.'));
    const refused = await sendSized(producer, values.map(message), { maxMessageBytes: () => 10_000 });
    expect(refused).toEqual([]);
    expect(requests.flat()).toEqual(values);
    expect(requests.length).toBeGreaterThan(5);
  });

  it('halves what the broker refuses as too large and returns the messages it refuses alone, in order', async () => {
    // The broker's real limit (2,500) is far below what we were told (the default 1 MiB).
    const { producer, requests } = fakeProducer(2_500);
    const values = ['a'.repeat(1_000), 'b'.repeat(3_000), 'c'.repeat(1_000), 'd'.repeat(4_000), 'e'.repeat(10)];
    const refused = await sendSized(producer, values.map(message));
    expect(refused.map((item) => String(item.message.value)[0])).toEqual(['b', 'd']);
    expect(requests.flat().map((value) => value[0])).toEqual(['a', 'c', 'e']);
  });

  it('throws any other error', async () => {
    const producer = { sendBatch: () => Promise.reject(new Error('broker away')) } as unknown as Producer;
    await expect(sendSized(producer, [message('x')])).rejects.toThrow('broker away');
  });
});

describe('isTooLarge', () => {
  it('finds the protocol error kafkajs wraps', () => {
    const protocol = new KafkaJSProtocolError({
      type: 'RECORD_LIST_TOO_LARGE',
      code: 18,
      retriable: false,
      message: 'x',
    } as never);
    expect(isTooLarge(new KafkaJSNonRetriableError(protocol, { cause: protocol }))).toBe(true);
    expect(isTooLarge(new Error('MESSAGE_TOO_LARGE'))).toBe(false);
  });
});
