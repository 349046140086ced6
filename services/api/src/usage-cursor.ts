import { z } from 'zod';

/** Where a usage page ends: the last (period, group) it holds. Opaque to callers (base64url JSON). */
export interface UsageCursor {
  readonly period: string;
  readonly group: string;
}

const cursorSchema = z.tuple([z.iso.datetime(), z.string().max(400)]);

/**
 * @example
 * decodeCursor(encodeCursor({ period: '2026-11-01T00:00:00.000Z', group: 'i-1' })); // the same cursor
 */
export function encodeCursor(cursor: UsageCursor): string {
  return Buffer.from(JSON.stringify([cursor.period, cursor.group])).toString('base64url');
}

/** The cursor a caller sent back, or undefined when it is not one of ours. */
export function decodeCursor(text: string): UsageCursor | undefined {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return parsed.success ? { period: parsed.data[0], group: parsed.data[1] } : undefined;
  } catch {
    return undefined;
  }
}
