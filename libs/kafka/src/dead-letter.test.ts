import { describe, expect, it } from 'vitest';
import { deadLetterMessage, fitDeadLetter } from './dead-letter.ts';
import { messageBytes, sendBudget } from './message-size.ts';
import { poison } from './errors.ts';

describe('deadLetterMessage', () => {
  it('keeps the original key, bytes and headers and adds the reason and origin', () => {
    const record = {
      topic: 'traffic.samples.v1',
      partition: 2,
      offset: '41',
      key: Buffer.from('i-1'),
      value: Buffer.from([1, 2, 3]),
      headers: { trace: 'abc' },
    };
    const message = deadLetterMessage(
      record,
      poison('ValidationFailed', 'rxBytes: too small'),
      'metering',
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(message.key).toEqual(Buffer.from('i-1'));
    expect(message.value).toEqual(Buffer.from([1, 2, 3]));
    expect(message.headers).toEqual({
      trace: 'abc',
      'tally.error.class': 'ValidationFailed',
      'tally.error.message': 'rxBytes: too small',
      'tally.source.topic': 'traffic.samples.v1',
      'tally.source.partition': '2',
      'tally.source.offset': '41',
      'tally.service': 'metering',
      'tally.time': '2026-01-01T00:00:00.000Z',
    });
  });
});

describe('fitDeadLetter', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const error = poison('ValidationFailed', 'too big');
  const record = (value: number, headers: Record<string, string> = {}, key = 'i-1') => ({
    topic: 'usage.hourly.v1',
    partition: 0,
    offset: '7',
    key: Buffer.from(key),
    value: Buffer.alloc(value, 1),
    headers,
  });

  it('keeps a letter that fits as it is', () => {
    const message = deadLetterMessage(record(1_000), error, 'billing', now);
    expect(fitDeadLetter(message, sendBudget(1_048_588))).toBe(message);
  });

  it('leaves out a value larger than the limit and says how large it was', () => {
    const budget = sendBudget(1_048_588);
    const fitted = fitDeadLetter(deadLetterMessage(record(2_000_000, { trace: 'abc' }), error, 'billing', now), budget);
    expect(fitted.value).toEqual(Buffer.alloc(0));
    expect(fitted.key).toEqual(Buffer.from('i-1'));
    expect(fitted.headers).toMatchObject({
      trace: 'abc',
      'tally.value.truncated': '2000000',
      'tally.error.class': 'ValidationFailed',
      'tally.source.offset': '7',
    });
    expect(messageBytes(fitted)).toBeLessThanOrEqual(budget);
  });

  it('then leaves out the original headers, then cuts the key, never the reason', () => {
    const big = { trace: 'x'.repeat(5_000) };
    const withoutHeaders = fitDeadLetter(deadLetterMessage(record(10, big), error, 'billing', now), 1_000);
    expect(withoutHeaders.headers).not.toHaveProperty('trace');
    expect(Number(withoutHeaders.headers['tally.headers.truncated'])).toBeGreaterThan(5_000);
    expect(withoutHeaders.headers['tally.error.message']).toBe('too big');
    expect(messageBytes(withoutHeaders)).toBeLessThanOrEqual(1_000);

    const hugeKey = fitDeadLetter(deadLetterMessage(record(10, {}, 'k'.repeat(50_000)), error, 'billing', now), 0);
    expect(hugeKey.key).toHaveLength(1_024);
    expect(hugeKey.headers['tally.key.truncated']).toBe('50000');
    expect(hugeKey.headers['tally.value.truncated']).toBe('10');
  });
});
