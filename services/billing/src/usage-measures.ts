import type { UsageHourly } from '@tally/records';

/** How much of one SKU a usage record holds, in whole base units (seconds, bytes), and how many make one priced unit. */
export interface UsageMeasure {
  readonly sku: string;
  readonly baseUnits: number;
  readonly perUnit: number;
}

export const SECONDS_PER_HOUR = 3600;
export const BYTES_PER_GB = 1_000_000_000;
export const EGRESS_SKU = 'egress.gb';
export const INGRESS_SKU = 'ingress.gb';

/** `compute.<instanceType>`, priced per instance-hour. */
export function computeSku(instanceType: string): string {
  return `compute.${instanceType}`;
}

/**
 * What a usage record measures, per SKU, in base units. Quantities are kept in whole base units so that
 * a month's seconds can be summed exactly and divided once (3600 s → hours, 10^9 bytes → GB).
 * Zero measures are left out: nothing used needs no price.
 * Egress is what the VM transmits (txBytes), ingress what it receives (rxBytes).
 *
 * @example
 * usageMeasures(record); // [{ sku: 'compute.s1.small', baseUnits: 1800, perUnit: 3600 }, { sku: 'egress.gb', ... }]
 */
export function usageMeasures(record: UsageHourly): UsageMeasure[] {
  const measures: UsageMeasure[] = [
    { sku: computeSku(record.instanceType), baseUnits: record.runningSeconds, perUnit: SECONDS_PER_HOUR },
    { sku: EGRESS_SKU, baseUnits: record.txBytes, perUnit: BYTES_PER_GB },
    { sku: INGRESS_SKU, baseUnits: record.rxBytes, perUnit: BYTES_PER_GB },
  ];
  return measures.filter((m) => m.baseUnits > 0);
}

/** SKUs that cost nothing when the price book has no price for them, instead of failing. */
export function isFreeUnlessPriced(sku: string): boolean {
  return sku === INGRESS_SKU;
}
