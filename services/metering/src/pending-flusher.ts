import { setTimeout as sleep } from 'node:timers/promises';
import { inTransaction, type Pool } from '@tally/db';
import type { Logger } from '@tally/log';
import { meterPartition, type MeterPartitionOptions } from './meter-partition.ts';
import { partitionsWithPending } from './pending-store.ts';

export interface PendingFlusherOptions {
  readonly pool: Pool;
  readonly groupId: string;
  readonly topic: string;
  readonly intervalMs: number;
  readonly clock: () => number;
  readonly meter: MeterPartitionOptions;
  readonly log: Logger;
}

/**
 * One pass: meters an empty batch for every partition that holds waiting samples, so samples whose instance
 * has since appeared are counted and those that waited too long go to late data, even when no new traffic
 * arrives on that partition. Safe beside batch commits and other processes: each pass takes the partition lock.
 */
export async function flushPending(options: PendingFlusherOptions): Promise<{ released: number; late: number }> {
  const { pool, groupId, topic } = options;
  let released = 0;
  let late = 0;
  for (const partition of await partitionsWithPending(pool, groupId, topic)) {
    const result = await inTransaction(pool, (client) =>
      meterPartition(client, { groupId, topic, partition }, [], options.clock(), options.meter),
    );
    late += result.late.length;
    released += result.pendingBefore - result.pending - result.late.length;
  }
  return { released, late };
}

/** Runs `flushPending` every `intervalMs` until `signal` aborts; failures are logged and retried. */
export async function runPendingFlusher(options: PendingFlusherOptions, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const { released, late } = await flushPending(options);
      if (released > 0 || late > 0) options.log.info({ released, late }, 'waiting samples moved on');
    } catch (error) {
      options.log.warn({ err: error }, 'pending-sample pass failed; retrying');
    }
    await sleep(options.intervalMs, undefined, { signal }).catch(() => undefined);
  }
}
