import { z } from 'zod';
import { count, decimalString, epochMillis, id } from './primitives.ts';

export const chargeLine = z.object({
  sku: id,
  quantity: decimalString,
  amount: decimalString,
});
export type ChargeLine = z.infer<typeof chargeLine>;

/** Charges of one account in one hour and its month-to-date total (topic billing.hourly, compacted). */
export const billingHourly = z.object({
  accountId: id,
  hourStart: epochMillis,
  currency: z.string().regex(/^[A-Z]{3}$/),
  lines: z.array(chargeLine),
  hourTotal: decimalString,
  monthToDate: decimalString,
  version: count,
});
export type BillingHourly = z.infer<typeof billingHourly>;

export function billingKey(accountId: string, hourStart: number): string {
  return `${accountId}|${new Date(hourStart).toISOString()}`;
}
