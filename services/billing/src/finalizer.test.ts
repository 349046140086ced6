import { describe, expect, it } from 'vitest';
import { roundsOf } from './finalizer.ts';

describe('roundsOf', () => {
  const c = (accountId: string, month: string) => ({ accountId, month });

  it('keeps candidates in order and starts a round when an account comes again', () => {
    expect(
      roundsOf([c('a', '2025-01'), c('b', '2025-01'), c('a', '2025-02'), c('b', '2025-02'), c('c', '2025-02')]),
    ).toEqual([
      [c('a', '2025-01'), c('b', '2025-01')],
      [c('a', '2025-02'), c('b', '2025-02'), c('c', '2025-02')],
    ]);
  });

  it('gives one round when every account comes once, none when there is nothing', () => {
    expect(roundsOf([c('a', '2025-01'), c('b', '2025-01')])).toHaveLength(1);
    expect(roundsOf([])).toEqual([]);
  });
});
