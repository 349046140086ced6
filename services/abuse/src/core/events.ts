import type { Hour } from '@tally/fsm';

/**
 * What the abuse machine of one account hears, each with its event-time hour. Usage and charges are the latest
 * version of their instance-hour / account-hour (the store keeps only that), so a re-read changes nothing.
 */
export type AbuseEvent =
  | {
      readonly kind: 'usage';
      readonly hour: Hour;
      readonly instanceId: string;
      readonly instanceType: string;
      readonly runningSeconds: number;
      readonly cpuSeconds: string;
    }
  | { readonly kind: 'charge'; readonly hour: Hour; readonly hourTotal: string }
  | { readonly kind: 'payment-method'; readonly hour: Hour; readonly paymentId: string }
  | {
      readonly kind: 'invoice';
      readonly hour: Hour;
      readonly number: string;
      readonly month: string;
      readonly total: string;
      readonly dueHour: Hour;
    }
  | { readonly kind: 'paid'; readonly hour: Hour; readonly paymentId: string; readonly invoiceNumber: string }
  /** A person's decision (tally abuse clear). */
  | { readonly kind: 'cleared'; readonly hour: Hour; readonly id: string; readonly by: string; readonly reason: string }
  /** The hour is over: detectors and timers run. Always the last event of its hour. */
  | { readonly kind: 'tick'; readonly hour: Hour };

const rank: Record<AbuseEvent['kind'], number> = {
  'payment-method': 0,
  invoice: 1,
  usage: 2,
  charge: 3,
  paid: 4,
  cleared: 5,
  tick: 6,
};

/** What tells two events of one kind apart; equal identities mean equal events (the store keeps one per identity). */
export function identityOf(event: AbuseEvent): string {
  switch (event.kind) {
    case 'usage':
      return event.instanceId;
    case 'charge':
    case 'tick':
      return '';
    case 'payment-method':
    case 'paid':
      return event.paymentId;
    case 'invoice':
      return event.number;
    case 'cleared':
      return event.id;
  }
}

/**
 * The canonical order of the events of one hour: by kind (payment methods and invoices first, so an invoice paid in
 * the hour it arrives is known when its payment applies; a person's decision after the facts), then by identity.
 */
export function canonicalOrder(a: AbuseEvent, b: AbuseEvent): number {
  const byKind = rank[a.kind] - rank[b.kind];
  if (byKind !== 0) return byKind;
  const x = identityOf(a);
  const y = identityOf(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
