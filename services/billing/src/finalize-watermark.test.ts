import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  matchesConfig,
  planRound,
  recordsBehind,
  snapshotOffsets,
  stageStep,
  type WatermarkRound,
  type WatermarkStage,
} from './finalize-watermark.ts';

const samples = { groupId: 'metering', topic: 'traffic.samples.v1' };
const usageGroup = { groupId: 'billing', topic: 'usage.hourly.v1' };
function round(takenAt: number, stage: WatermarkStage = 'done', id = String(takenAt)): WatermarkRound {
  return {
    id,
    takenAt,
    stage,
    samples: { ...samples, offsets: { '0': '120' } },
    ...(stage === 'billing' || stage === 'done' ? { billing: [{ ...usageGroup, offsets: { '0': '9' } }] } : {}),
  };
}

describe('snapshotOffsets', () => {
  it('keeps each non-empty partition at its high watermark and leaves out empty ones', () => {
    expect(
      snapshotOffsets([
        { partition: 0, low: '0', high: '120' },
        { partition: 1, low: '7', high: '7' }, // retention emptied it: nothing to wait for
        { partition: 2, low: '0', high: '0' }, // never written
        { partition: 3, low: '40', high: '41' },
      ]),
    ).toEqual({ '0': '120', '3': '41' });
  });
});

describe('recordsBehind', () => {
  it('counts what each partition still has to read, from nothing where no offset is stored', () => {
    expect(
      recordsBehind(
        { '0': '120', '1': '80' },
        new Map([
          [0, '120'],
          [1, '64'],
        ]),
      ),
    ).toBe(16n);
    expect(recordsBehind({ '0': '120' }, new Map([[0, '500']]))).toBe(0n);
    expect(recordsBehind({ '0': '120', '1': '5' }, new Map([[0, '100']]))).toBe(25n);
    expect(recordsBehind({}, new Map())).toBe(0n); // every partition was empty at the snapshot
  });

  it('passes a partition whose log start has reached the target: the unread records are gone', () => {
    expect(recordsBehind({ '0': '120' }, new Map(), new Map([[0, '130']]))).toBe(0n);
    expect(recordsBehind({ '0': '120' }, new Map([[0, '50']]), new Map([[0, '119']]))).toBe(70n);
  });

  it('offsets beyond 2^53 are compared exactly', () => {
    expect(recordsBehind({ '0': '9007199254740993' }, new Map([[0, '9007199254740992']]))).toBe(1n);
  });

  it('is zero exactly when every partition is at or past its target, or aged out', () => {
    const partition = fc.record({
      target: fc.bigInt(1n, 1000n),
      stored: fc.option(fc.bigInt(0n, 1200n)),
      low: fc.bigInt(0n, 1200n),
    });
    fc.assert(
      fc.property(fc.array(partition, { maxLength: 6 }), (parts) => {
        const target = Object.fromEntries(parts.map((p, i) => [String(i), p.target.toString()]));
        const stored = new Map<number, string>();
        parts.forEach((p, i) => p.stored !== null && stored.set(i, p.stored.toString()));
        const lows = new Map(parts.map((p, i) => [i, p.low.toString()]));
        const passed = parts.every((p) => p.low >= p.target || (p.stored ?? 0n) >= p.target);
        expect(recordsBehind(target, stored, lows) === 0n).toBe(passed);
        // Without log starts it never passes more than with them.
        expect(recordsBehind(target, stored)).toBeGreaterThanOrEqual(recordsBehind(target, stored, lows));
      }),
    );
  });
});

describe('stageStep', () => {
  it('samples: waits while metering is behind the snapshot, then moves to held', () => {
    expect(stageStep({ stage: 'samples', meteringBehind: 16n })).toEqual({
      kind: 'wait',
      reason: 'samples-unmetered',
      behind: 16,
    });
    expect(stageStep({ stage: 'samples', meteringBehind: 0n })).toEqual({ kind: 'advance', to: 'held' });
  });

  it('held: waits while samples held for their inventory remain, then moves to usage-outbox', () => {
    expect(stageStep({ stage: 'held', held: 2 })).toEqual({ kind: 'wait', reason: 'samples-held', behind: 2 });
    expect(stageStep({ stage: 'held', held: 0 })).toEqual({ kind: 'advance', to: 'usage-outbox' });
  });

  it('usage-outbox: parked usage refuses before unsent usage waits; then moves to billing', () => {
    expect(stageStep({ stage: 'usage-outbox', unsent: 3, parked: 1 })).toEqual({
      kind: 'refuse',
      reason: 'usage-parked',
      parked: 1,
    });
    expect(stageStep({ stage: 'usage-outbox', unsent: 3, parked: 0 })).toEqual({
      kind: 'wait',
      reason: 'usage-unsent',
      behind: 3,
    });
    expect(stageStep({ stage: 'usage-outbox', unsent: 0, parked: 0 })).toEqual({ kind: 'advance', to: 'billing' });
  });

  it('billing: waits while billing is behind the ends snapshotted, then the round is done', () => {
    expect(stageStep({ stage: 'billing', billingBehind: 30n })).toEqual({
      kind: 'wait',
      reason: 'billing-behind',
      behind: 30,
    });
    expect(stageStep({ stage: 'billing', billingBehind: 0n })).toEqual({ kind: 'advance', to: 'done' });
  });

  it('never advances past usage-outbox while any usage is unsent or parked', () => {
    fc.assert(
      fc.property(fc.nat(5), fc.nat(5), (unsent, parked) => {
        const step = stageStep({ stage: 'usage-outbox', unsent, parked });
        expect(step.kind === 'advance').toBe(unsent === 0 && parked === 0);
        expect(step.kind === 'refuse').toBe(parked > 0);
      }),
    );
  });
});

