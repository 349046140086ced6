import { z } from 'zod';
import { count, epochMillis, id, text } from './primitives.ts';

/** What the orchestrator must do (topic account.actions, keyed by account id), with the decision that caused it. */
export const accountAction = z.object({
  /** `${accountId}|${decisionVersion}`: the same decision always yields the same action id. */
  actionId: id,
  accountId: id,
  action: z.enum(['suspend', 'resume', 'terminate']),
  reason: text(500),
  decisionVersion: count,
  /** Event time of the decision (epoch millis of the hour). */
  hourStart: epochMillis,
});
export type AccountAction = z.infer<typeof accountAction>;
