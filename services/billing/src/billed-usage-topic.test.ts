import { topics } from '@tally/kafka';
import { describe, expect, it } from 'vitest';
import { billedUsageTopic } from './billed-usage-topic.ts';

const record = {
  instanceId: 'i-1',
  accountId: 'acc-1',
  instanceType: 'g1.small',
  hourStart: Date.UTC(2026, 10, 1, 3),
  runningSeconds: 60,
  rxBytes: 10,
  txBytes: 20,
  rxPackets: 1,
  txPackets: 2,
  cpuSeconds: '1.5',
  counted: [{ interfaceId: 'eth0', slots: [0, 1] }],
  version: 3,
};

describe('billedUsageTopic', () => {
  const topic = billedUsageTopic(topics.usageHourly);
  const read = (wire: unknown) => topic.schema.safeParse(topic.fromWire(wire));

  it('reads a record without its counted slots, every other field as sent', () => {
    const parsed = read(record);
    expect(parsed.success && parsed.data).toEqual({ ...record, counted: [] });
  });

  it('does not check the slots billing drops, and still checks every field it keeps', () => {
    expect(read({ ...record, counted: [{ interfaceId: 'eth0', slots: [500] }] }).success).toBe(true);
    expect(read({ ...record, rxBytes: -1 }).success).toBe(false);
    expect(read({ ...record, hourStart: record.hourStart + 1 }).success).toBe(false);
    expect(read({ ...record, cpuSeconds: 'lots' }).success).toBe(false);
    const { counted: _counted, ...withoutCounted } = record;
    expect(read(withoutCounted).success).toBe(false);
    expect(read(null).success).toBe(false);
  });
});
