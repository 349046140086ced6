import type { Hour } from '@tally/fsm';
import type { AbuseStatus, Evidence } from '@tally/records';

/** Why an account is where it is; decides what may lift it (a payment lifts only a late-payment suspension). */
export type Cause = 'mining' | 'heavy-use' | 'late-payment' | 'person';

export interface HistoryEntry {
  readonly from: AbuseStatus;
  readonly to: AbuseStatus;
  readonly hour: Hour;
  readonly reason: string;
  readonly evidence: readonly Evidence[];
}

/** What the account record says (reference data: the latest version known when the hour is decided). */
export interface AccountFacts {
  readonly plan: 'trial' | 'paying';
  readonly freeCredit: string;
  readonly createdAt: number;
}

export interface OpenInvoice {
  readonly number: string;
  readonly month: string;
  readonly total: string;
  readonly dueHour: Hour;
  /** How far the chase went, and the hour it got there. */
  readonly stage: 'open' | 'reminded' | 'warned' | 'suspended';
  readonly stageHour: Hour;
}

/** One instance's usage in the hour being assembled. */
export interface InstanceHour {
  readonly instanceType: string;
  readonly runningSeconds: number;
  readonly cpuSeconds: string;
}

export interface AbuseState {
  readonly accountId: string;
  readonly status: AbuseStatus;
  readonly cause: Cause | undefined;
  readonly reason: string;
  readonly sinceHour: Hour;
  /** Bumped with every transition: the decision's version on abuse.decisions. */
  readonly version: number;
  readonly evidence: readonly Evidence[];
  readonly history: readonly HistoryEntry[];
  readonly account: AccountFacts | undefined;
  readonly hasPaymentMethod: boolean;
  readonly paidInvoices: number;
  /** Usage and charge of the hour in progress (cleared by its tick). */
  readonly current: { readonly usage: Readonly<Record<string, InstanceHour>>; readonly charged: string | undefined };
  /** Consecutive suspicious (free credit) and hot (paying) hours, with the last hour counted. */
  readonly mining: { readonly streak: number; readonly lastHour: Hour | undefined };
  readonly heavy: { readonly streak: number; readonly lastHour: Hour | undefined };
  /** Unpaid invoices worth chasing, by number. */
  readonly invoices: readonly OpenInvoice[];
  /** Invoices paid before their invoice record arrived (the payment topic can be ahead), by number. */
  readonly paidEarly: readonly string[];
}

export const HISTORY_LIMIT = 100;
export const EVIDENCE_LIMIT = 50;

export function initialState(accountId: string): AbuseState {
  return {
    accountId,
    status: 'good',
    cause: undefined,
    reason: 'no finding',
    sinceHour: 0,
    version: 0,
    evidence: [],
    history: [],
    account: undefined,
    hasPaymentMethod: false,
    paidInvoices: 0,
    current: { usage: {}, charged: undefined },
    mining: { streak: 0, lastHour: undefined },
    heavy: { streak: 0, lastHour: undefined },
    invoices: [],
    paidEarly: [],
  };
}

const severity: Record<AbuseStatus, number> = {
  good: 0,
  cleared: 0,
  watch: 1,
  warned: 2,
  suspended: 3,
  terminated: 4,
};

export const severityOf = (status: AbuseStatus): number => severity[status];
