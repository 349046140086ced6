import { stay, type Machine } from '@tally/fsm';
import { decimal } from '@tally/money';
import { P, match } from 'ts-pattern';
import { closeHour, type DripEffect } from './decide.ts';
import type { DripEvent } from './events.ts';
import type { DripPolicy } from './policy.ts';
import type { DripState } from './state.ts';

const earliest = (current: number | null, at: number): number => (current === null ? at : Math.min(current, at));
const latest = (current: number | null, at: number): number => (current === null ? at : Math.max(current, at));

/**
 * The drip funnel of one account. Facts (account, instance, payment, charge) only update the state; mails are
 * decided when an hour closes (`tick`), so the order of the events within an hour never matters and a replay of
 * the same records decides the same mails (libs/fsm timeline applies them hour by hour once the watermark passes).
 *
 * @example
 * runMachine(dripMachine(policy), initialState('a-1'), [signup, { kind: 'tick', hour: hourOf(signup.at) + 24 }]).effects
 * // [{ messageId: 'drip.a-1.getting-started.signup', template: 'getting-started', … }]
 */
export function dripMachine(policy: DripPolicy): Machine<DripState, DripEvent, DripEffect> {
  return (state, event) =>
    match(event)
      .with({ kind: 'account' }, (account) =>
        stay<DripState, DripEffect>({
          ...state,
          profile: {
            name: account.name,
            email: account.email,
            freeCredit: account.freeCredit,
            currency: account.currency,
            signedUpAt: account.at,
          },
          unsubscribed: state.unsubscribed || account.unsubscribed,
        }),
      )
      .with({ kind: 'instance' }, (instance) =>
        stay<DripState, DripEffect>({ ...state, firstInstanceAt: earliest(state.firstInstanceAt, instance.at) }),
      )
      .with({ kind: 'payment', paymentKind: P.union('payment_method_added', 'invoice_paid') }, (payment) =>
        stay<DripState, DripEffect>({ ...state, convertedAt: earliest(state.convertedAt, payment.at) }),
      )
      // A failed payment converts nothing (abuse follows it up); it is not a reason to mail from the funnel.
      .with({ kind: 'payment', paymentKind: 'payment_failed' }, () => stay<DripState, DripEffect>(state))
      .with({ kind: 'billing' }, (charge) => stay<DripState, DripEffect>(withCharge(state, charge)))
      .with({ kind: 'tick' }, (tick) => closeHour(policy, state, tick.hour))
      .exhaustive();
}

function withCharge(state: DripState, charge: Extract<DripEvent, { kind: 'billing' }>): DripState {
  const used = /[1-9]/.test(charge.hourTotal) && !charge.hourTotal.startsWith('-');
  const lastUsageAt = used ? latest(state.lastUsageAt, charge.hourStart) : state.lastUsageAt;
  if (state.stopped) return { ...state, lastUsageAt };
  const key = String(charge.hourStart);
  const known = state.charges[key];
  // Billing rewrites an hour with a higher version (late usage): the newest value of each hour counts, once. Two
  // values of one version should not exist; if they do, the larger counts, whichever came first.
  if (
    known !== undefined &&
    (known.version > charge.version ||
      (known.version === charge.version && decimal(known.total).gte(decimal(charge.hourTotal))))
  )
    return { ...state, lastUsageAt };
  return {
    ...state,
    lastUsageAt,
    charges: { ...state.charges, [key]: { version: charge.version, total: charge.hourTotal } },
  };
}
