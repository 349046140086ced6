import type { ReplayTarget } from './replay-targets.ts';

/** What the broker and PostgreSQL say about one partition of a replayed group, before anything moves. */
export interface PartitionFacts {
  readonly partition: number;
  /** The next offset stored with the group's results; undefined when nothing was ever stored. */
  readonly stored: string | undefined;
  /** First offset Kafka can still deliver, and the end (next offset to be written). */
  readonly low: string;
  readonly high: string;
  /** First offset at or after `--from` (the end when nothing is that recent). */
  readonly from: string;
  /** First offset at or after `--to`, when given: the replayed range ends there. */
  readonly to?: string | undefined;
}

export interface PlanRow {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly stored: string | undefined;
  /** The offset to store; equal to `stored` when this partition does not move. */
  readonly next: string | undefined;
  /** Records already read that will be read again: stored − next. */
  readonly reread: string;
  /** Records from `next` to the end as the plan was made: what the service reads until it is caught up. */
  readonly toEnd: string;
  readonly high: string;
  /** The records whose state is rebuilt ([from, to) offsets), when the partition moves. */
  readonly covered: { readonly from: string; readonly to: string } | undefined;
  readonly note: string;
}

export interface ReplayPlan {
  readonly targets: readonly ReplayTarget[];
  readonly rows: readonly PlanRow[];
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/**
 * Where one partition goes. A replay only ever moves back (a group behind `--from` keeps its position: moving it
 * forward would skip records), never below the first record Kafka still has, and never touches a partition that
 * has nothing stored (its consumer reads from the start anyway).
 *
 * @example
 * planPartition(t, { partition: 0, stored: '10', low: '0', high: '12', from: '5' });
 * // { stored: '10', next: '5', reread: '5', toEnd: '7', covered: { from: '5', to: '10' }, … }
 * planPartition(t, { partition: 0, stored: '3', low: '0', high: '12', from: '5' }); // next: '3' (behind --from)
 */
export function planPartition(target: ReplayTarget, facts: PartitionFacts): PlanRow {
  const base = { group: target.group, topic: target.topic, partition: facts.partition, high: facts.high };
  const high = BigInt(facts.high);
  if (facts.stored === undefined) {
    return {
      ...base,
      stored: undefined,
      next: undefined,
      reread: '0',
      toEnd: (high - BigInt(facts.low)).toString(),
      covered: undefined,
      note: 'nothing stored: reads from the start anyway',
    };
  }
  const stored = BigInt(facts.stored);
  const next = max(BigInt(facts.from), BigInt(facts.low));
  if (next >= stored) {
    return {
      ...base,
      stored: facts.stored,
      next: facts.stored,
      reread: '0',
      toEnd: max(0n, high - stored).toString(),
      covered: undefined,
      note: stored < BigInt(facts.low) ? 'stored offset below the log start: nothing to re-read' : 'already there',
    };
  }
  const end = facts.to === undefined ? stored : max(next, min(stored, BigInt(facts.to)));
  return {
    ...base,
    stored: facts.stored,
    next: next.toString(),
    reread: (stored - next).toString(),
    toEnd: (high - next).toString(),
    covered: end > next ? { from: next.toString(), to: end.toString() } : undefined,
    note: '',
  };
}

/** Rows whose stored offset changes. */
export function movedRows(plan: ReplayPlan): PlanRow[] {
  return plan.rows.filter((row) => row.next !== row.stored);
}

const STATE_TEXT: Record<ReplayTarget['state'], string> = {
  'offsets-only': 'offsets only: re-reading is idempotent, state already right stays',
  'billing-usage':
    'offsets + billing_usage rows of the instance-hours in the replayed range (re-read and recomputed); finalized invoices untouched',
};

/**
 * The plan as operators read it: one line per partition, then what happens to the state of each group.
 *
 * @example
 * formatPlan(plan);
 * // group    topic        partition  stored  →  new  re-read  to end
 * // billing  usage.hourly 0          120     →  80   40       45
 */
export function formatPlan(plan: ReplayPlan): string {
  const header = ['group', 'topic', 'partition', 'stored', '→', 'new', 're-read', 'to end', 'note'];
  const lines = plan.rows.map((row) => [
    row.group,
    row.topic,
    String(row.partition),
    row.stored ?? '-',
    '→',
    row.next ?? '-',
    row.reread,
    row.toEnd,
    row.note,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const text = [header, ...lines].map((l) =>
    l
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
  const total = plan.rows.reduce((sum, row) => sum + BigInt(row.reread), 0n);
  const states = plan.targets.map((t) => `  ${t.group} (${t.topic}): ${STATE_TEXT[t.state]}`);
  return `${text.join('\n')}\n\n${movedRows(plan).length} partitions move back, ${total} records to re-read.\nstate:\n${states.join('\n')}\n`;
}
