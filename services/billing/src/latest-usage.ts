import { hash } from 'node:crypto';
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

/**
 * The one definition of the equal-version tie rule (latestUsage here, upsertUsage's `tie_key` in billing_usage): the
 * SHA-256 (hex) of the canonical JSON of the record as billing stores it (without its `counted` slots). Compared as
 * plain code units (COLLATE "C" in SQL), so neither the input order, the batching nor the database's locale decides.
 *
 * @example
 * usageTieKey(record); // 'c0ffee…' (64 hex digits)
 */
export function usageTieKey(record: UsageHourly): string {
  return hash('sha256', storedCanonicalJson(record), 'hex');
}

/** Per shape of record (its keys in their order), the `"key":` prefixes in canonical order. */
const shapes = new Map<
  string,
  { readonly own: readonly string[]; readonly keys: readonly string[]; readonly prefixes: readonly string[] }
>();
const MAX_SHAPES = 64;

/**
 * canonicalJson({ ...record, counted: [] }), without sorting the keys of every record: upsertUsage computes it for
 * each record it writes, and canonicalJson took ~9 µs a record, against ~1 µs here. A value that is not a primitive
 * (none in today's schema but `counted`) takes canonicalJson itself.
 */
export function storedCanonicalJson(record: UsageHourly): string {
  const own = Object.keys(record);
  const shapeKey = own.join('\u0000');
  let shape = shapes.get(shapeKey);
  // Keys holding the separator could share a shape key: the cached shape is used only for the very same keys.
  if (shape === undefined || !sameKeys(shape.own, own)) {
    const keys = [...own].sort();
    shape = { own, keys, prefixes: keys.map((key, i) => `${i === 0 ? '{' : ','}${JSON.stringify(key)}:`) };
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(shapeKey, shape);
  }
  const values = record as unknown as Record<string, unknown>;
  let text = '';
  for (let i = 0; i < shape.keys.length; i += 1) {
    const key = shape.keys[i]!;
    const value = values[key];
    let json: string;
    if (key === 'counted') json = '[]';
    else if (typeof value === 'string' || typeof value === 'boolean' || value === null) json = JSON.stringify(value);
    else if (
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (!Number.isInteger(value) || Number.isSafeInteger(value))
    )
      json = JSON.stringify(value);
    else json = canonicalJson(value);
    text += shape.prefixes[i]! + json;
  }
  return shape.keys.length === 0 ? '{}' : `${text}}`;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
