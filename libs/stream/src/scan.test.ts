import { describe, expect, it } from 'vitest';
import { into } from './into.ts';
import { scan } from './scan.ts';

describe('scan', () => {
  it('sends each running state', () => {
    expect(
      into(
        [],
        scan(
          (total: number, x: number) => total + x,
          () => 0,
        ),
        [1, 2, 3],
      ),
    ).toEqual([1, 3, 6]);
  });
  it('can change the type', () => {
    const xf = scan(
      (s: string, x: number) => s + String(x),
      () => '',
    );
    expect(into([], xf, [1, 2])).toEqual(['1', '12']);
  });
  it('starts from init() for each binding', () => {
    const xf = scan(
      (total: number, x: number) => total + x,
      () => 100,
    );
    expect(into([], xf, [1])).toEqual([101]);
    expect(into([], xf, [1])).toEqual([101]);
  });
});
