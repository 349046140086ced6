export interface BisectSteps<M> {
  /** Applies a contiguous run of records as one unit (pipeline, dead letters, commit); throws if it failed. */
  apply: (run: readonly M[]) => Promise<void>;
  /** Sets aside one record whose application failed deterministically (dead letter, then commit past it). */
  setAside: (record: M, error: unknown) => Promise<void>;
  /** True when retrying the same run cannot help; anything else propagates to the caller's retry. */
  isDeterministic: (error: unknown) => boolean;
  /** Called before each split, for logs. */
  onSplit?: (run: readonly M[], error: unknown) => void;
}

/**
 * Applies `records` in order, isolating the ones that fail deterministically: a failed run is split in halves, the
 * first half applied (recursively) before the second, down to the single offending record, which is set aside. Runs
 * are applied left to right and each covers a contiguous slice, so the offsets stored with a run cover exactly its
 * records: nothing is applied twice, nothing skipped. Any split of a batch is itself a valid batch, so coalescing
 * pipelines stay correct. Cost: one attempt when nothing fails; about 2·k·log2(n) attempts for k bad records.
 *
 * @example
 * // records 0..7, record 5 is bad: apply([0..7]) fails, apply([0..3]) ok, apply([4..7]) fails, apply([4,5]) fails,
 * // apply([4]) ok, apply([5]) fails → setAside(5), apply([6,7]) ok.
 * await bisect(records, { apply, setAside, isDeterministic: (e) => classifyError(e).kind === 'deterministic' });
 */
export async function bisect<M>(records: readonly M[], steps: BisectSteps<M>): Promise<void> {
  if (records.length === 0) return;
  try {
    await steps.apply(records);
    return;
  } catch (error) {
    if (!steps.isDeterministic(error)) throw error;
    if (records.length === 1) {
      await steps.setAside(records[0]!, error);
      return;
    }
    steps.onSplit?.(records, error);
    const middle = Math.ceil(records.length / 2);
    await bisect(records.slice(0, middle), steps);
    await bisect(records.slice(middle), steps);
  }
}
