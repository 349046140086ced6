import type { Hour } from '@tally/fsm';
import type { Evidence } from '@tally/records';
import { Decimal } from 'decimal.js';
import type { AbusePolicy } from './policy.ts';
import type { AbuseState } from './state.ts';

/** What one closed hour of usage says about an account. */
export interface HourFinding {
  /** Some instance ran near its vCPU count for most of the hour. */
  readonly hot: boolean;
  /** Hot, on free credit, young, without a payment method, and burning credit fast: looks like mining. */
  readonly suspicious: boolean;
  /** A paying customer (plan, payment method or a paid invoice): heavy use alone never suspends it. */
  readonly paying: boolean;
  readonly evidence: readonly Evidence[];
}

/**
 * Judges the hour `hour` of `state.current`. CPU ratio per instance = CPU seconds / (running seconds x vCPUs of its
 * type); an instance of an unknown type never counts. Burning fast = the hour's charge x `creditGoneWithinHours`
 * reaches the free credit.
 *
 * @example
 * // a trial account of 2 days with one s1.medium at 7,100 CPU s of 3,600 s running, charged 0.50 of 100 credit
 * judgeHour(policy, state, hour).suspicious; // true
 */
export function judgeHour(policy: AbusePolicy, state: AbuseState, hour: Hour): HourFinding {
  const { mining } = policy;
  let hottest: { id: string; ratio: Decimal } | undefined;
  let hotCount = 0;
  for (const [id, usage] of Object.entries(state.current.usage).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const vcpus = policy.instanceTypes[usage.instanceType];
    if (vcpus === undefined || usage.runningSeconds < mining.minRunningSeconds) continue;
    const ratio = new Decimal(usage.cpuSeconds).div(usage.runningSeconds * vcpus);
    if (ratio.gte(mining.cpuRatio)) {
      hotCount += 1;
      if (hottest === undefined || ratio.gt(hottest.ratio)) hottest = { id, ratio };
    }
  }
  const account = state.account;
  const paying =
    account?.plan === 'paying' || state.hasPaymentMethod || state.paidInvoices > 0 || account === undefined;
  const hot = hotCount > 0;
  const ageHours = account === undefined ? Infinity : hour - Math.floor(account.createdAt / 3_600_000);
  const young = ageHours < mining.youngDays * 24;
  const credit = new Decimal(account?.freeCredit ?? '0');
  const charged = new Decimal(state.current.charged ?? '0');
  const burningFast = credit.gt(0) && charged.gt(0) && charged.mul(mining.creditGoneWithinHours).gte(credit);
  const evidence: Evidence[] = hot
    ? [
        { name: 'hotInstances', value: String(hotCount) },
        { name: 'hottestInstance', value: hottest?.id ?? '' },
        { name: 'cpuRatio', value: hottest?.ratio.toDecimalPlaces(3).toString() ?? '' },
        { name: 'hourCharge', value: charged.toString() },
        { name: 'freeCredit', value: credit.toString() },
        { name: 'accountAgeHours', value: Number.isFinite(ageHours) ? String(ageHours) : 'unknown' },
      ]
    : [];
  return { hot, suspicious: hot && !paying && young && burningFast, paying, evidence };
}
