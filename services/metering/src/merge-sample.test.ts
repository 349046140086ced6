import { describe, expect, it } from 'vitest';
import { CounterOverflowError, mergeSample } from './merge-sample.ts';
import { HOUR, sampleAt } from './sample-fixtures.ts';

const owner = { accountId: 'acc-1', instanceType: 's1.small' };

describe('mergeSample', () => {
  it('creates the instance-hour from the first sample', () => {
    const { state, changed } = mergeSample(undefined, sampleAt({ windowStart: HOUR + 60_000 }), owner);
    expect(changed).toBe(true);
    expect(state).toMatchObject({ instanceId: 'i-1', hourStart: HOUR, rxBytes: 1000, cpuSeconds: '1.5', version: 1 });
  });

  it('absorbs a duplicate without bumping the version', () => {
    const first = mergeSample(undefined, sampleAt(), owner);
    const again = mergeSample(first.state, sampleAt({ rxBytes: 999_999 }), owner);
    expect(again.changed).toBe(false);
    expect(again.state).toBe(first.state);
    expect(again.state.rxBytes).toBe(1000);
    expect(again.state.version).toBe(1);
  });

  it('counts the same slot on another interface, but runs it once', () => {
    const first = mergeSample(undefined, sampleAt(), owner);
    const second = mergeSample(first.state, sampleAt({ interfaceId: 'eth1', cpuSeconds: '0' }), owner);
    expect(second.changed).toBe(true);
    expect(second.state).toMatchObject({ rxBytes: 2000, cpuSeconds: '1.5', version: 2 });
    expect(second.state.running).toEqual(first.state.running);
  });

  it('never mutates its input', () => {
    const first = mergeSample(undefined, sampleAt(), owner).state;
    const snapshot = structuredClone(first);
    mergeSample(first, sampleAt({ windowStart: HOUR + 30_000 }), owner);
    mergeSample(first, sampleAt({ interfaceId: 'eth1' }), owner);
    expect(first).toEqual(snapshot);
  });

  it('takes the newest owner with a change, not with a duplicate', () => {
    const first = mergeSample(undefined, sampleAt(), owner).state;
    const moved = { accountId: 'acc-2', instanceType: 's1.medium' };
    expect(mergeSample(first, sampleAt(), moved).state.owner).toEqual(owner);
    expect(mergeSample(first, sampleAt({ windowStart: HOUR + 30_000 }), moved).state.owner).toEqual(moved);
  });

  it('refuses samples of another instance-hour or unaligned ones', () => {
    const first = mergeSample(undefined, sampleAt(), owner).state;
    expect(() => mergeSample(first, sampleAt({ instanceId: 'i-2' }), owner)).toThrow(RangeError);
    expect(() => mergeSample(first, sampleAt({ windowStart: HOUR + 3_600_000 }), owner)).toThrow(RangeError);
    expect(() => mergeSample(undefined, sampleAt({ windowStart: HOUR + 1 }), owner)).toThrow(RangeError);
  });

  it('refuses a sum JavaScript numbers cannot hold exactly', () => {
    const big = mergeSample(undefined, sampleAt({ rxBytes: Number.MAX_SAFE_INTEGER }), owner).state;
    expect(() => mergeSample(big, sampleAt({ windowStart: HOUR + 30_000 }), owner)).toThrow(CounterOverflowError);
  });

  it('refuses a 65th interface in one instance-hour, but still counts the 64 it has', () => {
    let state = mergeSample(undefined, sampleAt({ interfaceId: 'eth0' }), owner).state;
    for (let i = 1; i < 64; i += 1) state = mergeSample(state, sampleAt({ interfaceId: `eth${i}` }), owner).state;
    expect(state.counted.size).toBe(64);
    expect(() => mergeSample(state, sampleAt({ interfaceId: 'eth64' }), owner)).toThrow(/already counts 64 interfaces/);
    expect(mergeSample(state, sampleAt({ interfaceId: 'eth5', windowStart: HOUR + 30_000 }), owner).changed).toBe(true);
  });
});
