import { describe, expect, it } from 'vitest';
import { HOUR, sampleAt } from './sample-fixtures.ts';
import { classifySample, MAX_BYTES_PER_WINDOW_100G, type ValidationConfig } from './validate-sample.ts';

const DAY = 86_400_000;
const config: ValidationConfig = { maxFutureSkewMs: 60_000, retentionMs: 7 * DAY };
const now = HOUR + 600_000;

describe('classifySample', () => {
  it('accepts an ordinary sample', () => {
    expect(classifySample(sampleAt(), now, config)).toEqual({ kind: 'valid' });
  });

  it('sends unaligned windows to the dead letters', () => {
    expect(classifySample(sampleAt({ windowStart: HOUR + 15_000 }), now, config)).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('not aligned') as unknown,
    });
  });

  it('allows clock skew up to the limit, not beyond', () => {
    expect(classifySample(sampleAt({ windowStart: now + 30_000 }), now, config).kind).toBe('valid');
    expect(classifySample(sampleAt({ windowStart: now + 60_000 }), now, config)).toMatchObject({
      kind: 'invalid',
      reason: expect.stringContaining('future') as unknown,
    });
  });

  it('checks the interface allow-list when there is one', () => {
    const strict = { ...config, interfaces: new Set(['eth0', 'eth1']) };
    expect(classifySample(sampleAt({ interfaceId: 'eth1' }), now, strict).kind).toBe('valid');
    expect(classifySample(sampleAt({ interfaceId: 'lo' }), now, strict)).toMatchObject({ kind: 'invalid' });
  });

  it('rejects counters no 100 Gbit/s link can produce in 30 s', () => {
    expect(classifySample(sampleAt({ txBytes: MAX_BYTES_PER_WINDOW_100G }), now, config).kind).toBe('valid');
    expect(classifySample(sampleAt({ txBytes: MAX_BYTES_PER_WINDOW_100G + 1 }), now, config).kind).toBe('invalid');
    expect(classifySample(sampleAt({ rxPackets: 10_000_000_000 }), now, config).kind).toBe('invalid');
    expect(classifySample(sampleAt({ cpuSeconds: '100000' }), now, config).kind).toBe('invalid');
    expect(classifySample(sampleAt({ rxBytes: -1 }), now, config).kind).toBe('invalid');
  });

  it('sends samples of closed hours to late data, at the exact boundary', () => {
    const closesAt = HOUR + 3_600_000 + config.retentionMs;
    expect(classifySample(sampleAt(), closesAt, config).kind).toBe('valid');
    expect(classifySample(sampleAt(), closesAt + 1, config)).toMatchObject({
      kind: 'late',
      reason: expect.stringContaining('closed') as unknown,
    });
  });

  it('prefers dead letter over late for a sample that is both', () => {
    expect(classifySample(sampleAt({ windowStart: HOUR + 1 }), HOUR + 30 * DAY, config).kind).toBe('invalid');
  });
});
