import { describe, expect, it } from 'vitest';
import { checkUsage, type HourUsage } from './usage-check.ts';

const hour = (over: Partial<HourUsage> = {}): HourUsage => ({
  runningSeconds: 3600,
  rxBytes: 1000,
  txBytes: 2000,
  rxPackets: 10,
  txPackets: 20,
  cpuSeconds: '12.5',
  ...over,
});

describe('checkUsage', () => {
  it('finds nothing when every hour equals the truth (decimals compared by value)', () => {
    const truth = new Map([['a', hour()]]);
    expect(checkUsage(truth, new Map([['a', hour({ cpuSeconds: '12.500000000' })]]))).toEqual({
      lost: 0,
      doubled: 0,
      compared: 1,
      examples: [],
    });
  });

  it('counts missing and short hours as lost, extra and over hours as doubled', () => {
    const truth = new Map([
      ['missing', hour()],
      ['short', hour()],
      ['over', hour()],
      ['ok', hour()],
    ]);
    const actual = new Map([
      ['short', hour({ rxBytes: 999 })],
      ['over', hour({ runningSeconds: 3630, cpuSeconds: '13' })],
      ['ok', hour()],
      ['extra', hour()],
    ]);
    const result = checkUsage(truth, actual, 10);
    expect(result).toMatchObject({ lost: 2, doubled: 2, compared: 4 });
    expect(result.examples.map((e) => e.split(' ')[0])).toEqual(['missing', 'short', 'over', 'extra']);
  });

  it('counts an hour with one total short and another over as lost', () => {
    const result = checkUsage(new Map([['a', hour()]]), new Map([['a', hour({ rxBytes: 1, txBytes: 9999 })]]));
    expect(result).toMatchObject({ lost: 1, doubled: 0 });
  });
});
