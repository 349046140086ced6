import type { PlanRow } from './replay-plan.ts';

export interface PartitionProgress {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** Records read since the rewind, of those between the new offset and the end when the plan was made. */
  readonly read: bigint;
  readonly toRead: bigint;
}

export interface ReplayProgress {
  readonly partitions: readonly PartitionProgress[];
  readonly read: bigint;
  readonly toRead: bigint;
  readonly done: boolean;
  /** Records per second since the rewind; undefined before any time has passed. */
  readonly rate: number | undefined;
  /** Seconds left at that rate; undefined while nothing has been read yet. */
  readonly etaSeconds: number | undefined;
}

/**
 * How far the rebuild is, from the offsets the service stores with its results (`current`, by
 * `group|topic|partition`), against the plan's moved rows. Done when every partition has reached the end the
 * plan saw; later records are ordinary traffic.
 *
 * @example
 * replayProgress([{ group: 'g', topic: 't', partition: 0, next: '5', high: '15', … }], new Map([['g|t|0', '10']]), 5_000);
 * // { read: 5n, toRead: 10n, rate: 1, etaSeconds: 5, done: false, … }
 */
export function replayProgress(
  moved: readonly PlanRow[],
  current: ReadonlyMap<string, string>,
  elapsedMs: number,
): ReplayProgress {
  const partitions = moved.map((row): PartitionProgress => {
    const next = BigInt(row.next ?? '0');
    const toRead = BigInt(row.high) - next;
    const at = BigInt(current.get(`${row.group}|${row.topic}|${row.partition}`) ?? next.toString());
    const read = at <= next ? 0n : at - next > toRead ? toRead : at - next;
    return { group: row.group, topic: row.topic, partition: row.partition, read, toRead };
  });
  const read = partitions.reduce((sum, p) => sum + p.read, 0n);
  const toRead = partitions.reduce((sum, p) => sum + p.toRead, 0n);
  const rate = elapsedMs > 0 ? (Number(read) * 1000) / elapsedMs : undefined;
  const left = Number(toRead - read);
  const etaSeconds = rate !== undefined && rate > 0 ? Math.ceil(left / rate) : left === 0 ? 0 : undefined;
  return { partitions, read, toRead, done: partitions.every((p) => p.read >= p.toRead), rate, etaSeconds };
}

/** One progress report: a line per partition, then the total with rate and ETA. */
export function formatProgress(progress: ReplayProgress): string {
  const pct = (read: bigint, of: bigint) => (of === 0n ? 100 : Number((read * 100n) / of));
  const lines = progress.partitions.map(
    (p) => `  ${p.group} ${p.topic}[${p.partition}]  ${p.read}/${p.toRead} (${pct(p.read, p.toRead)}%)`,
  );
  const rate = progress.rate === undefined ? '-' : `${progress.rate.toFixed(1)} records/s`;
  const eta = progress.done ? 'caught up' : progress.etaSeconds === undefined ? 'ETA -' : `ETA ${progress.etaSeconds}s`;
  return `${lines.join('\n')}\n  total ${progress.read}/${progress.toRead} (${pct(progress.read, progress.toRead)}%), ${rate}, ${eta}\n`;
}
