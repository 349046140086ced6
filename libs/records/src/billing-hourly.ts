import { z } from 'zod';
import { computedDecimalString, count, hourStartMillis, id } from './primitives.ts';

export const chargeLine = z.object({
  sku: id,
  quantity: computedDecimalString,
  amount: computedDecimalString,
});
export type ChargeLine = z.infer<typeof chargeLine>;

/** Charges of one account in one hour and its month-to-date total (topic billing.hourly, compacted). */
export const billingHourly = z.object({
  accountId: id,
  hourStart: hourStartMillis,
  currency: z.string().regex(/^[A-Z]{3}$/),
  /** One line per priced SKU. */
  lines: z.array(chargeLine).max(1_000, 'at most 1000 charge lines per account-hour'),
  hourTotal: computedDecimalString,
  monthToDate: computedDecimalString,
  version: count,
});
export type BillingHourly = z.infer<typeof billingHourly>;

export function billingKey(accountId: string, hourStart: number): string {
  return `${accountId}|${new Date(hourStart).toISOString()}`;
}
