import { encodeCursor, type UsageCursor } from './usage-cursor.ts';
import {
  measureItem,
  measuresOf,
  skuItem,
  skuRows,
  type MeasureItem,
  type MeasureRow,
  type SkuItem,
  type UsageGroupBy,
  type UsageMeasures,
} from './usage-query.ts';

export interface UsagePage {
  readonly items: (MeasureItem | SkuItem)[];
  readonly nextCursor: string | null;
  readonly totals: UsageMeasures;
}

const EMPTY: UsageMeasures = measuresOf({
  instance_hours: 0,
  running_seconds: null,
  rx_bytes: null,
  tx_bytes: null,
  rx_packets: null,
  tx_packets: null,
  cpu_seconds: null,
});

const afterCursor = (item: { period: string; group: string }, cursor: UsageCursor | undefined) =>
  cursor === undefined || item.period > cursor.period || (item.period === cursor.period && item.group > cursor.group);

/**
 * A page from the rows of usageSql: the totals row, then groups in (period, group) order. Instance and type groups
 * come already cut after the cursor (limit + 1 of them); SKU groups are made here and cut here. ISO instants of one
 * format compare as strings in time order, so the cursor comparison is plain string order.
 *
 * @example
 * usagePage(rows, 'instance', 100, undefined); // { items: [...100], nextCursor: 'WyIy…', totals: { instanceHours: 360000, … } }
 */
export function usagePage(
  rows: readonly MeasureRow[],
  groupBy: UsageGroupBy,
  limit: number,
  after: UsageCursor | undefined,
): UsagePage {
  const total = rows.find((row) => row.is_total);
  const groups =
    groupBy === 'sku'
      ? skuRows(rows)
          .map(skuItem)
          .filter((item) => afterCursor(item, after))
      : rows.filter((row) => !row.is_total).map(measureItem);
  const items = groups.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      groups.length > limit && last !== undefined ? encodeCursor({ period: last.period, group: last.group }) : null,
    totals: total === undefined ? EMPTY : measuresOf(total),
  };
}
