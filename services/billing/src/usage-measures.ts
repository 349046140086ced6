import { Rational, snapToGrid } from '@tally/money';
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

/** What billing reads of a usage record to price it (and to pick the latest per instance-hour). */
export type MeasuredUsage = Pick<
  UsageHourly,
  'instanceId' | 'accountId' | 'hourStart' | 'instanceType' | 'runningSeconds' | 'txBytes' | 'rxBytes' | 'version'
>;

/**
 * What a usage record measures, per SKU, in base units. Quantities are kept in whole base units so that
 * a month's seconds can be summed exactly and divided once (3600 s → hours, 10^9 bytes → GB).
 * Zero measures are left out: nothing used needs no price.
 * Egress is what the VM transmits (txBytes), ingress what it receives (rxBytes).
 *
 * @example
 * usageMeasures(record); // [{ sku: 'compute.s1.small', baseUnits: 1800, perUnit: 3600 }, { sku: 'egress.gb', ... }]
 */
export function usageMeasures(record: MeasuredUsage): UsageMeasure[] {
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

/** Base units in one priced unit: seconds in an hour, bytes in a GB. */
export function perUnitOf(unit: 'hour' | 'gb'): number {
  return unit === 'hour' ? SECONDS_PER_HOUR : BYTES_PER_GB;
}

/**
 * The exact quantity of `baseUnits` whole base units: baseUnits / perUnit as a Rational, never a cut quotient
 * (6600 s is 11/6 h, not 1.8333… at some precision).
 *
 * @example
 * quantityOf(6600n, SECONDS_PER_HOUR).toString(); // '11/6'
 */
export function quantityOf(baseUnits: bigint, perUnit: number): Rational {
  return Rational.fraction(baseUnits, BigInt(perUnit));
}

/**
 * Reads a quantity shown on an invoice or a preview back exactly. Those quantities are whole base units (usage is
 * counted in seconds and bytes, adjustments are differences of such) shown with displayDecimal, which snapToGrid
 * inverts; any other text is taken as the exact decimal it is.
 *
 * @example
 * shownQuantity('0.3333333333333333333333333333333333333333', 'hour').toString(); // '1/3'
 */
export function shownQuantity(text: string, unit: 'hour' | 'gb'): Rational {
  return snapToGrid(text, BigInt(perUnitOf(unit)));
}
