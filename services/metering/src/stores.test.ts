import { describe, expect, it } from 'vitest';
import type { Instance } from '@tally/records';
import { usageKey } from '@tally/records';
import { newestPerInstance } from './inventory-store.ts';
import { parseUsageKey } from './usage-store.ts';

describe('parseUsageKey', () => {
  it('inverts usageKey, also for ids holding a bar', () => {
    const hour = Date.UTC(2025, 0, 1, 10);
    expect(parseUsageKey(usageKey('i-1', hour))).toEqual({ instanceId: 'i-1', hourStart: hour });
    expect(parseUsageKey(usageKey('a|b', hour))).toEqual({ instanceId: 'a|b', hourStart: hour });
    expect(() => parseUsageKey('nonsense')).toThrow(RangeError);
  });
});

describe('newestPerInstance', () => {
  it('keeps the newest record per instance, the later one on a tie', () => {
    const record = (instanceId: string, updatedAt: number, zone: string): Instance => ({
      instanceId,
      accountId: 'acc',
      instanceType: 's1.small',
      zone,
      state: 'running',
      createdAt: 0,
      updatedAt,
    });
    expect(
      newestPerInstance([record('a', 2, 'z1'), record('b', 1, 'z1'), record('a', 1, 'z2'), record('b', 1, 'z3')]),
    ).toEqual([record('a', 2, 'z1'), record('b', 1, 'z3')]);
  });
});
