import { quoteIdentifier } from '@tally/db';
import { displayDecimal, Rational } from '@tally/money';
import type { UsageCursor } from './usage-cursor.ts';

export type Bucket = 'hour' | 'day' | 'month';
export type UsageGroupBy = 'instance' | 'instanceType' | 'sku';

/** What a usage page asks: one account or one instance, a range, buckets in a time zone, a grouping, a page. */
export interface UsageRequest {
  readonly scope: 'account' | 'instance';
  readonly id: string;
  /** Inclusive, exclusive. */
  readonly from: Date;
  readonly to: Date;
  readonly bucket: Bucket;
  readonly groupBy: UsageGroupBy;
  readonly timeZone: string;
  readonly limit: number;
  readonly after?: UsageCursor | undefined;
}

/** Sums of metering's counters; counts are strings (a month of many instances outgrows a double's exact range). */
export interface UsageMeasures {
  readonly instanceHours: number;
  readonly runningSeconds: string;
  readonly rxBytes: string;
  readonly txBytes: string;
  readonly rxPackets: string;
  readonly txPackets: string;
  readonly cpuSeconds: string;
}
export interface MeasureItem extends UsageMeasures {
  readonly period: string;
  readonly group: string;
}
export interface SkuItem {
  readonly period: string;
  readonly group: string;
  readonly unit: 'hour' | 'gb';
  readonly baseUnits: string;
  readonly quantity: string;
}

const PER_UNIT = { hour: 3600n, gb: 1_000_000_000n } as const;

const MEASURE_COLUMNS = `count(*)::int AS instance_hours, sum(u.running_seconds)::text AS running_seconds,
  sum(u.rx_bytes)::text AS rx_bytes, sum(u.tx_bytes)::text AS tx_bytes, sum(u.rx_packets)::text AS rx_packets,
  sum(u.tx_packets)::text AS tx_packets, sum(u.cpu_seconds)::text AS cpu_seconds`;

/**
 * One request's usage as a single SQL statement and a single pass over the rows: the groups and, through the empty
 * grouping set, the range's totals (the row with `is_total`, sorted first). For instance and type groupings the
 * page is cut in SQL (after the cursor, `limit + 1` groups, so the caller knows whether more follow). For SKUs the
 * rows are grouped by instance type and turned into SKUs by `skuPage` (few groups: periods × types).
 *
 * @example
 * usageSql(request, 'tally'); // { text: 'SELECT * FROM (SELECT … FROM "tally".usage_hourly u WHERE u.account_id = $1 …', values: [...] }
 */
export function usageSql(request: UsageRequest, meteringSchema: string): { text: string; values: unknown[] } {
  const values: unknown[] = [request.id, request.from, request.to, request.timeZone];
  const period =
    request.bucket === 'hour'
      ? 'u.hour_start'
      : `date_trunc('${request.bucket}', u.hour_start AT TIME ZONE $4) AT TIME ZONE $4`;
  const group = request.groupBy === 'instance' ? 'u.instance_id' : 'u.instance_type';
  const scope = request.scope === 'account' ? 'u.account_id' : 'u.instance_id';
  // $4 is only used by day and month buckets; the cast keeps its type known when it is not.
  const where = `${scope} = $1 AND u.hour_start >= $2 AND u.hour_start < $3 AND $4::text IS NOT NULL`;
  const grouped = `SELECT ${period} AS period, ${group} AS grp, GROUPING(${period}, ${group}) <> 0 AS is_total,
      ${MEASURE_COLUMNS}
    FROM ${quoteIdentifier(meteringSchema)}.usage_hourly u WHERE ${where}
    GROUP BY GROUPING SETS ((${period}, ${group}), ())`;
  if (request.groupBy === 'sku') {
    return { text: `SELECT * FROM (${grouped}) g ORDER BY is_total DESC, period, grp COLLATE "C"`, values };
  }
  let after = '';
  if (request.after !== undefined) {
    values.push(new Date(request.after.period), request.after.group);
    after = `AND (period > $5::timestamptz OR (period = $5::timestamptz AND grp COLLATE "C" > $6::text))`;
  }
  values.push(request.limit + 2);
  // COLLATE "C": byte order, the same as JavaScript's string comparison and stable across database locales.
  return {
    text: `SELECT * FROM (${grouped}) g WHERE is_total OR (true ${after})
           ORDER BY is_total DESC, period, grp COLLATE "C" LIMIT $${values.length}`,
    values,
  };
}

