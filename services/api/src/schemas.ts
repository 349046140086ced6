import { z } from 'zod';
import { problemSchema } from './problem.ts';

/** Error responses every authenticated route may give; listed in OpenAPI beside its success. */
export const problemResponses = {
  400: problemSchema,
  401: problemSchema,
  403: problemSchema,
  404: problemSchema,
  429: problemSchema,
} as const;

/** An instant in a query or path: ISO 8601 with a zone (`2026-11-01T00:00:00Z`). */
export const instant = z.iso.datetime({ offset: true }).transform((text) => new Date(text));

/** An IANA time zone PostgreSQL and Intl both know. */
export const timeZone = z
  .string()
  .max(64)
  .refine((zone) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  }, 'expected an IANA time zone such as Europe/Zurich');

export const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM');

/** An id in a path (account, instance): the bounds of libs/records ids. */
export const pathId = z.string().min(1).max(200);
