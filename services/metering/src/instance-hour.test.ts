import { usageHourly } from '@tally/records';
import { describe, expect, it } from 'vitest';
import { emptyInstanceHour, fromUsageHourly, runningSeconds, toUsageHourly } from './instance-hour.ts';
import { mergeSample } from './merge-sample.ts';
import { HOUR, sampleAt } from './sample-fixtures.ts';

const owner = { accountId: 'acc-1', instanceType: 's1.small' };

describe('instance-hour', () => {
  it('starts empty at version 0', () => {
    const state = emptyInstanceHour('i-1', HOUR, owner);
    expect(runningSeconds(state)).toBe(0);
    expect(toUsageHourly(state)).toMatchObject({ runningSeconds: 0, cpuSeconds: '0', counted: [], version: 0 });
  });

  it('refuses an hour start that is not on the hour', () => {
    expect(() => emptyInstanceHour('i-1', HOUR + 30_000, owner)).toThrow(RangeError);
  });

  it('converts to a valid UsageHourly with sorted interfaces and back', () => {
    let state = emptyInstanceHour('i-1', HOUR, owner);
    for (const [interfaceId, slot] of [
      ['eth1', 3],
      ['eth0', 3],
      ['eth0', 1],
    ] as const) {
      state = mergeSample(state, sampleAt({ interfaceId, windowStart: HOUR + slot * 30_000 }), owner).state;
    }
    const record = toUsageHourly(state);
    expect(usageHourly.parse(record)).toEqual(record);
    expect(record).toEqual({
      instanceId: 'i-1',
      accountId: 'acc-1',
      instanceType: 's1.small',
      hourStart: HOUR,
      runningSeconds: 60, // slots 1 and 3, whatever the number of interfaces
      rxBytes: 3000,
      txBytes: 6000,
      rxPackets: 30,
      txPackets: 60,
      cpuSeconds: '4.5',
      counted: [
        { interfaceId: 'eth0', slots: [1, 3] },
        { interfaceId: 'eth1', slots: [3] },
      ],
      version: 3,
    });
    const restored = fromUsageHourly(record);
    expect(toUsageHourly(restored)).toEqual(record);
    // A restored state keeps absorbing duplicates.
    expect(mergeSample(restored, sampleAt({ interfaceId: 'eth1', windowStart: HOUR + 90_000 }), owner).changed).toBe(
      false,
    );
  });

  it('recomputes runningSeconds from the slots when restoring', () => {
    const record = toUsageHourly(mergeSample(undefined, sampleAt(), owner).state);
    expect(runningSeconds(fromUsageHourly({ ...record, runningSeconds: 999 }))).toBe(30);
  });
});