export interface MeasureRow {
  /** Null on the totals row. */
  period: Date | null;
  grp: string | null;
  is_total: boolean;
  instance_hours: number;
  running_seconds: string | null;
  rx_bytes: string | null;
  tx_bytes: string | null;
  rx_packets: string | null;
  tx_packets: string | null;
  cpu_seconds: string | null;
}
export interface SkuRow {
  period: Date;
  grp: string;
  unit: 'hour' | 'gb';
  base_units: string;
}

/** Sums as the API shows them: SQL's sum of no rows is NULL, shown as 0. */
export function measuresOf(row: Omit<MeasureRow, 'period' | 'grp' | 'is_total'>): UsageMeasures {
  return {
    instanceHours: row.instance_hours,
    runningSeconds: row.running_seconds ?? '0',
    rxBytes: row.rx_bytes ?? '0',
    txBytes: row.tx_bytes ?? '0',
    rxPackets: row.rx_packets ?? '0',
    txPackets: row.tx_packets ?? '0',
    // numeric sums keep trailing zeros of their inputs' scale (1.50 + 1.50 = 3.00): show the value, not the scale.
    cpuSeconds: trimDecimal(row.cpu_seconds ?? '0'),
  };
}

/**
 * @example
 * skuItem({ period, grp: 'compute.s1', unit: 'hour', base_units: '5430' }).quantity; // '1.508333333333333333333333333333333333333'
 */
export function skuItem(row: SkuRow): SkuItem {
  return {
    period: row.period.toISOString(),
    group: row.grp,
    unit: row.unit,
    baseUnits: row.base_units,
    // Exact quotient, shown as billing shows invoice quantities (displayDecimal: exact when it terminates).
    quantity: displayDecimal(Rational.fraction(BigInt(row.base_units), PER_UNIT[row.unit])),
  };
}

export function measureItem(row: MeasureRow): MeasureItem {
  return { period: row.period!.toISOString(), group: row.grp!, ...measuresOf(row) };
}

/**
 * The SKUs billing prices, from usage grouped by (period, instance type): compute.<type> in seconds, egress the
 * transmitted bytes, ingress the received bytes (services/billing usageMeasures); zero measures are left out, as
 * billing leaves them out. Ordered by (period, SKU).
 *
 * @example
 * skuRows([{ period, grp: 's1', running_seconds: '3600', tx_bytes: '5', rx_bytes: '0', … }]);
 * // [{ period, grp: 'compute.s1', unit: 'hour', base_units: '3600' }, { period, grp: 'egress.gb', unit: 'gb', base_units: '5' }]
 */
export function skuRows(rows: readonly MeasureRow[]): SkuRow[] {
  const out = new Map<string, SkuRow>();
  const add = (period: Date, grp: string, unit: 'hour' | 'gb', base: string | null) => {
    const key = `${period.toISOString()}|${grp}`;
    const sum = BigInt(out.get(key)?.base_units ?? '0') + BigInt(base ?? '0');
    out.set(key, { period, grp, unit, base_units: sum.toString() });
  };
  for (const row of rows) {
    if (row.is_total) continue;
    add(row.period!, `compute.${row.grp!}`, 'hour', row.running_seconds);
    add(row.period!, 'egress.gb', 'gb', row.tx_bytes);
    add(row.period!, 'ingress.gb', 'gb', row.rx_bytes);
  }
  return [...out.values()]
    .filter((row) => row.base_units !== '0')
    .sort((a, b) => a.period.getTime() - b.period.getTime() || (a.grp < b.grp ? -1 : a.grp > b.grp ? 1 : 0));
}

/** "3.500" → "3.5", "2.000" → "2", "10" → "10". */
export function trimDecimal(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
