import { createHash } from 'node:crypto';
import { usageKey, type UsageHourly } from '@tally/records';
import { canonicalJson } from './canonical-json.ts';

/**
 * Keeps, per instance-hour, the record with the highest version: an older version never overwrites a newer,
 * whatever order the records come in. Two different records with the same version (which metering never
 * writes) are resolved by usageTieKey, the rule upsertUsage applies in PostgreSQL, so the result does not depend
 * on input order nor on how records were split into batches. Output is ordered by instance id, then hour.
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

/**
 * Whether `candidate` replaces `current` (same instance-hour): a higher version, or at equal versions the greater
 * usageTieKey (then, for values that differ only in what billing does not store, the greater canonical JSON). Values
 * that are not whole records (measures read back from billing_usage, one per instance-hour) compare by canonical JSON.
 */
export function wins<T extends Pick<UsageHourly, 'version'>>(candidate: T, current: T): boolean {
  if (candidate.version !== current.version) return candidate.version > current.version;
  if (isRecord(candidate) && isRecord(current)) {
    const a = usageTieKey(candidate);
    const b = usageTieKey(current);
    if (a !== b) return a > b;
  }
  return canonicalJson(candidate) > canonicalJson(current);
}

function isRecord(value: Pick<UsageHourly, 'version'>): value is UsageHourly {
  return Array.isArray((value as Partial<UsageHourly>).counted);
}

const tieKeys = new WeakMap<UsageHourly, string>();

/**
 * The one definition of the equal-version tie rule (latestUsage here, upsertUsage's `tie_key` in billing_usage): the
 * SHA-256 (hex) of the canonical JSON of the record as billing stores it (without its `counted` slots). Compared as
 * plain code units (COLLATE "C" in SQL), so neither the input order, the batching nor the database's locale decides.
 *
 * @example
 * usageTieKey(record); // 'c0ffee…' (64 hex digits)
 */
export function usageTieKey(record: UsageHourly): string {
  let key = tieKeys.get(record);
  if (key === undefined) {
    const stored = record.counted.length === 0 ? record : { ...record, counted: [] };
    key = createHash('sha256').update(canonicalJson(stored)).digest('hex');
    tieKeys.set(record, key);
  }
  return key;
}
