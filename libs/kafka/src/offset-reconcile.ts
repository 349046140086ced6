/**
 * What to do with a fetched batch given the next offset PostgreSQL says this partition must read.
 * Kafka's committed offsets are a hint only: the database is the truth (invariant 2). But a stored offset below
 * the first record Kafka can still deliver (retention moved the log start, compaction removed records) is a gap to
 * accept, never a reason to seek back: topics age, and a rebuild from empty tables must work on a topic years old.
 */
export type Reconciliation =
  | {
      action: 'process';
      /** Apply the batch's records from this offset on; earlier ones are already applied. */
      fromOffset: string;
      /** Offsets [from, to) between the stored offset and the batch that Kafka no longer holds: log once, count. */
      gap?: { from: string; to: string };
    }
  | { action: 'seek'; toOffset: string };

export interface PartitionPosition {
  /** The next offset stored with the results; undefined when nothing is stored (nothing applied: read from 0). */
  stored: string | undefined;
  /** The first offset of the fetched batch. */
  firstOffset: string;
  /** The partition's log start offset as last seen (records below it are deleted), when known. */
  logStart?: string | undefined;
  /**
   * Where the runtime last sought this partition since its assignment. A batch fetched after a seek to X that starts
   * past X proves that nothing between X and its first offset can be delivered (compacted away, or below a log start
   * that moved since we looked): the gap is accepted instead of seeking to X again.
   */
  soughtTo?: string | undefined;
  /**
   * The offset Kafka was asked to read this batch from (kafkajs keeps it on the batch). When it is at or below the
   * stored offset and the batch starts past it, nothing in between exists: a compacted gap, proven without a seek.
   */
  fetchedOffset?: string | undefined;
}

/**
 * Where a partition should be read from: the stored offset, or the log start when retention already deleted it.
 *
 * @example
 * startOffset('10', '4')        // '10'
 * startOffset(undefined, '500') // '500': nothing stored, and everything below 500 is gone
 * startOffset('10', undefined)  // '10'
 */
export function startOffset(stored: string | undefined, logStart: string | undefined): string {
  const expected = BigInt(stored ?? '0');
  const start = BigInt(logStart ?? '0');
  return (expected > start ? expected : start).toString();
}

/**
 * @example
 * reconcile({ stored: '10', firstOffset: '12' })                    // seek to '10': Kafka is ahead of the database
 * reconcile({ stored: '10', firstOffset: '12', soughtTo: '10' })    // process from '12', gap 10..12: we sought 10
 *                                                                   //   and Kafka still starts at 12 (compacted)
 * reconcile({ stored: '10', firstOffset: '7' })                     // process from '10': 7..9 are already applied
 * reconcile({ stored: undefined, firstOffset: '7' })                // seek to '0': nothing applied, read it all
 * reconcile({ stored: undefined, firstOffset: '500', logStart: '500' }) // process from '500', gap 0..500
 * reconcile({ stored: '10', firstOffset: '900', logStart: '500' })  // seek to '500', not to the deleted '10'
 * reconcile({ stored: '10', firstOffset: '12', fetchedOffset: '10' }) // process from '12', gap 10..12: asked for
 *                                                                     //   10, Kafka had nothing before 12
 */
export function reconcile(position: PartitionPosition): Reconciliation {
  const expected = BigInt(position.stored ?? '0');
  const first = BigInt(position.firstOffset);
  if (first <= expected) return { action: 'process', fromOffset: expected.toString() };
  const target = startOffset(position.stored, position.logStart);
  const fetchedBelow = position.fetchedOffset !== undefined && BigInt(position.fetchedOffset) <= expected;
  if (first <= BigInt(target) || position.soughtTo === target || fetchedBelow) {
    return {
      action: 'process',
      fromOffset: position.firstOffset,
      gap: { from: expected.toString(), to: position.firstOffset },
    };
  }
  return { action: 'seek', toOffset: target };
}
