import { describe, expect, it } from 'vitest';
import { into } from './into.ts';
import { map } from './map.ts';

describe('map', () => {
  it('applies f to each input', () => {
    expect(
      into(
        [],
        map((x: number) => x * 10),
        [1, 2, 3],
      ),
    ).toEqual([10, 20, 30]);
  });
  it('changes the type', () => {
    const out: string[] = into(
      [],
      map((x: number) => `#${x}`),
      [1],
    );
    expect(out).toEqual(['#1']);
  });
  it('handles empty input', () => {
    expect(
      into(
        [],
        map((x: number) => x),
        [],
      ),
    ).toEqual([]);
  });
});
