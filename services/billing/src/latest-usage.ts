import { usageKey, type UsageHourly } from '@tally/records';
import { canonicalJson } from './canonical-json.ts';

/**
 * Keeps, per instance-hour, the record with the highest version: an older version never overwrites a newer,
 * whatever order the records come in. Two different records with the same version (which metering never
 * writes) are resolved by their canonical JSON, so the result still does not depend on input order.
 * Output is ordered by instance id, then hour.
 *
 * @example
 * latestUsage([v2, v1, v3]); // [v3]
 */
export function latestUsage(records: Iterable<UsageHourly>): UsageHourly[] {
  const latest = new Map<string, UsageHourly>();
  for (const record of records) {
    const key = usageKey(record.instanceId, record.hourStart);
    const current = latest.get(key);
    if (current === undefined || wins(record, current)) latest.set(key, record);
  }
  return [...latest.values()].sort((a, b) =>
    a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : a.hourStart - b.hourStart,
  );
}

/** Whether `candidate` replaces `current` (same instance-hour): a higher version, or the greater canonical JSON. */
export function wins<T extends Pick<UsageHourly, 'version'>>(candidate: T, current: T): boolean {
  if (candidate.version !== current.version) return candidate.version > current.version;
  return canonicalJson(candidate) > canonicalJson(current);
}
