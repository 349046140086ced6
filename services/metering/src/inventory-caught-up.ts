import { setTimeout as sleep } from 'node:timers/promises';
import { loadOffsets, type Queryable } from '@tally/db';
import type { Logger } from '@tally/log';

/** A partition's offsets as the broker gave them when metering started. */
export interface PartitionEnd {
  readonly partition: number;
  readonly low: string;
  readonly high: string;
}

/**
 * Whether the inventory consumer has stored offsets up to every partition's end taken at start: empty
 * partitions need nothing, the others a stored next offset at or past their high watermark.
 *
 * @example
 * inventoryCaughtUp([{ partition: 0, low: '0', high: '10' }], new Map([[0, '10']])); // true
 * inventoryCaughtUp([{ partition: 0, low: '0', high: '10' }], new Map([[0, '4']])); // false
 */
export function inventoryCaughtUp(ends: readonly PartitionEnd[], stored: ReadonlyMap<number, string>): boolean {
  return ends.every(({ partition, low, high }) => {
    if (BigInt(high) <= BigInt(low)) return true;
    const offset = stored.get(partition);
    return offset !== undefined && BigInt(offset) >= BigInt(high);
  });
}

export interface InventoryWaitOptions {
  readonly db: Queryable;
  readonly groupId: string;
  readonly topic: string;
  readonly ends: readonly PartitionEnd[];
  readonly timeoutMs: number;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/**
 * Waits, up to `timeoutMs`, until the inventory consumer has read the inventory as it stood at start. Metering
 * samples before that holds nearly every sample of a large fleet in the waiting room (written, re-read and
 * released batch after batch); after it, only instances that are really new wait. Past the timeout metering
 * starts anyway: the waiting room is still correct, only slower. Returns whether the inventory caught up.
 */
export async function waitForInventory(options: InventoryWaitOptions): Promise<boolean> {
  const started = Date.now();
  while (!options.signal.aborted) {
    if (inventoryCaughtUp(options.ends, await loadOffsets(options.db, options.groupId, options.topic))) {
      options.log.info({ waitedMs: Date.now() - started }, 'inventory read to its end; metering samples');
      return true;
    }
    if (Date.now() - started >= options.timeoutMs) break;
    await sleep(100, undefined, { signal: options.signal }).catch(() => undefined);
  }
  options.log.warn({ waitedMs: Date.now() - started }, 'inventory not read to its end yet; metering samples anyway');
  return false;
}
