import { describe, expect, it } from 'vitest';
import type { PlanRow } from './replay-plan.ts';
import { formatProgress, replayProgress } from './replay-progress.ts';

const row = (partition: number, next: string, high: string): PlanRow => ({
  group: 'g',
  topic: 't',
  partition,
  stored: high,
  next,
  reread: '0',
  toEnd: '0',
  high,
  covered: undefined,
  note: '',
});

describe('replayProgress', () => {
  it('counts records read since the new offset, per partition, with rate and ETA', () => {
    const progress = replayProgress(
      [row(0, '5', '15'), row(1, '0', '10')],
      new Map([
        ['g|t|0', '10'],
        ['g|t|1', '5'],
      ]),
      5_000,
    );
    expect(progress.partitions.map((p) => [p.read, p.toRead])).toEqual([
      [5n, 10n],
      [5n, 10n],
    ]);
    expect(progress).toMatchObject({ read: 10n, toRead: 20n, rate: 2, etaSeconds: 5, done: false });
    expect(formatProgress(progress)).toBe(
      '  g t[0]  5/10 (50%)\n  g t[1]  5/10 (50%)\n  total 10/20 (50%), 2.0 records/s, ETA 5s\n',
    );
  });

  it('is done once every partition reached the end the plan saw; later records do not count', () => {
    const progress = replayProgress([row(0, '5', '15')], new Map([['g|t|0', '40']]), 1_000);
    expect(progress).toMatchObject({ read: 10n, toRead: 10n, done: true });
    expect(formatProgress(progress)).toMatch(/caught up/);
  });

  it('has no ETA before anything was read, and reads nothing where the service has not stored yet', () => {
    const progress = replayProgress([row(0, '5', '15')], new Map(), 1_000);
    expect(progress).toMatchObject({ read: 0n, etaSeconds: undefined, done: false });
    expect(formatProgress(progress)).toMatch(/ETA -/);
  });
});
