import { setTimeout as sleep } from 'node:timers/promises';
import { loadOffsets, type Queryable } from '@tally/db';
import type { PlanRow } from './replay-plan.ts';
import { formatProgress, replayProgress } from './replay-progress.ts';

export interface WatchOptions {
  readonly intervalMs: number;
  readonly out: (text: string) => void;
  /** Stops watching (Ctrl-C); the service goes on rebuilding. */
  readonly signal?: AbortSignal;
}

/**
 * Polls the offsets the service stores with its results until every moved partition has read up to the end the
 * plan saw, printing records read of records to read per partition, the rate and an ETA at each poll.
 * Returns whether it saw the rebuild finish (false: stopped before).
 */
export async function watchReplay(db: Queryable, moved: readonly PlanRow[], options: WatchOptions): Promise<boolean> {
  const started = Date.now();
  const pairs = new Map(moved.map((row) => [`${row.group}|${row.topic}`, { group: row.group, topic: row.topic }]));
  for (;;) {
    const current = new Map<string, string>();
    for (const { group, topic } of pairs.values()) {
      for (const [partition, next] of await loadOffsets(db, group, topic))
        current.set(`${group}|${topic}|${partition}`, next);
    }
    const progress = replayProgress(moved, current, Date.now() - started);
    options.out(`${new Date().toISOString()}\n${formatProgress(progress)}`);
    if (progress.done) return true;
    await sleep(options.intervalMs, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal?.aborted === true) return false;
  }
}
