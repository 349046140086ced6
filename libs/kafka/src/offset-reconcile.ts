/**
 * What to do with a fetched batch given the next offset PostgreSQL says this partition must read.
 * Kafka's committed offsets are a hint only: the database is the truth (invariant 2).
 */
export type Reconciliation = { action: 'process'; fromOffset: string } | { action: 'seek'; toOffset: string };

/**
 * @example
 * reconcile('10', '12')       // { action: 'seek', toOffset: '10' }: Kafka is ahead of the database; go back
 * reconcile('10', '7')        // { action: 'process', fromOffset: '10' }: skip 7..9, already applied
 * reconcile(undefined, '7')   // { action: 'process', fromOffset: '7' }: nothing stored yet
 */
export function reconcile(storedNext: string | undefined, batchFirstOffset: string): Reconciliation {
  if (storedNext === undefined) return { action: 'process', fromOffset: batchFirstOffset };
  const stored = BigInt(storedNext);
  const first = BigInt(batchFirstOffset);
  if (first > stored) return { action: 'seek', toOffset: storedNext };
  return { action: 'process', fromOffset: storedNext };
}
