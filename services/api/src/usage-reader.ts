import { quoteIdentifier, type Queryable } from '@tally/db';
import { encodeCursor, type UsageCursor } from './usage-cursor.ts';
import type { UsagePage } from './usage-page.ts';
import {
  measureItem,
  measuresOf,
  skuItem,
  skuRows,
  type Bucket,
  type MeasureItem,
  type MeasureRow,
  type SkuItem,
  type UsageRequest,
} from './usage-query.ts';

/**
 * A usage page without reading a month of instance-hours per request. Two things make it cheap:
 *
 * 1. usage_daily (migrations 0122, 0140): the sums per instance and UTC day, a view that is exact at every snapshot: a
 *    roll-up refreshed off metering's path (usage-daily-refresh.ts) for the days not changed since, usage_hourly summed
 *    for the few that were. A UTC day that lies whole in the range and whole in one bucket is read from it (one row
 *    per instance instead of 24). A UTC day a local midnight cuts (Europe/Zurich: at 23:00) is read from it too,
 *    counted in the bucket holding its noon, less its hours outside that bucket, which are counted in theirs (exact:
 *    sums and differences of integers and numerics). The rest (the range's edges, hour buckets) comes from
 *    usage_hourly. The range's totals need no buckets: every whole UTC day comes from usage_daily.
 * 2. Windows: the page's groups are looked for from the cursor on, one window of whole buckets at a time, growing
 *    until the page is full or the range ends; a page of 100 hourly groups reads an hour or two, not the month.
 *
 * Sums are numeric in SQL and strings here: exact, as usageSql (the reference, one pass over usage_hourly) is.
 */
export async function readUsagePage(db: Queryable, request: UsageRequest, meteringSchema: string): Promise<UsagePage> {
  const after = request.after;
  const sku = request.groupBy === 'sku';
  // The first bucket may begin before `from`; the cursor's bucket begins at its period.
  let start = after === undefined ? request.from : new Date(Math.max(request.from.getTime(), Date.parse(after.period)));
  const groups: MeasureRow[] = [];
  let totals: MeasureRow | undefined;
  let found = 0;
  let covered = 0;
  let span = 1;
  for (;;) {
    const window = { start, hint: new Date(start.getTime() + (span + 0.5) * NOMINAL_MS[request.bucket]) };
    const days = await db.query<DayRow>(planSql(request, window));
    const plan = windowPlan(days.rows, window, request.scope === 'account', request.bucket);
    const limit = sku ? undefined : request.limit + 1 - found;
    const rows = (await db.query<MeasureRow>(windowSql(request, meteringSchema, plan, limit, totals === undefined)))
      .rows;
    totals ??= rows.find((row) => row.is_total);
    groups.push(...rows.filter((row) => !row.is_total));
    found = sku ? skuAfter(groups, after).length : groups.length;
    covered += span;
    if (found > request.limit || plan.end.getTime() >= request.to.getTime()) break;
    // Grow by what the windows so far yielded per bucket, at least doubling, at most 64 times.
    const wanted = (request.limit + 1 - found) * 1.25;
    span = Math.ceil(covered * Math.min(64, Math.max(2, found === 0 ? 8 : wanted / found)));
    start = plan.end;
  }
  const items: (MeasureItem | SkuItem)[] = sku ? skuAfter(groups, after) : groups.map(measureItem);
  const page = items.slice(0, request.limit);
  const last = page.at(-1);
  return {
    items: page,
    nextCursor:
      items.length > request.limit && last !== undefined
        ? encodeCursor({ period: last.period, group: last.group })
        : null,
    totals: measuresOf(totals ?? EMPTY_TOTALS),
  };
}

const skuAfter = (groups: readonly MeasureRow[], after: UsageCursor | undefined): SkuItem[] =>
  skuRows(groups)
    .map(skuItem)
    .filter(
      (item) =>
        after === undefined || item.period > after.period || (item.period === after.period && item.group > after.group),
    );

/** A bucket's usual length: only sizes windows (their ends are real bucket starts, computed in SQL). */
const NOMINAL_MS: Record<Bucket, number> = { hour: 3_600_000, day: 86_400_000, month: 30.44 * 86_400_000 };

const EMPTY_TOTALS: MeasureRow = {
  period: null,
  grp: null,
  is_total: true,
  instance_hours: 0,
  running_seconds: null,
  rx_bytes: null,
  tx_bytes: null,
  rx_packets: null,
  tx_packets: null,
  cpu_seconds: null,
};

