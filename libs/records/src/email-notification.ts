import { z } from 'zod';
import { id, text } from './primitives.ts';

/** An e-mail to send (topic notifications.email, keyed by message id, which makes resends idempotent). */
export const emailNotification = z.object({
  messageId: id,
  template: id,
  recipient: z.email().max(254),
  variables: z
    .record(id, text(10_000))
    .refine((variables) => Object.keys(variables).length <= 100, 'at most 100 template variables'),
});
export type EmailNotification = z.infer<typeof emailNotification>;
