import { describe, expect, it } from 'vitest';
import { inventoryCaughtUp } from './inventory-caught-up.ts';

const ends = [
  { partition: 0, low: '0', high: '10' },
  { partition: 1, low: '5', high: '5' },
];

describe('inventoryCaughtUp', () => {
  it('needs every non-empty partition stored up to its end', () => {
    expect(inventoryCaughtUp(ends, new Map([[0, '10']]))).toBe(true);
    expect(inventoryCaughtUp(ends, new Map([[0, '11']]))).toBe(true);
    expect(inventoryCaughtUp(ends, new Map([[0, '9']]))).toBe(false);
    expect(inventoryCaughtUp(ends, new Map([[1, '5']]))).toBe(false);
  });

  it('holds for an empty inventory', () => {
    expect(inventoryCaughtUp([{ partition: 0, low: '3', high: '3' }], new Map())).toBe(true);
    expect(inventoryCaughtUp([], new Map())).toBe(true);
  });
});
