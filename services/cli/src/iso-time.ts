import { z } from 'zod';

// An explicit offset (or Z) is required: a time in the CLI host's local zone would be a silent surprise.
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO date-time argument with an offset, as epoch ms. */
export const isoTime = z
  .string()
  .regex(ISO, 'expected an ISO date-time with offset, e.g. 2026-11-30T10:00:00Z')
  .transform((text) => Date.parse(text));
