/**
 * What a coalescing consumer keeps of one partition between commits: the pipeline results of consecutive fetches,
 * and the offsets they cover. Nothing here is durable: the stored offset is still `from`, so a crash, a lost
 * partition or a failed commit re-reads `start..to` and loses nothing (invariant 2).
 */
export interface HeldResults<R> {
  /** The stored offset when the first of these batches was held: the coalesced commit is fenced on it. */
  readonly from: string | undefined;
  /** The first offset held: where to read again when the coalesced commit cannot be made. */
  readonly start: string;
  /** The next offset after the last held batch: what the coalesced commit stores. */
  to: string;
  results: R[];
  /** Records read into this hold (decoded or dead-lettered): what `commitMaxRecords` bounds. */
  records: number;
  /** Records decoded (for the records-in metric). */
  decoded: number;
  /** When the first batch was held (ms): `commitIntervalMs` counts from it. */
  readonly since: number;
  /** The partition's high watermark as last fetched, for the lag metric. */
  highWatermark: string;
  /** Failed commit attempts of this hold, made from the timer, and when the first one failed. */
  failures: number;
  failingSince: number | undefined;
  /** No commit attempt from the timer before this time (ms): the backoff after a transient failure. */
  retryAt: number;
}

/** When a coalescing consumer commits what it holds. */
export interface CommitBounds {
  /** Most milliseconds from the first held batch to the commit. */
  readonly intervalMs: number;
  /** Most records held per partition. */
  readonly maxRecords: number;
}

/**
 * Whether a hold is due: its first batch is `intervalMs` old, or it holds `maxRecords`.
 *
 * @example
 * commitDue({ since: 0, records: 10 }, 999, { intervalMs: 1_000, maxRecords: 100 }); // false
 * commitDue({ since: 0, records: 10 }, 1_000, { intervalMs: 1_000, maxRecords: 100 }); // true
 * commitDue({ since: 0, records: 100 }, 0, { intervalMs: 1_000, maxRecords: 100 }); // true
 */
export function commitDue(
  held: Pick<HeldResults<unknown>, 'since' | 'records'>,
  now: number,
  bounds: CommitBounds,
): boolean {
  return held.records >= bounds.maxRecords || now - held.since >= bounds.intervalMs;
}

/** Starts a hold of a partition whose stored offset is `from`, with the first batch's results. */
export function startHold<R>(from: string | undefined, start: string, now: number): HeldResults<R> {
  return {
    from,
    start,
    to: start,
    results: [],
    records: 0,
    decoded: 0,
    since: now,
    highWatermark: start,
    failures: 0,
    failingSince: undefined,
    retryAt: 0,
  };
}

/** Adds one batch (`records` read, `decoded` of them decoded, ending before `to`) to a hold. */
export function holdBatch<R>(
  held: HeldResults<R>,
  batch: { results: readonly R[]; records: number; decoded: number; to: string; highWatermark: string },
): void {
  // push(...results) would overflow the stack for a large batch.
  for (const result of batch.results) held.results.push(result);
  held.records += batch.records;
  held.decoded += batch.decoded;
  held.to = batch.to;
  held.highWatermark = batch.highWatermark;
}
