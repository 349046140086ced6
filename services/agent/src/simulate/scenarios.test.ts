import { account, billingHourly, HOUR_MS, instance, invoice, payment, usageHourly, usageKey } from '@tally/records';
import { describe, expect, it } from 'vitest';
import { groundTruth } from '../ground-truth.ts';
import { expectedDripMails } from './expected-drip-mails.ts';
import { scenarioSamples } from './scenario-samples.ts';
import { scenario, type Persona } from './scenarios.ts';

const from = Date.UTC(2026, 6, 1);
const month = scenario({ seed: 11, from, prefix: 't-' });
const first = from / HOUR_MS;
const byPersona = (persona: Persona) => month.accounts.filter((a) => a.persona === persona).map((a) => a.account);
const one = (persona: Persona) => byPersona(persona)[0]!;
const usageOf = (accountId: string) => month.usage.filter((u) => u.accountId === accountId);
const ratio = (u: { cpuSeconds: string; runningSeconds: number; instanceType: string }) =>
  Number(u.cpuSeconds) / (u.runningSeconds * ({ 's1.small': 1, 's1.medium': 2, 'g1.large': 8 }[u.instanceType] ?? 1));

describe('scenario', () => {
  it('is deterministic from its seed, and another seed moves the story', () => {
    expect(scenario({ seed: 11, from, prefix: 't-' })).toEqual(month);
    const other = scenario({ seed: 12, from, prefix: 't-' });
    expect(other.accounts.map((a) => a.account.createdAt)).not.toEqual(month.accounts.map((a) => a.account.createdAt));
  });

  it('produces valid records of every topic, usage in whole hours of the month', () => {
    for (const a of month.accounts) expect(account.parse(a.account)).toEqual(a.account);
    for (const i of month.instances) expect(instance.parse(i.record)).toEqual(i.record);
    for (const u of month.usage) expect(usageHourly.parse(u)).toEqual(u);
    for (const c of month.charges) expect(billingHourly.parse(c)).toEqual(c);
    for (const p of month.payments) expect(payment.parse(p)).toEqual(p);
    for (const v of month.invoices) expect(invoice.parse(v)).toEqual(v);
    expect(month.usage.every((u) => u.hourStart >= from && u.hourStart < month.to)).toBe(true);
    expect(month.to - from).toBe(31 * 24 * HOUR_MS);
    expect(new Set(month.usage.map((u) => usageKey(u.instanceId, u.hourStart))).size).toBe(month.usage.length);
  });

  it('has a miner on free credit flat out for a few hours, and a paying customer as busy all month', () => {
    const miner = one('miner');
    expect(miner.plan).toBe('trial');
    expect(month.payments.some((p) => p.accountId === miner.accountId)).toBe(false);
    const mined = usageOf(miner.accountId);
    expect(mined.length).toBe(8);
    expect(mined[0]!.hourStart / HOUR_MS).toBe(month.moments.minerStartHour);
    expect(mined.every((u) => ratio(u) >= 0.99)).toBe(true);
    const heavy = one('heavy');
    expect(heavy.plan).toBe('paying');
    const busy = usageOf(heavy.accountId);
    expect(busy.length).toBe(31 * 24);
    expect(busy.every((u) => ratio(u) >= 0.92 && ratio(u) <= 0.97)).toBe(true);
  });

  it('has a late payer whose June invoice fails on its due date and is paid more than 7 days later', () => {
    const late = one('late-payer');
    const kinds = month.payments.filter((p) => p.accountId === late.accountId).map((p) => p.kind);
    expect(kinds).toEqual(['payment_method_added', 'payment_failed', 'invoice_paid']);
    const { lateDueAt, latePaidAt } = month.moments;
    expect(latePaidAt - lateDueAt).toBeGreaterThan(8 * 24 * HOUR_MS);
    expect(latePaidAt).toBeLessThan(month.to - 48 * HOUR_MS);
  });

  it("sums each account's hourly charges into its month to date", () => {
    const converter = one('converter');
    const charges = month.charges.filter((c) => c.accountId === converter.accountId);
    expect(charges.every((c) => c.hourTotal === '0.40')).toBe(true);
    expect(charges.at(-1)!.monthToDate).toBe((charges.length * 0.4).toFixed(2));
  });

  it('samples that add up exactly to the usage hours', () => {
    const day = { from: from + 24 * HOUR_MS, to: from + 48 * HOUR_MS };
    const samples = [...scenarioSamples(month, day.from, day.to)];
    const truth = groundTruth(samples);
    const hours = month.usage.filter((u) => u.hourStart >= day.from && u.hourStart < day.to);
    expect(truth.hours.size).toBe(hours.length);
    for (const u of hours) {
      const t = truth.hours.get(usageKey(u.instanceId, u.hourStart));
      expect(t).toEqual({
        instanceId: u.instanceId,
        hourStart: u.hourStart,
        runningSeconds: u.runningSeconds,
        rxBytes: u.rxBytes,
        txBytes: u.txBytes,
        rxPackets: u.rxPackets,
        txPackets: u.txPackets,
        cpuSeconds: u.cpuSeconds,
      });
    }
  });
});

describe('expectedDripMails', () => {
  const last = month.to / HOUR_MS;
  const mails = expectedDripMails(month, last - 2);
  const of = (persona: Persona) =>
    byPersona(persona).map((a) => (mails.get(a.accountId) ?? []).map((id) => id.slice(`drip.${a.accountId}.`.length)));

  it('gives each persona its funnel', () => {
    expect(of('miner')).toEqual([['welcome.first-instance']]);
    expect(of('heavy')).toEqual([['welcome.first-instance', 'thanks.converted']]);
    expect(of('late-payer')).toEqual([['welcome.first-instance', 'thanks.converted']]);
    for (const c of of('converter'))
      expect(c).toEqual(['welcome.first-instance', 'credit-used.50', 'thanks.converted']);
    expect(of('burner')).toEqual([
      [
        'welcome.first-instance',
        'credit-used.50',
        'credit-used.80',
        'credit-used.100',
        'add-payment-method.credit-gone',
      ],
    ]);
    expect(of('late-starter')).toEqual([['getting-started.signup', 'welcome.first-instance']]);
    expect(of('never-started')).toEqual([['getting-started.signup']]);
    expect(of('unsubscribed')).toEqual([[]]);
    const leaver = one('leaver');
    const lastUse = usageOf(leaver.accountId).at(-1)!.hourStart / HOUR_MS;
    expect(lastUse).toBeLessThan(first + 10);
    expect(of('leaver')).toEqual([['welcome.first-instance', `miss-you.${lastUse}`]]);
  });

  it('decides nothing of an hour not closed yet', () => {
    const early = expectedDripMails(month, first);
    expect(early.get(one('burner').accountId)).toEqual([]);
    expect(early.get(one('heavy').accountId)).toEqual(mails.get(one('heavy').accountId));
  });

  it('holds for other seeds', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const other = scenario({ seed, from });
      const all = expectedDripMails(other, other.to / HOUR_MS - 2);
      for (const { account: a, persona } of other.accounts) {
        const kinds = (all.get(a.accountId) ?? []).map((id) => id.split('.')[2]);
        if (persona === 'converter') expect(kinds).toEqual(['welcome', 'credit-used', 'thanks']);
        if (persona === 'burner') expect(kinds).toHaveLength(5);
        if (persona === 'leaver') expect(kinds).toEqual(['welcome', 'miss-you']);
      }
    }
  });
});
