import type { Consumer } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@tally/log';
import { offsetHints } from './offset-hints.ts';

type Commit = { topic: string; partition: number; offset: string }[];

function recordingConsumer(fail = false) {
  const commits: Commit[] = [];
  const consumer = {
    commitOffsets: (offsets: Commit) => {
      commits.push(offsets);
      return fail ? Promise.reject(new Error('not the coordinator')) : Promise.resolve();
    },
  } as unknown as Consumer;
  return { consumer, commits };
}

const log = createLogger('offset-hints-test', 'silent');

describe('offsetHints', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends the latest offset of every noted partition once per interval, in one request', async () => {
    const { consumer, commits } = recordingConsumer();
    const hints = offsetHints(consumer, 't', 1_000, log);
    hints.note(0, '10');
    hints.note(1, '5');
    hints.note(0, '20');
    expect(commits).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(commits).toEqual([
      [
        { topic: 't', partition: 0, offset: '20' },
        { topic: 't', partition: 1, offset: '5' },
      ],
    ]);
    hints.note(1, '6');
    await vi.advanceTimersByTimeAsync(999);
    expect(commits).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(commits[1]).toEqual([{ topic: 't', partition: 1, offset: '6' }]);
  });

  it('flush sends what is noted at once, and every later note immediately', async () => {
    const { consumer, commits } = recordingConsumer();
    const hints = offsetHints(consumer, 't', 60_000, log);
    hints.note(2, '7');
    await hints.flush();
    expect(commits).toEqual([[{ topic: 't', partition: 2, offset: '7' }]]);
    hints.note(2, '8');
    await vi.advanceTimersByTimeAsync(0);
    expect(commits[1]).toEqual([{ topic: 't', partition: 2, offset: '8' }]);
  });

  it('forget drops what a rebalance made stale', async () => {
    const { consumer, commits } = recordingConsumer();
    const hints = offsetHints(consumer, 't', 1_000, log);
    hints.note(0, '3');
    hints.forget();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(commits).toEqual([]);
  });

  it('a failed commit is logged, not thrown, and later hints still go out', async () => {
    const { consumer, commits } = recordingConsumer(true);
    const hints = offsetHints(consumer, 't', 10, log);
    hints.note(0, '1');
    await vi.advanceTimersByTimeAsync(10);
    hints.note(0, '2');
    await vi.advanceTimersByTimeAsync(10);
    await expect(hints.flush()).resolves.toBeUndefined();
    expect(commits.map((c) => c[0]!.offset)).toEqual(['1', '2']);
  });
});
