import { describe, expect, it } from 'vitest';
import { Reduced, ensureReduced, isReduced, reduced, unreduced } from './reduced.ts';

describe('reduced', () => {
  it('boxes and unboxes', () => {
    const r = reduced(3);
    expect(r).toBeInstanceOf(Reduced);
    expect(r.value).toBe(3);
    expect(isReduced(r)).toBe(true);
    expect(isReduced(3)).toBe(false);
    expect(unreduced(r)).toBe(3);
    expect(unreduced(3)).toBe(3);
  });

  it('ensureReduced never double-wraps', () => {
    const r = reduced('a');
    expect(ensureReduced(r)).toBe(r);
    expect(ensureReduced('a')).toEqual(reduced('a'));
  });
});
