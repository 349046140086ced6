import { z } from 'zod';
import { isoTime } from './iso-time.ts';

/** The selection both `late list` and `late replay` take: one account, sample times [from, to). */
export const lateFilterArgs = {
  account: z.string().min(1).optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
};

export const lateFilterOptions = {
  account: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const;
