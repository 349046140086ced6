import { hourOf, hourStartOf, type Hour } from '@tally/fsm';
import { decimal, formatMinor, sumDecimals } from '@tally/money';
import type { EmailNotification } from '@tally/records';
import type { DripPolicy } from './policy.ts';
import type { DripState, Profile } from './state.ts';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A mail the funnel asks for: the notification as the mailer takes it, its id (account, template, trigger). */
export type DripEffect = EmailNotification;

/** A mail that is due: when its trigger happened (event time) and what it says. */
interface Candidate {
  readonly template: string;
  /** Stable across replays and rebuilds: the same decision always gets the same message id. */
  readonly trigger: string;
  readonly at: number;
  readonly variables: Readonly<Record<string, string>>;
}

export const decisionId = (template: string, trigger: string): string => `${template}:${trigger}`;

/** The notification id the mailer keys on: (account, template, trigger). */
export const dripMessageId = (accountId: string, template: string, trigger: string): string =>
  `drip.${accountId}.${template}.${trigger}`;

const gettingStartedAt = (policy: DripPolicy, profile: Profile): number =>
  profile.signedUpAt + policy.gettingStartedAfterHours * HOUR_MS;

const missYouAt = (policy: DripPolicy, lastUsageAt: number): number =>
  lastUsageAt + HOUR_MS + policy.missYouAfterDays * DAY_MS;

/** The decision of the miss-you mail for the account's latest usage: one per period of silence. */
const missYouTrigger = (lastUsageAt: number): string => String(hourOf(lastUsageAt));

/** Everything that is due at `now` (the end of the hour being closed) and not decided yet, in no particular order. */
function candidates(policy: DripPolicy, state: DripState, profile: Profile, now: number): Candidate[] {
  const base = { name: profile.name, accountId: state.accountId };
  const due: Candidate[] = [];
  const started = gettingStartedAt(policy, profile);
  if (started <= now && !(state.firstInstanceAt !== null && state.firstInstanceAt <= started))
    due.push({ template: 'getting-started', trigger: 'signup', at: started, variables: base });
  if (state.firstInstanceAt !== null)
    due.push({ template: 'welcome', trigger: 'first-instance', at: state.firstInstanceAt, variables: base });
  if (state.convertedAt !== null)
    due.push({ template: 'thanks', trigger: 'converted', at: state.convertedAt, variables: base });
  const credit = decimal(profile.freeCredit);
  if (credit.gt(0)) {
    const spent = sumDecimals(Object.values(state.charges).map((charge) => charge.total));
    const money = {
      ...base,
      used: formatMinor(spent.toFixed(), profile.currency),
      credit: formatMinor(profile.freeCredit, profile.currency),
      currency: profile.currency,
    };
    for (const percent of policy.creditThresholdsPercent) {
      if (spent.times(100).gte(credit.times(percent)))
        due.push({
          template: 'credit-used',
          trigger: String(percent),
          at: now,
          variables: { ...money, percent: String(percent) },
        });
    }
    if (spent.gte(credit) && state.convertedAt === null)
      due.push({ template: 'add-payment-method', trigger: 'credit-gone', at: now, variables: money });
  }
  if (state.lastUsageAt !== null && missYouAt(policy, state.lastUsageAt) <= now)
    due.push({
      template: 'miss-you',
      trigger: missYouTrigger(state.lastUsageAt),
      at: missYouAt(policy, state.lastUsageAt),
      variables: { ...base, days: String(policy.missYouAfterDays) },
    });
  return due.filter((candidate) => !state.decided.includes(decisionId(candidate.template, candidate.trigger)));
}

/** Within one tick, mails go out in the order their triggers happened; `thanks` ends the funnel, so it goes last. */
const RANK: Readonly<Record<string, number>> = { thanks: 1 };

/** Credit decisions still open: while any is, the charges are kept. */
function creditOpen(policy: DripPolicy, state: DripState): boolean {
  if (state.stopped || state.unsubscribed) return false;
  if (state.profile !== null && decimal(state.profile.freeCredit).lte(0)) return false;
  const ids = [
    ...policy.creditThresholdsPercent.map((percent) => decisionId('credit-used', String(percent))),
    decisionId('add-payment-method', 'credit-gone'),
  ];
  return ids.some((id) => !state.decided.includes(id));
}

/**
 * Closes hour `hour` for one account: decides every mail now due, in trigger order. Converting sends `thanks` and
 * stops the funnel (nothing due after the conversion goes out); an unsubscribed account gets nothing and its funnel
 * stops. An account whose record has not arrived yet decides nothing (there is no one to write to).
 *
 * @example
 * // signed up at 10:20, no instance by the tick that closes 10:00 the next day → getting-started
 * closeHour(policy, state, hourOf(signup) + 24).effects[0].template; // 'getting-started'
 */
export function closeHour(
  policy: DripPolicy,
  state: DripState,
  hour: Hour,
): { state: DripState; effects: DripEffect[] } {
  if (state.stopped || state.profile === null) return { state, effects: [] };
  const profile = state.profile;
  const now = hourStartOf(hour + 1);
  if (state.unsubscribed) return { state: { ...state, stopped: true, charges: {} }, effects: [] };
  const due = candidates(policy, state, profile, now).sort(
    (a, b) => a.at - b.at || (RANK[a.template] ?? 0) - (RANK[b.template] ?? 0) || a.trigger.localeCompare(b.trigger),
  );
  const decided = new Set(state.decided);
  const effects: DripEffect[] = [];
  let stopped = false;
  for (const candidate of due) {
    decided.add(decisionId(candidate.template, candidate.trigger));
    effects.push({
      messageId: dripMessageId(state.accountId, candidate.template, candidate.trigger),
      template: candidate.template,
      recipient: profile.email,
      variables: { ...candidate.variables },
    });
    if (candidate.template === 'thanks') {
      stopped = true;
      break;
    }
  }
  const next: DripState = { ...state, decided: [...decided].sort(), stopped };
  return { state: creditOpen(policy, next) ? next : { ...next, charges: {} }, effects };
}

/**
 * The hour whose tick the account needs even without events: the getting-started or miss-you timer. Undefined when
 * no timer is pending (the funnel stopped, the account unknown).
 */
export function nextTimer(policy: DripPolicy, state: DripState): Hour | undefined {
  if (state.stopped || state.profile === null) return undefined;
  const timers: number[] = [];
  const started = gettingStartedAt(policy, state.profile);
  if (
    !state.decided.includes(decisionId('getting-started', 'signup')) &&
    !(state.firstInstanceAt !== null && state.firstInstanceAt <= started)
  )
    timers.push(hourOf(started - 1));
  if (state.lastUsageAt !== null && !state.decided.includes(decisionId('miss-you', missYouTrigger(state.lastUsageAt))))
    timers.push(hourOf(missYouAt(policy, state.lastUsageAt) - 1));
  return timers.length === 0 ? undefined : Math.min(...timers);
}
