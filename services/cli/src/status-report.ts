/** One partition of one consumer group: where the group is, by PostgreSQL and by Kafka, and how far behind. */
export interface PartitionStatus {
  readonly partition: number;
  /** Log end (high watermark) and start. */
  readonly end: string;
  readonly start: string;
  /** Next offset stored in PostgreSQL with the results; null when never stored. */
  readonly stored: string | null;
  /** Seconds since the stored offset last moved; null when never stored. */
  readonly storedAgeSeconds: number | null;
  /** Kafka's committed offset of the group (a hint, at most a batch behind); null when none. */
  readonly committed: string | null;
  /** end − stored (or end − start when never stored): what the service still has to read. */
  readonly lag: string;
  /** Lag, and the stored offset has not moved for longer than the threshold. */
  readonly stalled: boolean;
}

export interface GroupStatus {
  readonly service: string;
  readonly group: string;
  readonly topic: string;
  /** Set when the topic or the offsets could not be read (missing topic, schema not migrated). */
  readonly problem?: string;
  readonly partitions: readonly PartitionStatus[];
}

export interface OutboxStatus {
  readonly service: string;
  readonly schema: string;
  readonly rows: number;
  readonly oldestAgeSeconds: number | null;
  /** Rows parked with an error; null where the outbox has no parked state. */
  readonly parked: number | null;
  readonly problem?: string;
}

export interface TopicCount {
  readonly topic: string;
  /** Records with a timestamp in the window; null when the topic does not exist. */
  readonly records: number | null;
}

/** Billing's own backlog: hourly values waiting to be recomputed, and what waits for an operator or for input. */
export interface BillingBacklog {
  /** Accounts whose stored hourly values are marked stale and not parked (the stale-hours pass recomputes them). */
  readonly staleAccounts: number;
  /** Seconds since the oldest of those marks was first set; null when there are none. */
  readonly oldestStaleAgeSeconds: number | null;
  /** Stale marks parked because the account's hours could not be computed: an operator must look (oldest first). */
  readonly parked: readonly { readonly accountId: string; readonly reason: string; readonly parkedAt: string }[];
  /** Account-hours parked until their account or a price arrives. */
  readonly pendingHours: number;
  readonly problem?: string;
}

export interface StatusReport {
  readonly at: string;
  readonly stallAfterSeconds: number;
  readonly groups: readonly GroupStatus[];
  readonly outboxes: readonly OutboxStatus[];
  readonly deadLetters24h: readonly TopicCount[];
  readonly lateSamples24h: readonly TopicCount[];
  readonly lastFinalized: { readonly month: string | null; readonly invoices: number; readonly problem?: string };
  readonly billing: BillingBacklog;
}

/**
 * A partition's lag and whether it looks stalled: records left to read and a stored offset older than the threshold.
 *
 * @example
 * partitionStatus({ partition: 0, start: '0', end: '10', stored: '4', storedAgeSeconds: 900, committed: '4' }, 300);
 * // { ..., lag: '6', stalled: true }
 */
export function partitionStatus(
  p: Omit<PartitionStatus, 'lag' | 'stalled'>,
  stallAfterSeconds: number,
): PartitionStatus {
  const position = p.stored === null ? BigInt(p.start) : BigInt(p.stored);
  const raw = BigInt(p.end) - position;
  const lag = raw < 0n ? 0n : raw;
  const stalled = lag > 0n && p.storedAgeSeconds !== null && p.storedAgeSeconds > stallAfterSeconds;
  return { ...p, lag: lag.toString(), stalled };
}

function age(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}

/** The report as one screen of text. */
export function renderStatus(report: StatusReport): string {
  const lines: string[] = [
    `tally status at ${report.at} (stalled: lag and no progress for ${report.stallAfterSeconds}s)`,
    '',
  ];
  lines.push('consumer groups: partition  lag  stored (age)  kafka committed  end');
  for (const g of report.groups) {
    const lag = g.partitions.reduce((sum, p) => sum + BigInt(p.lag), 0n);
    const stalled = g.partitions.filter((p) => p.stalled).map((p) => p.partition);
    lines.push(
      `  ${g.service} ${g.group} on ${g.topic}: ${g.problem ?? `lag ${lag}${stalled.length > 0 ? `, STALLED partitions ${stalled.join(',')}` : ''}`}`,
    );
    for (const p of g.partitions) {
      lines.push(
        `    [${p.partition}] ${p.lag.padStart(6)}  ${(p.stored ?? '-').padStart(8)} (${age(p.storedAgeSeconds)})  ${(p.committed ?? '-').padStart(8)}  ${p.end}${p.stalled ? '  STALLED' : ''}`,
      );
    }
  }
  lines.push('', 'outbox:');
  for (const o of report.outboxes) {
    lines.push(
      `  ${o.service} (schema ${o.schema}): ${o.problem ?? `${o.rows} rows, oldest ${age(o.oldestAgeSeconds)}${o.parked === null ? '' : `, ${o.parked} parked`}`}`,
    );
  }
  const counts = (title: string, list: readonly TopicCount[]) => {
    const total = list.reduce((sum, t) => sum + (t.records ?? 0), 0);
    lines.push('', `${title}: ${total}`);
    for (const t of list) if (t.records !== 0) lines.push(`  ${t.topic}: ${t.records ?? 'topic missing'}`);
  };
  counts('dead letters, last 24 h', report.deadLetters24h);
  counts('late samples, last 24 h', report.lateSamples24h);
  const f = report.lastFinalized;
  lines.push(
    '',
    `last finalized month: ${f.problem ?? (f.month === null ? 'none yet' : `${f.month} (${f.invoices} invoices)`)}`,
  );
  const b = report.billing;
  lines.push(
    '',
    `billing hourly values: ${b.problem ?? `${b.staleAccounts} accounts to recompute (oldest mark ${age(b.oldestStaleAgeSeconds)}), ${b.parked.length} parked, ${b.pendingHours} account-hours waiting for an account or a price`}`,
  );
  for (const p of b.parked) lines.push(`  PARKED ${p.accountId} since ${p.parkedAt}: ${p.reason}`);
  return `${lines.join('\n')}\n`;
}
