import { describe, expect, it } from 'vitest';
import { PendingSamples } from './pending-samples.ts';
import { HOUR, sampleAt } from './sample-fixtures.ts';

describe('PendingSamples', () => {
  it('releases one instance in arrival order and keeps the rest', () => {
    const pending = new PendingSamples({ maxPending: 10, maxWaitMs: 60_000 });
    const a1 = sampleAt({ instanceId: 'a', windowStart: HOUR });
    const b1 = sampleAt({ instanceId: 'b' });
    const a2 = sampleAt({ instanceId: 'a', windowStart: HOUR + 30_000 });
    for (const sample of [a1, b1, a2]) expect(pending.hold(sample, 0)).toEqual([]);
    expect(pending.release('a')).toEqual([a1, a2]);
    expect(pending.release('a')).toEqual([]);
    expect(pending.size).toBe(1);
  });

  it('evicts the oldest when full', () => {
    const pending = new PendingSamples({ maxPending: 2, maxWaitMs: 60_000 });
    const samples = [1, 2, 3].map((n) => sampleAt({ instanceId: `i-${n}` }));
    expect(pending.hold(samples[0]!, 0)).toEqual([]);
    expect(pending.hold(samples[1]!, 0)).toEqual([]);
    expect(pending.hold(samples[2]!, 0)).toEqual([samples[0]]);
    expect(pending.snapshot().map((held) => held.sample)).toEqual([samples[1], samples[2]]);
    expect(pending.release('i-1')).toEqual([]);
  });

  it('with no room, hands the sample straight back', () => {
    const pending = new PendingSamples({ maxPending: 0, maxWaitMs: 60_000 });
    expect(pending.hold(sampleAt(), 0)).toEqual([sampleAt()]);
  });

  it('expires what waited longer than the limit', () => {
    const pending = new PendingSamples({ maxPending: 10, maxWaitMs: 1_000 });
    pending.hold(sampleAt({ instanceId: 'old' }), 0);
    pending.hold(sampleAt({ instanceId: 'new' }), 500);
    expect(pending.expire(1_000)).toEqual([]);
    expect(pending.expire(1_001).map((s) => s.instanceId)).toEqual(['old']);
    expect(pending.size).toBe(1);
  });

  it('restores from a snapshot', () => {
    const pending = new PendingSamples({ maxPending: 10, maxWaitMs: 1_000 });
    pending.hold(sampleAt(), 42);
    const restored = new PendingSamples(pending.limits, pending.snapshot());
    expect(restored.snapshot()).toEqual([{ sample: sampleAt(), heldAt: 42 }]);
    expect(restored.release('i-1')).toEqual([sampleAt()]);
  });
});
