import { z } from 'zod';
import { id } from './primitives.ts';

/** An e-mail to send (topic notifications.email, keyed by message id, which makes resends idempotent). */
export const emailNotification = z.object({
  messageId: id,
  template: id,
  recipient: z.email(),
  variables: z.record(z.string(), z.string()),
});
export type EmailNotification = z.infer<typeof emailNotification>;
