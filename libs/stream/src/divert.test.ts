import { describe, expect, it } from 'vitest';
import { comp } from './comp.ts';
import { divert } from './divert.ts';
import { into } from './into.ts';
import { map } from './map.ts';
import { sideOutput } from './side-output.ts';

describe('divert', () => {
  it('sends matching inputs to the side output', () => {
    const negatives = sideOutput<number>();
    expect(
      into(
        [],
        divert((x: number) => x < 0, negatives),
        [1, -2, 3, -4],
      ),
    ).toEqual([1, 3]);
    expect(negatives.items).toEqual([-2, -4]);
  });
  it('narrows the main chain with a type guard', () => {
    type Parsed = { ok: true; value: number } | { ok: false; raw: string };
    const bad = sideOutput<{ ok: false; raw: string }>();
    const xf = comp(
      divert((p: Parsed): p is { ok: false; raw: string } => !p.ok, bad),
      map((p) => p.value), // p is { ok: true; value: number } here
    );
    const input: Parsed[] = [
      { ok: true, value: 1 },
      { ok: false, raw: 'x' },
    ];
    expect(into([], xf, input)).toEqual([1]);
    expect(bad.drain()).toEqual([{ ok: false, raw: 'x' }]);
  });
});
