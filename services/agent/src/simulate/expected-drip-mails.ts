import { HOUR_MS } from '@tally/records';
import type { Scenario } from './scenarios.ts';

const DAY_MS = 24 * HOUR_MS;

/** The funnel's delays and thresholds as services/drip/policy.yaml states them (its defaults). */
export interface DripRules {
  readonly gettingStartedAfterHours: number;
  readonly creditThresholdsPercent: readonly number[];
  readonly missYouAfterDays: number;
}

export const DEFAULT_DRIP_RULES: DripRules = {
  gettingStartedAfterHours: 24,
  creditThresholdsPercent: [50, 80, 100],
  missYouAfterDays: 30,
};

interface Due {
  readonly template: string;
  readonly trigger: string;
  /** The epoch hour whose close decides it. */
  readonly hour: number;
  /** When its trigger happened (orders mails closed in one hour). */
  readonly at: number;
}

const toCents = (amount: string): number => {
  const [whole = '0', fraction = ''] = amount.split('.');
  return Number(whole) * 100 + Number(fraction.padEnd(2, '0').slice(0, 2));
};

/**
 * The drip mails the scenario's accounts must receive once the hours below `closedBefore` (an epoch hour) are closed,
 * as notification ids `drip.<account>.<template>.<trigger>` (services/drip/README.md, "The funnel"). Computed from
 * the scenario's own records with plain sums, independently of the drip service: a mail is decided at the close of
 * the hour its trigger falls in; `thanks` (a card or a paid invoice) stops the funnel, so what falls due after the
 * conversion is never sent; an unsubscribed account gets nothing.
 *
 * @example
 * expectedDripMails(month, month.to / 3_600_000 - 2).get('converter-0');
 * // ['drip.converter-0.welcome.first-instance', 'drip.converter-0.credit-used.50', 'drip.converter-0.thanks.converted']
 */
export function expectedDripMails(
  scenario: Scenario,
  closedBefore: number,
  rules: DripRules = DEFAULT_DRIP_RULES,
): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const { account } of scenario.accounts) {
    const id = account.accountId;
    if (account.unsubscribed) {
      result.set(id, []);
      continue;
    }
    const firstInstance = min(
      scenario.instances.filter((i) => i.record.accountId === id).map((i) => i.record.createdAt),
    );
    const converted = min(
      scenario.payments.filter((p) => p.accountId === id && p.kind !== 'payment_failed').map((p) => p.at),
    );
    const charges = scenario.charges.filter((c) => c.accountId === id).sort((a, b) => a.hourStart - b.hourStart);
    const due: Due[] = [];
    const started = account.createdAt + rules.gettingStartedAfterHours * HOUR_MS;
    if (firstInstance === undefined || firstInstance > started)
      due.push({ template: 'getting-started', trigger: 'signup', hour: Math.ceil(started / HOUR_MS) - 1, at: started });
    if (firstInstance !== undefined)
      due.push({
        template: 'welcome',
        trigger: 'first-instance',
        hour: Math.floor(firstInstance / HOUR_MS),
        at: firstInstance,
      });
    if (converted !== undefined)
      due.push({ template: 'thanks', trigger: 'converted', hour: Math.floor(converted / HOUR_MS), at: converted });
    const credit = toCents(account.freeCredit);
    if (credit > 0) {
      const pending = [...rules.creditThresholdsPercent];
      let spent = 0;
      let gone = false;
      for (const charge of charges) {
        spent += toCents(charge.hourTotal);
        const hour = charge.hourStart / HOUR_MS;
        const at = charge.hourStart + HOUR_MS;
        while (pending.length > 0 && spent * 100 >= credit * pending[0]!) {
          due.push({ template: 'credit-used', trigger: String(pending.shift()), hour, at });
        }
        if (!gone && spent >= credit) {
          gone = true;
          due.push({ template: 'add-payment-method', trigger: 'credit-gone', hour, at });
        }
      }
    }
    const used = charges.filter((c) => toCents(c.hourTotal) > 0);
    const lastUsed = used[used.length - 1];
    if (lastUsed !== undefined) {
      const at = lastUsed.hourStart + HOUR_MS + rules.missYouAfterDays * DAY_MS;
      due.push({ template: 'miss-you', trigger: String(lastUsed.hourStart / HOUR_MS), hour: at / HOUR_MS - 1, at });
    }
    // Closing order; `thanks` ends the funnel: nothing of a later hour, nor of its own hour triggered after it.
    due.sort(
      (a, b) => a.hour - b.hour || a.at - b.at || (a.template === 'thanks' ? 1 : b.template === 'thanks' ? -1 : 0),
    );
    const sent: string[] = [];
    for (const mail of due) {
      if (mail.hour >= closedBefore) break;
      sent.push(`drip.${id}.${mail.template}.${mail.trigger}`);
      if (mail.template === 'thanks') break;
    }
    result.set(id, sent);
  }
  return result;
}

function min(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : Math.min(...values);
}
