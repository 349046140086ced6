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

/**
 * The SKU rows of one usage_hourly row, as billing's usageMeasures names them (compute.<type> in seconds, egress
 * = transmitted bytes, ingress = received bytes); a zero measure is left out, as billing leaves it out.
 */
const SKU_ROWS = `CROSS JOIN LATERAL (VALUES
    ('compute.' || u.instance_type, 'hour', u.running_seconds),
    ('egress.gb', 'gb', u.tx_bytes),
    ('ingress.gb', 'gb', u.rx_bytes)) AS s(sku, unit, base)`;

/**
 * One page of usage as SQL: groups are formed over the whole range, ordered by (period, group), and the page starts
 * after the cursor. `limit + 1` rows are asked for, so the caller knows whether there is a next page.
 *
 * @example
 * usagePageSql(request, 'tally'); // { text: 'SELECT … FROM "tally".usage_hourly u WHERE u.account_id = $1 …', values: [...] }
 */
export function usagePageSql(request: UsageRequest, meteringSchema: string): { text: string; values: unknown[] } {
  const values: unknown[] = [request.id, request.from, request.to, request.timeZone];
  const period =
    request.bucket === 'hour'
      ? 'u.hour_start'
      : `date_trunc('${request.bucket}', u.hour_start AT TIME ZONE $4) AT TIME ZONE $4`;
  const scope = request.scope === 'account' ? 'u.account_id' : 'u.instance_id';
  const where = `${scope} = $1 AND u.hour_start >= $2 AND u.hour_start < $3 AND $4::text IS NOT NULL`;
  const table = `${quoteIdentifier(meteringSchema)}.usage_hourly u`;
  let after = '';
  if (request.after !== undefined) {
    values.push(new Date(request.after.period), request.after.group);
    after = `WHERE period > $5::timestamptz OR (period = $5::timestamptz AND grp COLLATE "C" > $6::text)`;
  }
  values.push(request.limit + 1);
  const limit = `$${values.length}`;
  const inner =
    request.groupBy === 'sku'
      ? `SELECT ${period} AS period, s.sku AS grp, min(s.unit) AS unit, sum(s.base)::text AS base_units
         FROM ${table} ${SKU_ROWS} WHERE ${where} AND s.base > 0 GROUP BY 1, 2`
      : `SELECT ${period} AS period, ${request.groupBy === 'instance' ? 'u.instance_id' : 'u.instance_type'} AS grp,
           ${MEASURE_COLUMNS}
         FROM ${table} WHERE ${where} GROUP BY 1, 2`;
  // COLLATE "C": byte order, the same as JavaScript's string comparison and stable across database locales.
  return {
    text: `SELECT * FROM (${inner}) g ${after} ORDER BY period, grp COLLATE "C" LIMIT ${limit}`,
    values,
  };
}

const MEASURE_COLUMNS = `count(*)::int AS instance_hours, sum(u.running_seconds)::text AS running_seconds,
  sum(u.rx_bytes)::text AS rx_bytes, sum(u.tx_bytes)::text AS tx_bytes, sum(u.rx_packets)::text AS rx_packets,
  sum(u.tx_packets)::text AS tx_packets, sum(u.cpu_seconds)::text AS cpu_seconds`;

/** Totals of the whole range (every group, every page): what a chart's sum must equal. */
export function usageTotalsSql(request: UsageRequest, meteringSchema: string): { text: string; values: unknown[] } {
  const scope = request.scope === 'account' ? 'u.account_id' : 'u.instance_id';
  return {
    text: `SELECT ${MEASURE_COLUMNS} FROM ${quoteIdentifier(meteringSchema)}.usage_hourly u
           WHERE ${scope} = $1 AND u.hour_start >= $2 AND u.hour_start < $3`,
    values: [request.id, request.from, request.to],
  };
}

export interface MeasureRow {
  period: Date;
  grp: string;
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
export function measuresOf(row: Omit<MeasureRow, 'period' | 'grp'>): UsageMeasures {
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
  return { period: row.period.toISOString(), group: row.grp, ...measuresOf(row) };
}

/** "3.500" → "3.5", "2.000" → "2", "10" → "10". */
export function trimDecimal(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}
