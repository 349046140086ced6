import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { finalizeReadiness } from './caught-up.ts';

describe('finalizeReadiness', () => {
  it('is ready only with no usage unsent or parked and the consumers at the end', () => {
    expect(finalizeReadiness({ unsent: 0, parked: 0 }, true)).toEqual({ ready: true });
    expect(finalizeReadiness({ unsent: 3, parked: 0 }, true)).toEqual({ ready: false, reason: 'usage-unsent' });
    expect(finalizeReadiness({ unsent: 0, parked: 0 }, false)).toEqual({ ready: false, reason: 'behind' });
    expect(finalizeReadiness({ unsent: 5, parked: 2 }, false)).toEqual({
      ready: false,
      reason: 'usage-parked',
      parked: 2,
    });
  });

  it('never says ready while any usage is missing', () => {
    fc.assert(
      fc.property(fc.nat(5), fc.nat(5), fc.boolean(), (unsent, parked, behind) => {
        const readiness = finalizeReadiness({ unsent, parked }, !behind);
        expect(readiness.ready).toBe(unsent === 0 && parked === 0 && !behind);
      }),
    );
  });
});
