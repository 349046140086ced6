import { z } from 'zod';

/** A decimal number carried as a string so that no float ever touches a quantity or an amount. */
export const decimalString = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string such as "12.50"');
export const nonNegativeDecimalString = z.string().regex(/^\d+(\.\d+)?$/, 'expected a non-negative decimal string');

/** Event time in epoch milliseconds (UTC). */
export const epochMillis = z.number().int().nonnegative();

/** A non-negative whole count that JavaScript numbers hold exactly. */
export const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

export const id = z.string().min(1).max(200);