/** Half-open instants [from, to). */
export interface Span {
  readonly from: Date;
  readonly to: Date;
}

/** Where to read a stretch of hours: usage_daily for whole UTC days, usage_hourly for the rest. */
export interface Sources {
  readonly daily: readonly Span[];
  readonly hourly: readonly Span[];
  /** Whole UTC days cut by a bucket boundary, counted in the bucket holding most of them (`period`)... */
  readonly shifted?: readonly { readonly day: Date; readonly period: Date }[];
  /** ...and single hours: those of a shifted day outside its bucket, taken out of it (sign -1, with its period)
   * and counted in their own (sign 1, period null: their bucket). */
  readonly hours?: readonly { readonly hour: Date; readonly period: Date | null; readonly sign: 1 | -1 }[];
}

export interface WindowPlan {
  /** Exclusive; the next window starts here. */
  readonly end: Date;
  /** The window's hours, whole days only where a day lies in one bucket. */
  readonly groups: Sources;
  /** The whole range's hours (for its totals), whole days wherever they lie. */
  readonly totals: Sources;
}

export interface UsageWindow {
  /** Inclusive; `from`, the cursor's period or the previous window's end. */
  readonly start: Date;
  /** The window ends at the start of the bucket holding `hint` (or at `to`), and always after `start`. */
  readonly hint: Date;
}

export interface DayRow {
  window_end: Date;
  d: Date;
  lo: Date;
  hi: Date;
  in_window: boolean;
  whole_in_window: boolean;
  whole_in_bucket: boolean;
  /** The start of the bucket holding the day's noon, and of the one holding its last hour. */
  noon_bucket: Date;
  last_bucket: Date;
  whole: boolean;
}

/**
 * Where a window ends and which UTC days of it and of the range are whole, asked of PostgreSQL so buckets follow its
 * time zone data, as the grouping does. One row per UTC day meeting the range.
 */
export function planSql(request: UsageRequest, window: UsageWindow): { text: string; values: unknown[] } {
  const { bucketOf, param, values } = sqlParts(request);
  const from = param(request.from, 'timestamptz');
  const to = param(request.to, 'timestamptz');
  const start = param(window.start, 'timestamptz');
  const hint = param(window.hint, 'timestamptz');
  const text = `WITH w AS (SELECT CASE WHEN b > ${start} THEN least(b, ${to}) ELSE ${to} END AS window_end
                  FROM (SELECT ${bucketOf(hint)} AS b) AS x)
    SELECT w.window_end, d, greatest(d, ${from}) AS lo, least(d + interval '24 hours', ${to}) AS hi,
      d + interval '24 hours' > ${start} AND d < w.window_end AS in_window,
      d >= ${start} AND d + interval '24 hours' <= w.window_end AS whole_in_window,
      ${bucketOf(`(d + interval '12 hours')`)} AS noon_bucket, ${bucketOf(`(d + interval '23 hours')`)} AS last_bucket,
      d >= ${start} AND d + interval '24 hours' <= w.window_end
        AND ${bucketOf('d')} = ${bucketOf(`(d + interval '23 hours')`)} AS whole_in_bucket,
      d >= ${from} AND d + interval '24 hours' <= ${to} AS whole
    FROM w, generate_series(date_trunc('day', ${from} AT TIME ZONE 'UTC'), ${to} AT TIME ZONE 'UTC', interval '1 day')
      AS s(utc), LATERAL (SELECT s.utc AT TIME ZONE 'UTC' AS d) AS x
    WHERE d < ${to}
    ORDER BY d`;
  return { text, values };
}

/** Adjacent spans joined, so a statement reads few ranges. */
function joined(spans: Span[]): Span[] {
  const out: Span[] = [];
  for (const span of spans) {
    const last = out.at(-1);
    if (last !== undefined && last.to.getTime() === span.from.getTime()) out[out.length - 1] = { ...last, to: span.to };
    else out.push(span);
  }
  return out;
}

/**
 * The plan from planSql's rows: spans of whole UTC days (read from usage_daily) and of hours (usage_hourly).
 *
 * @example
 * windowPlan(rows, window, true); // { end, groups: { daily: [{ from: Oct 1, to: Oct 31 }], hourly: [] }, totals: … }
 */