describe('planRound', () => {
  it('does nothing while no month is due', () => {
    expect(planRound({ dueAt: undefined, open: undefined, done: round(150), doneStillHolds: true })).toEqual({
      coveredUntil: undefined,
      start: false,
    });
  });

  it('starts a round when a month is due and no done round covers it', () => {
    expect(planRound({ dueAt: 100, open: undefined, done: undefined, doneStillHolds: false })).toEqual({
      coveredUntil: undefined,
      start: true,
    });
    expect(planRound({ dueAt: 200, open: undefined, done: round(150), doneStillHolds: true })).toEqual({
      coveredUntil: 150,
      start: true,
    });
  });

  it('a done round covers what fell due up to its start, and nothing later', () => {
    expect(planRound({ dueAt: 100, open: undefined, done: round(150), doneStillHolds: true })).toEqual({
      coveredUntil: 150,
      start: false,
    });
  });

  it('a done round whose targets billing has moved back below (a replay) covers nothing: a new round starts', () => {
    expect(planRound({ dueAt: 100, open: undefined, done: round(150), doneStillHolds: false })).toEqual({
      coveredUntil: undefined,
      start: true,
    });
  });

  it('a stored round in progress is resumed, never replaced by a newer snapshot (a restart keeps it)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000 }),
        fc.constantFrom<WatermarkStage>('samples', 'held', 'usage-outbox', 'billing'),
        fc.option(fc.integer({ min: 0, max: 1_000 })),
        fc.boolean(),
        (dueAt, stage, doneAt, holds) => {
          const done = doneAt === null ? undefined : round(doneAt);
          const plan = planRound({ dueAt, open: round(500, stage, 'open'), done, doneStillHolds: holds });
          expect(plan.start).toBe(false);
          // It never claims more than the latest done round that still holds.
          if (plan.coveredUntil !== undefined) expect(plan.coveredUntil).toBe(holds ? doneAt : undefined);
        },
      ),
    );
  });

  it('every month it lets through fell due before a done round started', () => {
    fc.assert(
      fc.property(
        fc.option(fc.integer({ min: 0, max: 1_000 })),
        fc.option(fc.integer({ min: 0, max: 1_000 })),
        fc.boolean(),
        (dueAt, doneAt, holds) => {
          const plan = planRound({
            dueAt: dueAt ?? undefined,
            open: undefined,
            done: doneAt === null ? undefined : round(doneAt),
            doneStillHolds: holds,
          });
          if (plan.coveredUntil !== undefined) expect(holds && doneAt === plan.coveredUntil).toBe(true);
          // Something due and not covered always starts a round: the finalizer cannot stall with nothing running.
          if (dueAt !== null && (plan.coveredUntil === undefined || plan.coveredUntil < dueAt))
            expect(plan.start).toBe(true);
        },
      ),
    );
  });
});

describe('matchesConfig', () => {
  it('trusts a round only for the samples group and topic, and billing groups, it was taken for', () => {
    const billing = [usageGroup];
    expect(matchesConfig(round(1), samples, billing)).toBe(true);
    expect(matchesConfig(round(1, 'samples'), samples, [])).toBe(true); // no billing targets yet
    expect(matchesConfig(round(1), { ...samples, groupId: 'metering-2' }, billing)).toBe(false);
    expect(matchesConfig(round(1), samples, [{ ...usageGroup, groupId: 'billing-rebuild' }])).toBe(false);
    expect(matchesConfig(round(1), samples, [...billing, { groupId: 'billing-prices', topic: 'prices.v1' }])).toBe(
      false,
    );
  });
});
