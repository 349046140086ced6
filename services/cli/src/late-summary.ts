import type { LateSample } from '@tally/kafka';
import { hourStartOf } from '@tally/metering';
import { sampleIdentity, type TrafficSample } from '@tally/records';

/** One record of the late-data topic, where it sits and what it holds. */
export interface LateRecord {
  readonly partition: number;
  readonly offset: string;
  readonly late: LateSample;
}

/** Which late records an operator means: one account (as the inventory knows the instance now), sample times. */
export interface LateFilter {
  readonly account?: string | undefined;
  /** Window starts in [from, to), epoch ms. */
  readonly from?: number | undefined;
  readonly to?: number | undefined;
}

export interface LateGroup {
  /** The instance's owner in metering's inventory now; null when the inventory never learnt of the instance. */
  readonly accountId: string | null;
  readonly hourStart: string;
  readonly records: number;
  /** Distinct samples (instance, interface, window): a sample can be late more than once (resends, replays). */
  readonly samples: number;
  /** Records already re-injected by `late replay`. */
  readonly replayed: number;
  readonly reasons: Readonly<Record<string, number>>;
}

/** The key a record is tracked by in late_replays. */
export const lateRecordKey = (partition: number, offset: string) => `${partition}@${offset}`;

/**
 * The records a filter selects.
 *
 * @example
 * selectLate(records, owners, { account: 'acc-1', from: Date.parse('2026-11-01T00:00:00Z') });
 */
export function selectLate(
  records: readonly LateRecord[],
  owners: ReadonlyMap<string, string>,
  filter: LateFilter,
): LateRecord[] {
  return records.filter(({ late: { sample } }) => {
    if (filter.account !== undefined && owners.get(sample.instanceId) !== filter.account) return false;
    if (filter.from !== undefined && sample.windowStart < filter.from) return false;
    if (filter.to !== undefined && sample.windowStart >= filter.to) return false;
    return true;
  });
}

/**
 * Late records grouped by account and hour of the sample, ordered by account (unknown last) then hour.
 *
 * @example
 * summarizeLate(records, new Map([['i-1', 'acc-1']]), new Set());
 * // [{ accountId: 'acc-1', hourStart: '2026-11-30T10:00:00.000Z', records: 3, samples: 2, replayed: 0, reasons: { … } }]
 */
export function summarizeLate(
  records: readonly LateRecord[],
  owners: ReadonlyMap<string, string>,
  replayed: ReadonlySet<string>,
): LateGroup[] {
  const groups = new Map<
    string,
    {
      accountId: string | null;
      hour: number;
      records: number;
      ids: Set<string>;
      replayed: number;
      reasons: Map<string, number>;
    }
  >();
  for (const record of records) {
    const { sample, reason } = record.late;
    const accountId = owners.get(sample.instanceId) ?? null;
    const hour = hourStartOf(sample.windowStart);
    const key = `${accountId ?? ''}|${hour}`;
    const group = groups.get(key) ?? { accountId, hour, records: 0, ids: new Set(), replayed: 0, reasons: new Map() };
    group.records += 1;
    group.ids.add(sampleIdentity(sample));
    if (replayed.has(lateRecordKey(record.partition, record.offset))) group.replayed += 1;
    group.reasons.set(reason, (group.reasons.get(reason) ?? 0) + 1);
    groups.set(key, group);
  }
  return [...groups.values()]
    .sort((a, b) => {
      if (a.accountId !== b.accountId) {
        if (a.accountId === null) return 1;
        if (b.accountId === null) return -1;
        return a.accountId < b.accountId ? -1 : 1;
      }
      return a.hour - b.hour;
    })
    .map((g) => ({
      accountId: g.accountId,
      hourStart: new Date(g.hour).toISOString(),
      records: g.records,
      samples: g.ids.size,
      replayed: g.replayed,
      reasons: Object.fromEntries([...g.reasons].sort(([a], [b]) => (a < b ? -1 : 1))),
    }));
}

/**
 * What one `late replay` run sends: every chosen record not replayed before is marked, and each distinct sample
 * among them is sent once (the same sample late twice is one sample; metering would absorb the second anyway).
 *
 * @example
 * planLateSends(chosen, new Set(['0@12'])); // { mark: [records other than 0@12], send: [distinct samples] }
 */
export function planLateSends(
  chosen: readonly LateRecord[],
  replayed: ReadonlySet<string>,
): { mark: LateRecord[]; send: TrafficSample[] } {
  const mark = chosen.filter((r) => !replayed.has(lateRecordKey(r.partition, r.offset)));
  const send = new Map<string, TrafficSample>();
  for (const { late } of mark) {
    const id = sampleIdentity(late.sample);
    if (!send.has(id)) send.set(id, late.sample);
  }
  return { mark, send: [...send.values()] };
}
