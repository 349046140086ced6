import { describe, expect, it } from 'vitest';
import { sequenceAsync, transduceAsync } from './async.ts';
import { comp } from './comp.ts';
import { map } from './map.ts';
import { partitionAll } from './partition-all.ts';
import { sum, toArray } from './reducers.ts';
import { take } from './take.ts';

async function* source(items: number[], state = { pulled: 0, closed: false }): AsyncGenerator<number> {
  try {
    for (const x of items) {
      await Promise.resolve();
      state.pulled++;
      yield x;
    }
  } finally {
    state.closed = true;
  }
}

describe('transduceAsync', () => {
  it('transduces an async iterable', async () => {
    expect(
      await transduceAsync(
        map((x: number) => x * 2),
        sum(),
        source([1, 2, 3]),
      ),
    ).toBe(12);
  });
  it('takes an init and sync iterables too', async () => {
    expect(
      await transduceAsync(
        map((x: number) => x),
        sum(),
        10,
        [1, 2],
      ),
    ).toBe(13);
  });
  it('stops on reduced and closes the source', async () => {
    const state = { pulled: 0, closed: false };
    const out = await transduceAsync(take<number>(2), toArray<number>(), source([1, 2, 3, 4], state));
    expect(out).toEqual([1, 2]);
    expect(state).toEqual({ pulled: 2, closed: true });
  });
  it('completes stateful steps', async () => {
    const out = await transduceAsync(partitionAll<number>(2), toArray<number[]>(), source([1, 2, 3]));
    expect(out).toEqual([[1, 2], [3]]);
  });
});

describe('sequenceAsync', () => {
  it('yields outputs lazily and flushes at the end', async () => {
    const out: number[][] = [];
    for await (const group of sequenceAsync(comp(take<number>(3), partitionAll<number>(2)), source([1, 2, 3, 4]))) {
      out.push(group);
    }
    expect(out).toEqual([[1, 2], [3]]);
  });
});
