import { z } from 'zod';

/*
 * Bounds at the edge. Every decoded message and every outbox value passes through these schemas, so a value
 * outside them becomes a `ValidationFailed` dead letter at decoding (or a parked outbox row) instead of a
 * RangeError, a numeric overflow or an oversized record deep inside a service. The bounds are far beyond
 * anything real and well inside what the code, PostgreSQL and the broker handle:
 *
 * - event times: epoch milliseconds from 2000-01-01 to 2200-01-01 (UTC). Catches seconds sent as millis and
 *   keeps every time inside `Date`'s range and `timestamptz`.
 * - decimals from outside (CPU seconds, prices, credit, payments): at most 30 integer and 12 fractional digits.
 * - decimals Tally computes exactly (billing's quantities and amounts: 40 significant digits, see libs/money):
 *   at most 30 integer and 80 fractional digits.
 * - ids: 1 to 200 characters; interfaces per instance-hour: at most 64.
 */

/** 2000-01-01T00:00:00Z: earlier event times are a clock or unit error (seconds sent as milliseconds). */
export const MIN_EPOCH_MILLIS = Date.UTC(2000, 0, 1);
/** 2200-01-01T00:00:00Z: later event times are a bad clock; they would also leave the ranges code relies on. */
export const MAX_EPOCH_MILLIS = Date.UTC(2200, 0, 1);
/** Integer digits of any decimal on the wire. */
export const MAX_DECIMAL_INTEGER_DIGITS = 30;
/** Fractional digits of a decimal that comes from outside (a measurement, a price, a payment). */
export const MAX_DECIMAL_FRACTION_DIGITS = 12;
/** Fractional digits of a decimal Tally computed at full precision (a quantity in hours, an unrounded amount). */
export const MAX_COMPUTED_FRACTION_DIGITS = 80;
/** Length of an id (instance, account, sku, interface…). */
export const MAX_ID_LENGTH = 200;

function decimalPattern(signed: boolean, fractionDigits: number): RegExp {
  return new RegExp(`^${signed ? '-?' : ''}\\d{1,${MAX_DECIMAL_INTEGER_DIGITS}}(\\.\\d{1,${fractionDigits}})?$`);
}

function decimalMessage(kind: string, fractionDigits: number): string {
  return (
    `expected a ${kind} decimal string such as "12.50" with at most ${MAX_DECIMAL_INTEGER_DIGITS} integer ` +
    `and ${fractionDigits} fractional digits`
  );
}

/** A decimal number carried as a string so that no float ever touches a quantity or an amount. */
export const decimalString = z
  .string()
  .regex(decimalPattern(true, MAX_DECIMAL_FRACTION_DIGITS), decimalMessage('signed', MAX_DECIMAL_FRACTION_DIGITS));
export const nonNegativeDecimalString = z
  .string()
  .regex(
    decimalPattern(false, MAX_DECIMAL_FRACTION_DIGITS),
    decimalMessage('non-negative', MAX_DECIMAL_FRACTION_DIGITS),
  );
/** A decimal Tally computed exactly (quantity × price before rounding): a long fraction is legitimate there. */
export const computedDecimalString = z
  .string()
  .regex(decimalPattern(true, MAX_COMPUTED_FRACTION_DIGITS), decimalMessage('signed', MAX_COMPUTED_FRACTION_DIGITS));

/** Event time in epoch milliseconds (UTC), between MIN_EPOCH_MILLIS and MAX_EPOCH_MILLIS. */
export const epochMillis = z
  .number()
  .int('expected whole epoch milliseconds')
  .min(MIN_EPOCH_MILLIS, 'expected epoch milliseconds at or after 2000-01-01T00:00:00Z')
  .max(MAX_EPOCH_MILLIS, 'expected epoch milliseconds at or before 2200-01-01T00:00:00Z');

/** Epoch millis on a whole UTC hour (hourStart of usage and charges). */
export const hourStartMillis = epochMillis.refine(
  (millis) => millis % 3_600_000 === 0,
  'expected the start of a UTC hour (epoch milliseconds divisible by 3600000)',
);

/** A non-negative whole count that JavaScript numbers hold exactly. */
export const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const id = z.string().min(1).max(MAX_ID_LENGTH);

/** Free text shown to people (a name, a template variable): bounded so one record stays small. */
export const text = (max: number) => z.string().max(max);
