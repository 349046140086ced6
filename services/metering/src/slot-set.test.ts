import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countSlots, EMPTY_SLOT_SET, hasSlot, slotSetOf, slotsOf, unionSlots, withSlot } from './slot-set.ts';

describe('slot set', () => {
  it('adds without touching the original', () => {
    const one = withSlot(EMPTY_SLOT_SET, 31);
    const two = withSlot(one, 32);
    expect(slotsOf(one)).toEqual([31]);
    expect(slotsOf(two)).toEqual([31, 32]);
    expect(withSlot(two, 32)).toBe(two);
  });

  it('handles the high bit of every word', () => {
    const set = slotSetOf([31, 63, 95, 119, 0]);
    expect(slotsOf(set)).toEqual([0, 31, 63, 95, 119]);
    expect(countSlots(set)).toBe(5);
    expect(set.every((word) => word >= 0)).toBe(true);
  });

  it('rejects slots outside the hour', () => {
    expect(() => withSlot(EMPTY_SLOT_SET, 120)).toThrow(RangeError);
    expect(() => hasSlot(EMPTY_SLOT_SET, -1)).toThrow(RangeError);
    expect(() => hasSlot(EMPTY_SLOT_SET, 1.5)).toThrow(RangeError);
  });

  it('agrees with a Set of numbers', () => {
    const slots = fc.array(fc.integer({ min: 0, max: 119 }));
    fc.assert(
      fc.property(slots, slots, (a, b) => {
        const union = unionSlots(slotSetOf(a), slotSetOf(b));
        const expected = [...new Set([...a, ...b])].sort((x, y) => x - y);
        expect(slotsOf(union)).toEqual(expected);
        expect(countSlots(union)).toBe(expected.length);
      }),
    );
  });
});
