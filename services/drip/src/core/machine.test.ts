import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMachine } from '@tally/fsm';
import { describe, expect, it } from 'vitest';
import { dripMachine } from './machine.ts';
import { initialState } from './state.ts';
import { loadPolicy } from './policy.ts';
import { charge, funnel, H0, HOUR, instance, payment, policy, signup, T0, templates } from './test-events.ts';

describe('drip funnel', () => {
  it('sends getting-started when no instance ran 24 h after signup, at the hour that passes the 24 h', () => {
    expect(funnel([signup()], H0 + 24).effects).toEqual([]);
    const { effects } = funnel([signup()], H0 + 25);
    expect(effects).toEqual([
      {
        messageId: 'drip.a-1.getting-started.signup',
        template: 'getting-started',
        recipient: 'ada@example.com',
        variables: { name: 'Ada', accountId: 'a-1' },
      },
    ]);
    expect(funnel([signup()], H0 + 24 * 30).effects).toHaveLength(1);
  });

  it('sends welcome for the first instance, and no getting-started when it came within 24 h', () => {
    const run = funnel([signup(), instance(T0 + 2 * HOUR), instance(T0 + 3 * HOUR, 'i-2')], H0 + 72);
    expect(templates(run.effects)).toEqual(['welcome.first-instance']);
  });

  it('sends getting-started, then welcome, for an instance after 24 h', () => {
    const run = funnel([signup(), instance(T0 + 30 * HOUR)], H0 + 72);
    expect(templates(run.effects)).toEqual(['getting-started.signup', 'welcome.first-instance']);
  });

  it('sends each credit threshold once, then asks for a payment method when the credit is gone', () => {
    const charges = Array.from({ length: 12 }, (_, i) => charge(H0 + 1 + i, '10.00'));
    const at = (mark: number) => templates(funnel([signup(), instance(T0), ...charges], mark).effects);
    expect(at(H0 + 5)).toEqual(['welcome.first-instance']); // 40 of 100 used
    expect(at(H0 + 6)).toEqual(['welcome.first-instance', 'credit-used.50']);
    const all = funnel([signup(), instance(T0), ...charges], H0 + 48);
    expect(templates(all.effects)).toEqual([
      'welcome.first-instance',
      'credit-used.50',
      'credit-used.80',
      'credit-used.100',
      'add-payment-method.credit-gone',
    ]);
    expect(all.effects[1]!.variables).toMatchObject({
      percent: '50',
      used: '50.00',
      credit: '100.00',
      currency: 'EUR',
    });
    // Every credit decision is taken: the charges are no longer kept.
    expect(all.clocked.state.charges).toEqual({});
  });

  it('counts the newest version of a rewritten hour once', () => {
    const run = funnel(
      [signup(), charge(H0 + 1, '30.00'), charge(H0 + 1, '60.00', 2), charge(H0 + 1, '5.00', 1)],
      H0 + 5,
    );
    expect(templates(run.effects)).toEqual(['credit-used.50']);
  });

  it('counts the larger of two values of one version, whichever arrives first', () => {
    // The machine itself, without the timeline's canonical order: the arrival order is the one given here.
    const close = { kind: 'tick', hour: H0 + 4 } as const;
    const one = runMachine(dripMachine(policy), initialState('a-1'), [
      signup(),
      charge(H0 + 1, '60.00'),
      charge(H0 + 1, '10.00'),
      close,
    ]);
    const other = runMachine(dripMachine(policy), initialState('a-1'), [
      signup(),
      charge(H0 + 1, '10.00'),
      charge(H0 + 1, '60.00'),
      close,
    ]);
    expect(templates(one.effects)).toEqual(['credit-used.50']);
    expect(other).toEqual(one);
  });

  it('thanks a converted account once and stops the funnel', () => {
    const charges = Array.from({ length: 12 }, (_, i) => charge(H0 + 1 + i, '10.00'));
    const run = funnel(
      [signup(), instance(T0), payment(T0 + 3 * HOUR, 'payment_method_added'), ...charges],
      H0 + 24 * 60,
    );
    expect(templates(run.effects)).toEqual(['welcome.first-instance', 'thanks.converted']);
    expect(run.clocked.state.stopped).toBe(true);
    // A first payment later does not thank again.
    const later = funnel([payment(T0 + 80 * HOUR, 'invoice_paid')], H0 + 24 * 61, run.clocked);
    expect(later.effects).toEqual([]);
  });

  it('sends nothing to an unsubscribed account', () => {
    const run = funnel(
      [signup({ unsubscribed: true }), instance(T0 + 30 * HOUR), charge(H0 + 2, '100.00')],
      H0 + 24 * 60,
    );
    expect(run.effects).toEqual([]);
    expect(run.clocked.state.stopped).toBe(true);
  });

  it('stops when the account unsubscribes later, even if mails were due', () => {
    const first = funnel([signup(), instance(T0)], H0 + 3);
    expect(templates(first.effects)).toEqual(['welcome.first-instance']);
    const later = funnel([signup({ unsubscribed: true }), charge(H0 + 5, '90.00')], H0 + 24 * 60, first.clocked);
    expect(later.effects).toEqual([]);
  });

  it('misses an account 30 days after its last usage, once per silence', () => {
    const last = H0 + 10;
    const events = [signup(), instance(T0), charge(last, '1.00'), charge(last - 1, '1.00')];
    // The watermark at which the 30 days after the end of the last used hour are complete.
    const quietEnd = last + 1 + 30 * 24;
    expect(templates(funnel(events, quietEnd - 1).effects)).toEqual(['welcome.first-instance']);
    const missed = funnel(events, quietEnd);
    expect(templates(missed.effects)).toEqual(['welcome.first-instance', `miss-you.${last}`]);
    expect(funnel(events, quietEnd + 24 * 10).effects).toHaveLength(2);
    // Usage again, then another silence: one more.
    const back = funnel([charge(quietEnd + 5, '1.00')], quietEnd + 5 + 1 + 30 * 24, missed.clocked);
    expect(templates(back.effects)).toEqual([`miss-you.${quietEnd + 5}`]);
  });

  it('decides nothing again when every record is read again (a replay of the group)', () => {
    const events = [
      signup(),
      instance(T0 + 30 * HOUR),
      ...Array.from({ length: 12 }, (_, i) => charge(H0 + 1 + i, '10.00')),
    ];
    const first = funnel(events, H0 + 24 * 5);
    expect(first.effects.length).toBeGreaterThan(4);
    expect(funnel(events, H0 + 24 * 6, first.clocked).effects).toEqual([]);
  });

  it('waits for the account record before mailing anyone', () => {
    const run = funnel([instance(T0), charge(H0 + 1, '90.00')], H0 + 48);
    expect(run.effects).toEqual([]);
    const known = funnel([signup()], H0 + 49, run.clocked);
    expect(templates(known.effects)).toEqual(['welcome.first-instance', 'credit-used.50', 'credit-used.80']);
  });

  it('ignores failed payments', () => {
    expect(templates(funnel([signup(), instance(T0), payment(T0, 'payment_failed')], H0 + 48).effects)).toEqual([
      'welcome.first-instance',
    ]);
  });
});

describe('drip policy', () => {
  it('reads the shipped file with its defaults', () => {
    expect(loadPolicy()).toEqual({
      gettingStartedAfterHours: 24,
      creditThresholdsPercent: [50, 80, 100],
      missYouAfterDays: 30,
      latenessHours: 2,
    });
  });

  it('names the file and every bad field', () => {
    const file = join(tmpdir(), `drip-policy-${process.pid}.yaml`);
    writeFileSync(file, 'gettingStartedAfterHours: -1\ncreditThresholdsPercent: [80, 50]\nunknown: 1\n');
    expect(() => loadPolicy(file)).toThrow(
      /drip-policy-.*invalid[\s\S]*gettingStartedAfterHours[\s\S]*creditThresholdsPercent/,
    );
    writeFileSync(file, '');
    expect(loadPolicy(file).missYouAfterDays).toBe(30);
  });
});
