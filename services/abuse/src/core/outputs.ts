import { createHash } from 'node:crypto';
import { hourStartOf } from '@tally/fsm';
import type { AbuseDecision, AccountAction, EmailNotification } from '@tally/records';
import type { Action, Notice } from './effects.ts';
import type { AbuseState } from './state.ts';

/** The record published to abuse.decisions: the whole state a person needs, never a delta. */
export function decisionOf(state: AbuseState): AbuseDecision {
  return {
    accountId: state.accountId,
    status: state.status,
    reason: state.reason,
    sinceHour: hourStartOf(state.sinceHour),
    evidence: [...state.evidence],
    history: state.history.map((h) => ({
      from: h.from,
      to: h.to,
      hourStart: hourStartOf(h.hour),
      reason: h.reason,
      evidence: [...h.evidence],
    })),
    version: state.version,
  };
}

/** The record published to account.actions; its id is the decision's, so a replay sends the same id. */
export function actionOf(accountId: string, action: Action): AccountAction {
  return {
    actionId: `${accountId}|${action.version}|${action.action}`,
    accountId,
    action: action.action,
    reason: action.reason,
    decisionVersion: action.version,
    hourStart: hourStartOf(action.hour),
  };
}

/**
 * The message id of a notice: a hash of (account, template, trigger), so the same finding always names the same
 * message and the mailer sends it at most once, however often abuse decides it (a replay, a crash before commit).
 *
 * @example
 * noticeId('a-1', 'abuse-payment-reminder', 'invoice:INV-2026-000001'); // 'abuse-5f0c…' (always the same)
 */
export function noticeId(accountId: string, template: string, trigger: string): string {
  const digest = createHash('sha256').update(`${accountId}\u0000${template}\u0000${trigger}`).digest('hex');
  return `abuse-${digest.slice(0, 40)}`;
}

export function noticeOf(accountId: string, recipient: string, notice: Notice): EmailNotification {
  return {
    messageId: noticeId(accountId, notice.template, notice.trigger),
    template: notice.template,
    recipient,
    variables: { accountId, ...notice.variables },
  };
}
