import { advanceTo, hourOf, type Clocked, type Hour } from '@tally/fsm';
import type { DripEffect } from './decide.ts';
import type { DripEvent, FactEvent } from './events.ts';
import { dripMachine } from './machine.ts';
import { dripPolicy, type DripPolicy } from './policy.ts';
import { initialState, type DripState } from './state.ts';
import { dripTimeline } from './timeline.ts';

/** Test helpers: one account's events, and the funnel run over them the way the decider runs it. */
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const T0 = Date.UTC(2026, 9, 1, 10, 20);
export const H0: Hour = hourOf(T0);
export const policy: DripPolicy = dripPolicy.parse({});

export const signup = (overrides: Partial<Extract<FactEvent, { kind: 'account' }>> = {}): FactEvent => ({
  kind: 'account',
  accountId: 'a-1',
  at: T0,
  name: 'Ada',
  email: 'ada@example.com',
  freeCredit: '100.00',
  currency: 'EUR',
  unsubscribed: false,
  ...overrides,
});
export const instance = (at: number, instanceId = 'i-1'): FactEvent => ({
  kind: 'instance',
  accountId: 'a-1',
  at,
  instanceId,
});
export const payment = (
  at: number,
  paymentKind: 'payment_method_added' | 'invoice_paid' | 'payment_failed',
): FactEvent => ({
  kind: 'payment',
  accountId: 'a-1',
  at,
  paymentKind,
  paymentId: `p-${at}`,
});
export const charge = (hour: Hour, hourTotal: string, version = 1): FactEvent => ({
  kind: 'billing',
  accountId: 'a-1',
  hourStart: hour * HOUR,
  hourTotal,
  version,
});

export interface Run {
  clocked: Clocked<DripState>;
  effects: DripEffect[];
  pending: DripEvent[];
}

/** Applies `events` up to watermark `mark`, from `start` (a fresh account by default). */
export function funnel(events: readonly DripEvent[], mark: Hour, start?: Clocked<DripState>): Run {
  return advanceTo(
    dripMachine(policy),
    dripTimeline(policy),
    start ?? { state: initialState('a-1'), openHour: undefined },
    events,
    mark,
  );
}

export const templates = (effects: readonly DripEffect[]): string[] =>
  effects.map((effect) => effect.messageId.replace('drip.a-1.', ''));