export function windowPlan(
  rows: readonly DayRow[],
  window: UsageWindow,
  rollup: boolean,
  bucket: Bucket = 'day',
): WindowPlan {
  const end = rows[0]?.window_end ?? window.start;
  const clip = (row: DayRow, lo: Date, hi: Date): Span => ({
    from: new Date(Math.max(row.lo.getTime(), lo.getTime())),
    to: new Date(Math.min(row.hi.getTime(), hi.getTime())),
  });
  const daily = { groups: [] as Span[], totals: [] as Span[] };
  const hourly = { groups: [] as Span[], totals: [] as Span[] };
  const shifted: { day: Date; period: Date }[] = [];
  const hours: { hour: Date; period: Date | null; sign: 1 | -1 }[] = [];
  for (const row of rows) {
    const day = { from: row.d, to: new Date(row.d.getTime() + 86_400_000) };
    (rollup && row.whole ? daily : hourly).totals.push(row.whole ? day : clip(row, row.lo, row.hi));
    if (row.in_window) {
      if (rollup && row.whole_in_bucket) daily.groups.push(day);
      else if (rollup && bucket !== 'hour' && row.whole_in_window) {
        // A local day (or month) boundary cuts this UTC day: its daily row goes to the bucket holding its noon,
        // less the hours outside that bucket, which are counted in theirs. Sums are exact: subtraction is too.
        const period = row.noon_bucket;
        shifted.push({ day: row.d, period });
        const last = row.last_bucket.getTime() > period.getTime() ? row.last_bucket.getTime() : Infinity;
        for (let h = row.d.getTime(); h < day.to.getTime(); h += 3_600_000) {
          if (h >= period.getTime() && h < last) continue;
          hours.push({ hour: new Date(h), period, sign: -1 }, { hour: new Date(h), period: null, sign: 1 });
        }
      } else hourly.groups.push(clip(row, window.start, end));
    }
  }
  return {
    end,
    groups: { daily: joined(daily.groups), hourly: joined(hourly.groups), shifted, hours },
    totals: { daily: joined(daily.totals), hourly: joined(hourly.totals) },
  };
}

const SUMS = `coalesce(sum(n), 0)::int AS instance_hours, sum(running_seconds)::text AS running_seconds,
  sum(rx_bytes)::text AS rx_bytes, sum(tx_bytes)::text AS tx_bytes, sum(rx_packets)::text AS rx_packets,
  sum(tx_packets)::text AS tx_packets, sum(cpu_seconds)::text AS cpu_seconds`;
const DAILY = `instance_hours AS n, running_seconds, rx_bytes, tx_bytes, rx_packets, tx_packets, cpu_seconds`;
const HOURLY = `1 AS n, running_seconds::numeric, rx_bytes::numeric, tx_bytes::numeric, rx_packets::numeric,
  tx_packets::numeric, cpu_seconds`;

function sqlParts(request: UsageRequest) {
  const values: unknown[] = [];
  const param = (value: unknown, type: string) => {
    values.push(value);
    return `$${values.length}::${type}`;
  };
  const zone = request.bucket === 'hour' ? `'UTC'` : param(request.timeZone, 'text');
  // The start of the bucket holding t: local midnight or 1st in the zone; hours are UTC hours (as hour_start).
  const bucketOf = (t: string) => `(date_trunc('${request.bucket}', ${t} AT TIME ZONE ${zone}) AT TIME ZONE ${zone})`;
  return { values, param, bucketOf };
}

/**
 * The groups of one planned window as one statement, in (period, group) order, cut after the cursor and at `limit`
 * (all of them for SKUs: `limit` undefined); with `totals`, also the range's totals (the row with `is_total`, first).
 * Each span is its own branch with constant bounds, so the planner sees how few rows each reads.
 *
 * @example
 * windowSql(request, 'tally', plan, 101, true);
 * // { text: 'SELECT * FROM (SELECT … FROM "tally".usage_daily WHERE account_id = $2::text AND day >= …', values }
 */
