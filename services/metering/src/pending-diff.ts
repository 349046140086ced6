import type { HeldSample } from './pending-samples.ts';

/** What turns the stored waiting samples of a partition into the held ones after a batch. */
export interface PendingDiff {
  /** Stored rows that left (released, expired or evicted). */
  readonly deleted: number[];
  /** New rows, with the seq each is stored under (after every kept row, in order). */
  readonly inserted: { readonly seq: number; readonly entry: HeldSample }[];
}

/**
 * The rows to delete and insert so that the stored waiting samples equal `after`, instead of deleting and
 * rewriting them all on every batch and every timer tick (with 100k samples waiting for a slow inventory, the
 * rewrite dominated the commit). `stored` maps each loaded entry to its seq; `PendingSamples` keeps the loaded
 * objects and appends new ones after them, so kept entries are recognised by identity and keep their order, and
 * new ones are numbered after the highest seq stored.
 *
 * @example
 * const a = { sample, heldAt: 1 }, b = { sample: other, heldAt: 2 };
 * diffPending(new Map([[a, 0]]), [b]); // { deleted: [0], inserted: [{ seq: 1, entry: b }] }
 */
export function diffPending(stored: ReadonlyMap<HeldSample, number>, after: readonly HeldSample[]): PendingDiff {
  const kept = new Set<HeldSample>();
  const inserted: { seq: number; entry: HeldSample }[] = [];
  let next = 0;
  for (const seq of stored.values()) next = Math.max(next, seq + 1);
  for (const entry of after) {
    if (stored.has(entry)) kept.add(entry);
    else inserted.push({ seq: next++, entry });
  }
  const deleted: number[] = [];
  for (const [entry, seq] of stored) if (!kept.has(entry)) deleted.push(seq);
  // Nothing kept: numbering can start over, so seq stays small on a partition that drains now and then.
  if (kept.size === 0) inserted.forEach((row, index) => (row.seq = index));
  return { deleted, inserted };
}
