import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialUnknownIdState, judgeUnknownId, type UnknownIdGuardOptions } from './unknown-schema-guard.ts';

const options: UnknownIdGuardOptions = { burstLimit: 3, windowMs: 60_000, quietMs: 300_000 };

function judgeAll(times: readonly number[], o: UnknownIdGuardOptions = options) {
  let state = initialUnknownIdState;
  return times.map((time) => {
    const judgement = judgeUnknownId(state, time, o);
    state = judgement.state;
    return judgement;
  });
}

describe('judgeUnknownId', () => {
  it('dead-letters a few unknown ids, stalls from the one past the burst limit, and says so once', () => {
    const judgements = judgeAll([0, 1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(judgements.map((j) => j.verdict)).toEqual(['poison', 'poison', 'poison', 'stall', 'stall', 'stall']);
    expect(judgements.map((j) => j.justTripped)).toEqual([false, false, false, true, false, false]);
  });

  it('dead-letters unknown ids that come slower than the limit per window', () => {
    const judgements = judgeAll([0, 30_000, 61_000, 92_000, 123_000, 500_000]);
    expect(judgements.every((j) => j.verdict === 'poison')).toBe(true);
  });

  it('stays tripped while the stalled record is retried, and only a quiet period resets it', () => {
    // A burst trips it; then the stalled record is retried every 15 s (the backoff cap) for an hour.
    const retries = Array.from({ length: 240 }, (_, i) => 10_000 + i * 15_000);
    const judgements = judgeAll([0, 1, 2, 3, ...retries]);
    expect(judgements.slice(3).every((j) => j.verdict === 'stall')).toBe(true);
    // After 5 minutes without any unknown id (the registry was restored), one is poison again.
    const last = retries.at(-1)!;
    let state = judgements.at(-1)!.state;
    expect(judgeUnknownId(state, last + 299_999, options).verdict).toBe('stall');
    state = judgeUnknownId(state, last, options).state;
    expect(judgeUnknownId(state, last + 300_000, options).verdict).toBe('poison');
  });

  it('never dead-letters more than burstLimit records in any window while retries keep coming', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 300 }),
        fc.integer({ min: 1, max: 10 }),
        (gaps, burstLimit) => {
          const o = { burstLimit, windowMs: 60_000, quietMs: 300_000 };
          let time = 0;
          const times = gaps.map((gap) => (time += gap));
          const poisoned = judgeAll(times, o)
            .map((j, i) => (j.verdict === 'poison' ? times[i]! : undefined))
            .filter((t) => t !== undefined);
          return poisoned.every((t) => poisoned.filter((u) => u > t - 60_000 && u <= t).length <= burstLimit);
        },
      ),
    );
  });
});