export function windowSql(
  request: UsageRequest,
  meteringSchema: string,
  plan: WindowPlan,
  limit: number | undefined,
  totals: boolean,
): { text: string; values: unknown[] } {
  const { bucketOf, param, values } = sqlParts(request);
  const schema = quoteIdentifier(meteringSchema);
  const id = param(request.id, 'text');
  const group = request.groupBy === 'instance' ? 'instance_id' : 'instance_type';
  const key = request.scope === 'account' ? 'account_id' : 'instance_id';
  const source = (sources: Sources) => {
    const branches = [
      ...sources.daily.map(
        (span) => `SELECT day AS t, ${group} AS grp, ${DAILY} FROM ${schema}.usage_daily
          WHERE account_id = ${id} AND day >= ${param(span.from, 'timestamptz')}
            AND day < ${param(span.to, 'timestamptz')} AND instance_hours > 0`,
      ),
      ...sources.hourly.map(
        (span) => `SELECT hour_start AS t, ${group} AS grp, ${HOURLY} FROM ${schema}.usage_hourly
          WHERE ${key} = ${id} AND hour_start >= ${param(span.from, 'timestamptz')}
            AND hour_start < ${param(span.to, 'timestamptz')}`,
      ),
    ];
    const shifted = sources.shifted ?? [];
    if (shifted.length > 0) {
      branches.push(`SELECT k.m AS t, r.${group} AS grp, r.instance_hours AS n, r.running_seconds, r.rx_bytes, r.tx_bytes,
          r.rx_packets, r.tx_packets, r.cpu_seconds
        FROM unnest(${param(
          shifted.map((x) => x.day),
          'timestamptz[]',
        )}, ${param(
          shifted.map((x) => x.period),
          'timestamptz[]',
        )}) AS k(d, m)
        JOIN ${schema}.usage_daily r ON r.account_id = ${id} AND r.day = k.d WHERE r.instance_hours > 0`);
    }
    const hours = sources.hours ?? [];
    if (hours.length > 0) {
      const signed = (column: string) => `k.sign * u.${column}::numeric AS ${column}`;
      branches.push(`SELECT coalesce(k.m, u.hour_start) AS t, u.${group} AS grp, k.sign AS n,
          ${['running_seconds', 'rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets', 'cpu_seconds'].map(signed).join(', ')}
        FROM unnest(${param(
          hours.map((x) => x.hour),
          'timestamptz[]',
        )}, ${param(
          hours.map((x) => x.period),
          'timestamptz[]',
        )}, ${param(
          hours.map((x) => x.sign),
          'int[]',
        )}) AS k(h, m, sign)
        JOIN ${schema}.usage_hourly u ON u.hour_start = k.h
        -- The hours again as = ANY: an index scan of them, where a join alone lets the planner scan the table.
        WHERE u.${key} = ${id} AND u.hour_start = ANY(${param(
          [...new Set(hours.map((x) => x.hour.getTime()))].map((t) => new Date(t)),
          'timestamptz[]',
        )})`);
    }
    // No span: no rows, with the columns' types.
    return branches.length > 0
      ? branches.join('\nUNION ALL ')
      : `SELECT NULL::timestamptz AS t, NULL::text AS grp, ${DAILY} FROM ${schema}.usage_daily WHERE false`;
  };
  let cut = '';
  if (request.groupBy !== 'sku' && request.after !== undefined) {
    const period = param(new Date(request.after.period), 'timestamptz');
    cut = `WHERE period > ${period} OR (period = ${period} AND grp COLLATE "C" > ${param(request.after.group, 'text')})`;
  }
  const page = `SELECT * FROM (SELECT ${bucketOf('t')} AS period, grp, ${SUMS} FROM (${source(plan.groups)}) AS s
      GROUP BY 1, 2 HAVING sum(n) > 0) AS g ${cut}
    ORDER BY period, grp COLLATE "C" ${limit === undefined ? '' : `LIMIT ${param(limit, 'int')}`}`;
  const text = !totals
    ? `SELECT period, grp, false AS is_total, instance_hours, running_seconds, rx_bytes, tx_bytes, rx_packets,
         tx_packets, cpu_seconds FROM (${page}) AS p`
    : `SELECT * FROM (
        SELECT period, grp, false AS is_total, instance_hours, running_seconds, rx_bytes, tx_bytes, rx_packets,
          tx_packets, cpu_seconds FROM (${page}) AS p
        UNION ALL
        SELECT NULL, NULL, true, ${SUMS} FROM (${source(plan.totals)}) AS s
      ) AS page ORDER BY is_total DESC, period, grp COLLATE "C"`;
  return { text, values };
}
