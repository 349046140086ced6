import type { Hour } from '@tally/fsm';
import type { Account, BillingHourly, Instance, Payment } from '@tally/records';

/** What the funnel learns from the streams, per account, plus the tick that closes an hour. Plain JSON. */
export type DripEvent =
  | {
      readonly kind: 'account';
      readonly accountId: string;
      /** Signup time (the record's createdAt): accounts carry no other event time. */
      readonly at: number;
      readonly name: string;
      readonly email: string;
      readonly freeCredit: string;
      readonly currency: string;
      readonly unsubscribed: boolean;
    }
  | { readonly kind: 'instance'; readonly accountId: string; readonly at: number; readonly instanceId: string }
  | {
      readonly kind: 'payment';
      readonly accountId: string;
      readonly at: number;
      readonly paymentKind: Payment['kind'];
      readonly paymentId: string;
    }
  | {
      readonly kind: 'billing';
      readonly accountId: string;
      readonly hourStart: number;
      readonly hourTotal: string;
      readonly version: number;
    }
  | { readonly kind: 'tick'; readonly hour: Hour };

export type FactEvent = Exclude<DripEvent, { kind: 'tick' }>;

/** An account record as a drip event (a record written before `unsubscribed` existed decodes with it false). */
export function accountEvent(account: Account): FactEvent {
  return {
    kind: 'account',
    accountId: account.accountId,
    at: account.createdAt,
    name: account.name,
    email: account.email,
    freeCredit: account.freeCredit,
    currency: account.currency,
    unsubscribed: account.unsubscribed,
  };
}

export function instanceEvent(instance: Instance): FactEvent {
  return { kind: 'instance', accountId: instance.accountId, at: instance.createdAt, instanceId: instance.instanceId };
}

export function paymentEvent(payment: Payment): FactEvent {
  return {
    kind: 'payment',
    accountId: payment.accountId,
    at: payment.at,
    paymentKind: payment.kind,
    paymentId: payment.paymentId,
  };
}

export function billingEvent(hourly: BillingHourly): FactEvent {
  return {
    kind: 'billing',
    accountId: hourly.accountId,
    hourStart: hourly.hourStart,
    hourTotal: hourly.hourTotal,
    version: hourly.version,
  };
}

/** The event time of a fact, epoch millis. */
export function eventTime(event: FactEvent): number {
  return event.kind === 'billing' ? event.hourStart : event.at;
}
