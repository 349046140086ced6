import { describe, expect, it } from 'vitest';
import { distinctBy } from './distinct-by.ts';
import { into } from './into.ts';

describe('distinctBy', () => {
  const id = (x: { id: string }) => x.id;

  it('sends each key once', () => {
    expect(into([], distinctBy(id, 10), [{ id: 'a' }, { id: 'b' }, { id: 'a' }])).toEqual([{ id: 'a' }, { id: 'b' }]);
  });
  it('forgets the least recently seen key when full', () => {
    // capacity 2: after a, b, c the key a is forgotten, so a passes again
    expect(
      into(
        [],
        distinctBy((x: string) => x, 2),
        ['a', 'b', 'c', 'a'],
      ),
    ).toEqual(['a', 'b', 'c', 'a']);
  });
  it('refreshes a key when it is seen again (LRU, not FIFO)', () => {
    // a is seen again before c arrives, so b (not a) is evicted
    expect(
      into(
        [],
        distinctBy((x: string) => x, 2),
        ['a', 'b', 'a', 'c', 'a', 'b'],
      ),
    ).toEqual(['a', 'b', 'c', 'b']);
  });
  it('starts with an empty memory for each binding', () => {
    const xf = distinctBy((x: number) => x, 5);
    expect(into([], xf, [1, 1])).toEqual([1]);
    expect(into([], xf, [1])).toEqual([1]);
  });
  it('requires a finite capacity >= 1', () => {
    expect(() => distinctBy(id, 0)).toThrow(RangeError);
    expect(() => distinctBy(id, Infinity)).toThrow(RangeError);
  });
});
