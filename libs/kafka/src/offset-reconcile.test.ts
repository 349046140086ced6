import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconcile, startOffset } from './offset-reconcile.ts';

describe('reconcile', () => {
  it('seeks back when Kafka delivers past what the database stored', () => {
    expect(reconcile({ stored: '10', firstOffset: '12' })).toEqual({ action: 'seek', toOffset: '10' });
  });
  it('skips records the database already applied', () => {
    expect(reconcile({ stored: '10', firstOffset: '7' })).toEqual({ action: 'process', fromOffset: '10' });
  });
  it('processes from the batch start when they agree', () => {
    expect(reconcile({ stored: '10', firstOffset: '10' })).toEqual({ action: 'process', fromOffset: '10' });
  });
  it('reads from the start when nothing is stored, whatever Kafka committed', () => {
    expect(reconcile({ stored: undefined, firstOffset: '3' })).toEqual({ action: 'seek', toOffset: '0' });
    expect(reconcile({ stored: undefined, firstOffset: '0' })).toEqual({ action: 'process', fromOffset: '0' });
  });
  it('accepts a gap below the log start instead of seeking to deleted records', () => {
    expect(reconcile({ stored: undefined, firstOffset: '500', logStart: '500' })).toEqual({
      action: 'process',
      fromOffset: '500',
      gap: { from: '0', to: '500' },
    });
    expect(reconcile({ stored: '10', firstOffset: '900', logStart: '500' })).toEqual({
      action: 'seek',
      toOffset: '500',
    });
  });
  it('accepts a compacted gap once a seek to the stored offset delivered past it', () => {
    expect(reconcile({ stored: '10', firstOffset: '12', soughtTo: '10' })).toEqual({
      action: 'process',
      fromOffset: '12',
      gap: { from: '10', to: '12' },
    });
    expect(reconcile({ stored: '10', firstOffset: '12', soughtTo: '9' })).toEqual({ action: 'seek', toOffset: '10' });
  });
  it('accepts a compacted gap without a seek when the batch was fetched from the stored offset or below', () => {
    expect(reconcile({ stored: '10', firstOffset: '12', fetchedOffset: '10' })).toEqual({
      action: 'process',
      fromOffset: '12',
      gap: { from: '10', to: '12' },
    });
    expect(reconcile({ stored: '10', firstOffset: '12', fetchedOffset: '11' })).toEqual({
      action: 'seek',
      toOffset: '10',
    });
  });
  it('compares 64-bit offsets exactly', () => {
    expect(reconcile({ stored: '9007199254740993', firstOffset: '9007199254740992' })).toEqual({
      action: 'process',
      fromOffset: '9007199254740993',
    });
  });
  it('starts where the database says unless retention deleted it', () => {
    expect([startOffset('10', '4'), startOffset(undefined, '500'), startOffset('10', undefined)]).toEqual([
      '10',
      '500',
      '10',
    ]);
  });
});

/**
 * A partition as Kafka serves it: `existing` offsets (compaction removes some, retention all below `logStart`), and a
 * fetch from a position that, like kafkajs on OFFSET_OUT_OF_RANGE, restarts at the log start when below it.
 */
const partition = fc
  .record({
    end: fc.integer({ min: 0, max: 60 }),
    keep: fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
    logStartPercent: fc.integer({ min: 0, max: 100 }),
    storedPercent: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
    positionPercent: fc.integer({ min: 0, max: 100 }),
    knownLogStart: fc.constantFrom('none', 'exact', 'stale'),
    batchSize: fc.integer({ min: 1, max: 7 }),
    seekOnAssignment: fc.boolean(),
    fetchedOffsetKnown: fc.boolean(),
  })
  .map((p) => {
    const at = (percent: number) => Math.floor((p.end * percent) / 100);
    const logStart = at(p.logStartPercent);
    const existing = [...Array(p.end).keys()].filter((offset) => offset >= logStart && p.keep[offset]);
    const known =
      p.knownLogStart === 'none' ? undefined : p.knownLogStart === 'exact' ? logStart : Math.floor(logStart / 2);
    const stored = p.storedPercent === undefined ? undefined : at(p.storedPercent);
    return { ...p, logStart, existing, known, stored, position: at(p.positionPercent) };
  });

describe('reconcile on aged and compacted partitions (property)', () => {
  it('applies every deliverable record after the stored offset exactly once, never loops, never hides a record', () => {
    fc.assert(
      fc.property(partition, (p) => {
        let stored = p.stored === undefined ? undefined : String(p.stored);
        // The runtime seeks every assigned partition to startOffset; without that seek (it raced with a batch),
        // Kafka's own position is anywhere, and a partition already at its end would never deliver a batch.
        let soughtTo = p.seekOnAssignment ? startOffset(stored, p.known?.toString()) : undefined;
        let position = soughtTo === undefined ? Math.min(p.position, p.existing.at(-1) ?? 0) : Number(soughtTo);
        const applied: number[] = [];
        const seeks = new Set<string>();
        for (let step = 0; ; step += 1) {
          if (step > 2 * p.existing.length + 4) return false; // livelock
          const from = Math.max(position, p.logStart);
          const batch = p.existing.filter((offset) => offset >= from).slice(0, p.batchSize);
          if (batch.length === 0) break;
          const decision = reconcile({
            stored,
            firstOffset: String(batch[0]),
            logStart: p.known?.toString(),
            soughtTo,
            fetchedOffset: p.fetchedOffsetKnown ? String(from) : undefined,
          });
          if (decision.action === 'seek') {
            // Never twice to the same place for the same stored offset: that is the loop of issue 10.
            const key = `${stored}@${decision.toOffset}`;
            if (seeks.has(key)) return false;
            seeks.add(key);
            soughtTo = decision.toOffset;
            position = Number(decision.toOffset);
            continue;
          }
          if (decision.gap !== undefined) {
            const hidden = p.existing.filter(
              (offset) => offset >= Number(decision.gap!.from) && offset < Number(decision.gap!.to),
            );
            if (hidden.length > 0) return false;
          }
          const last = batch[batch.length - 1]!;
          const fresh = batch.filter((offset) => offset >= Number(decision.fromOffset));
          applied.push(...fresh);
          if (fresh.length > 0) stored = String(last + 1);
          position = last + 1;
        }
        const expected = p.existing.filter((offset) => offset >= (p.stored ?? 0));
        expect(applied).toEqual(expected);
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});
