import type { Hour } from '@tally/fsm';

/** A notice e-mail: its id is derived from (account, template, trigger), so a replay asks for the same message. */
export interface Notice {
  readonly kind: 'notice';
  readonly template: NoticeTemplate;
  /** What caused it (the invoice, the hour of the finding): one notice per template and trigger, ever. */
  readonly trigger: string;
  readonly variables: Readonly<Record<string, string>>;
}

export type NoticeTemplate =
  'abuse-payment-reminder' | 'abuse-payment-warning' | 'abuse-suspended' | 'abuse-resumed' | 'abuse-terminated';

export interface Action {
  readonly kind: 'action';
  readonly action: 'suspend' | 'resume' | 'terminate';
  readonly reason: string;
  /** The decision version that caused it. */
  readonly version: number;
  readonly hour: Hour;
}

/** The state changed: publish the account's decision (coalesced to one per account per commit). */
export interface Decided {
  readonly kind: 'decision';
  readonly version: number;
}

export type AbuseEffect = Notice | Action | Decided;
