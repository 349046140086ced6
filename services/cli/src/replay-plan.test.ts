import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPlan, movedRows, planPartition, type PartitionFacts } from './replay-plan.ts';
import type { ReplayTarget } from './replay-targets.ts';

const target: ReplayTarget = { service: 'billing', group: 'billing', topic: 'usage.hourly.v1', state: 'billing-usage' };
const facts = (f: Partial<PartitionFacts>): PartitionFacts => ({
  partition: 0,
  stored: '10',
  low: '0',
  high: '12',
  from: '5',
  ...f,
});

describe('planPartition', () => {
  it('moves a partition back to --from and covers what it re-reads', () => {
    expect(planPartition(target, facts({}))).toMatchObject({
      stored: '10',
      next: '5',
      reread: '5',
      toEnd: '7',
      covered: { from: '5', to: '10' },
    });
  });

  it('ends the covered range at --to, never beyond what was read', () => {
    expect(planPartition(target, facts({ to: '8' })).covered).toEqual({ from: '5', to: '8' });
    expect(planPartition(target, facts({ to: '11' })).covered).toEqual({ from: '5', to: '10' });
  });

  it('never moves forward, never below the log start, never a partition with nothing stored', () => {
    expect(planPartition(target, facts({ stored: '3' }))).toMatchObject({
      next: '3',
      reread: '0',
      note: 'already there',
    });
    expect(planPartition(target, facts({ low: '7' }))).toMatchObject({ next: '7', reread: '3' });
    expect(planPartition(target, facts({ stored: '2', low: '4' })).note).toMatch(/below the log start/);
    expect(planPartition(target, facts({ stored: undefined }))).toMatchObject({ next: undefined, reread: '0' });
  });

  it('keeps its invariants for any offsets', () => {
    const offset = fc.bigInt({ min: 0n, max: 1_000_000n });
    fc.assert(
      fc.property(
        fc.option(offset, { nil: undefined }),
        offset,
        offset,
        offset,
        fc.option(offset, { nil: undefined }),
        (stored, a, b, from, to) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          const storedAt = stored === undefined ? undefined : low + (stored % (high - low + 1n));
          const row = planPartition(
            target,
            facts({
              stored: storedAt?.toString(),
              low: low.toString(),
              high: high.toString(),
              from: from.toString(),
              to: to?.toString(),
            }),
          );
          if (storedAt === undefined) return row.next === undefined && row.covered === undefined;
          const next = BigInt(row.next!);
          const movesBack = next <= storedAt && BigInt(row.reread) === storedAt - next;
          const withinLog = next === storedAt || next >= low;
          const covered =
            row.covered === undefined ||
            (BigInt(row.covered.from) === next && BigInt(row.covered.to) <= storedAt && BigInt(row.covered.to) > next);
          return movesBack && withinLog && covered;
        },
      ),
    );
  });
});

describe('formatPlan', () => {
  it('prints one line per partition, the total to re-read and what happens to each group state', () => {
    const rows = [planPartition(target, facts({})), planPartition(target, facts({ partition: 1, stored: undefined }))];
    const plan = { targets: [target], rows };
    expect(movedRows(plan)).toHaveLength(1);
    const text = formatPlan(plan);
    expect(text).toMatch(/billing\s+usage\.hourly\.v1\s+0\s+10\s+→\s+5\s+5\s+7/);
    expect(text).toMatch(/billing\s+usage\.hourly\.v1\s+1\s+-\s+→\s+-\s+0\s+12\s+nothing stored/);
    expect(text).toMatch(/1 partitions move back, 5 records to re-read/);
    expect(text).toMatch(/finalized invoices untouched/);
  });
});
