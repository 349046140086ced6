import { describe, expect, it } from 'vitest';
import { comp } from './comp.ts';
import { into } from './into.ts';
import { map } from './map.ts';
import { sideOutput } from './side-output.ts';
import type { Failure } from './try-map.ts';
import { tryMap } from './try-map.ts';

describe('tryMap', () => {
  it('sends inputs that throw to the failures side output, with the error', () => {
    const dead = sideOutput<Failure<string>>();
    expect(
      into(
        [],
        tryMap((s: string) => JSON.parse(s) as number, dead),
        ['1', '{', '3'],
      ),
    ).toEqual([1, 3]);
    expect(dead.items).toHaveLength(1);
    expect(dead.items[0]?.input).toBe('{');
    expect(dead.items[0]?.error).toBeInstanceOf(SyntaxError);
  });
  it('does not catch errors thrown downstream', () => {
    const dead = sideOutput<Failure<number>>();
    const xf = comp(
      tryMap((x: number) => x, dead),
      map((): number => {
        throw new Error('downstream');
      }),
    );
    expect(() => into([], xf, [1])).toThrow('downstream');
    expect(dead.items).toEqual([]);
  });
});
