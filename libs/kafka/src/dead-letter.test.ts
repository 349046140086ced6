import { describe, expect, it } from 'vitest';
import { deadLetterMessage } from './dead-letter.ts';
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
