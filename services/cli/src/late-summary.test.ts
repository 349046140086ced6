import type { LateSample } from '@tally/kafka';
import { describe, expect, it } from 'vitest';
import { planLateSends, selectLate, summarizeLate, type LateRecord } from './late-summary.ts';

const H10 = Date.UTC(2026, 10, 30, 10);
const record = (
  partition: number,
  offset: number,
  instanceId: string,
  windowStart: number,
  reason = 'too old',
): LateRecord => {
  const late: LateSample = {
    reason,
    detectedAt: 0,
    sample: {
      hypervisorId: 'hv',
      instanceId,
      interfaceId: 'eth0',
      windowStart,
      rxBytes: 0,
      txBytes: 0,
      rxPackets: 0,
      txPackets: 0,
      cpuSeconds: '0',
    },
  };
  return { partition, offset: String(offset), late };
};
const owners = new Map([
  ['i1', 'acc-b'],
  ['i2', 'acc-a'],
]);
const records = [
  record(0, 0, 'i1', H10),
  record(0, 1, 'i1', H10), // the same sample late twice
  record(0, 2, 'i1', H10 + 3_600_000 + 30_000),
  record(1, 0, 'i2', H10 + 30_000),
  record(2, 0, 'i9', H10, 'unknown instance'),
];

describe('summarizeLate', () => {
  it('groups by account (unknown instances last) and hour, counting records, distinct samples and replays', () => {
    expect(summarizeLate(records, owners, new Set(['0@1']))).toEqual([
      {
        accountId: 'acc-a',
        hourStart: '2026-11-30T10:00:00.000Z',
        records: 1,
        samples: 1,
        replayed: 0,
        reasons: { 'too old': 1 },
      },
      {
        accountId: 'acc-b',
        hourStart: '2026-11-30T10:00:00.000Z',
        records: 2,
        samples: 1,
        replayed: 1,
        reasons: { 'too old': 2 },
      },
      {
        accountId: 'acc-b',
        hourStart: '2026-11-30T11:00:00.000Z',
        records: 1,
        samples: 1,
        replayed: 0,
        reasons: { 'too old': 1 },
      },
      {
        accountId: null,
        hourStart: '2026-11-30T10:00:00.000Z',
        records: 1,
        samples: 1,
        replayed: 0,
        reasons: { 'unknown instance': 1 },
      },
    ]);
  });
});

describe('selectLate', () => {
  it('selects by account and by sample time [from, to)', () => {
    expect(selectLate(records, owners, { account: 'acc-b', to: H10 + 3_600_000 }).map((r) => r.offset)).toEqual([
      '0',
      '1',
    ]);
    expect(selectLate(records, owners, { from: H10 + 30_000 })).toHaveLength(2);
  });
});

describe('planLateSends', () => {
  it('marks every record not replayed before and sends each distinct sample once', () => {
    const { mark, send } = planLateSends(records, new Set(['1@0']));
    expect(mark.map((r) => `${r.partition}@${r.offset}`)).toEqual(['0@0', '0@1', '0@2', '2@0']);
    expect(send.map((s) => `${s.instanceId}@${s.windowStart}`)).toEqual([
      `i1@${H10}`,
      `i1@${H10 + 3_630_000}`,
      `i9@${H10}`,
    ]);
  });
});
