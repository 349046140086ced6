import { advanceTo, runMachine, type Hour } from '@tally/fsm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AbuseEffect } from './effects.ts';
import type { AbuseEvent } from './events.ts';
import { abuseMachine } from './machine.ts';
import { defaultPolicy, parsePolicy } from './policy.ts';
import { initialState, type AbuseState } from './state.ts';
import { abuseTimeline } from './timeline.ts';

const policy = defaultPolicy;
const machine = abuseMachine(policy);
const timeline = abuseTimeline(policy);
const START: Hour = 495_000; // 2026-06-20
const created = (hour: Hour) => hour * 3_600_000;

function account(plan: 'trial' | 'paying', extra: Partial<AbuseState> = {}): AbuseState {
  return {
    ...initialState('acct'),
    account: { plan, freeCredit: '100', createdAt: created(START - 24) },
    ...extra,
  };
}

/** An hour of a miner: two s1.medium near 2 vCPU, charged 0.5 (100 credit gone in 200 h). */
function minerHour(hour: Hour, cpu = '7100'): AbuseEvent[] {
  return [
    { kind: 'usage', hour, instanceId: 'i-1', instanceType: 's1.medium', runningSeconds: 3600, cpuSeconds: cpu },
    { kind: 'usage', hour, instanceId: 'i-2', instanceType: 's1.medium', runningSeconds: 3600, cpuSeconds: '7000' },
    { kind: 'charge', hour, hourTotal: '0.5' },
  ];
}

function run(state: AbuseState, events: AbuseEvent[], until: Hour) {
  return advanceTo(machine, timeline, { state, openHour: undefined }, events, until);
}

const actions = (effects: readonly AbuseEffect[]) =>
  effects.filter((e) => e.kind === 'action').map((e) => `${e.action}@${e.hour - START}`);
const notices = (effects: readonly AbuseEffect[]) =>
  effects.filter((e) => e.kind === 'notice').map((e) => `${e.template}:${e.trigger}`);

describe('mining on free credit', () => {
  it('watches after the first suspicious hour and suspends after three, within 6 hours of starting', () => {
    const events = [0, 1, 2, 3, 4].flatMap((h) => minerHour(START + h));
    const result = run(account('trial'), events, START + 10);
    expect(result.clocked.state.status).toBe('suspended');
    expect(result.clocked.state.history.map((h) => `${h.to}@${h.hour - START}`)).toEqual(['watch@0', 'suspended@2']);
    expect(actions(result.effects)).toEqual(['suspend@2']);
    expect(notices(result.effects)).toEqual([`abuse-suspended:mining:${START + 2}`]);
    expect(result.clocked.state.evidence).toContainEqual({ name: 'suspiciousHours', value: '3' });
  });

  it('restarts the count after a quiet hour', () => {
    const events = [0, 1, 3, 4].flatMap((h) => minerHour(START + h));
    expect(run(account('trial'), events, START + 10).clocked.state.status).toBe('watch');
  });

  it('does not suspend a trial with a payment method, an old account, or slow burn', () => {
    const events = [0, 1, 2, 3, 4, 5].flatMap((h) => minerHour(START + h));
    expect(run(account('trial', { hasPaymentMethod: true }), events, START + 10).clocked.state.status).not.toBe(
      'suspended',
    );
    const old = account('trial');
    const oldState = { ...old, account: { ...old.account!, createdAt: created(START - 24 * 90) } };
    expect(run(oldState, events, START + 10).clocked.state.status).toBe('good');
    const slow = [0, 1, 2, 3].flatMap((h) =>
      minerHour(START + h).map((e) => (e.kind === 'charge' ? { ...e, hourTotal: '0.01' } : e)),
    );
    expect(run(account('trial'), slow, START + 10).clocked.state.status).toBe('good');
  });

  it('never suspends a paying customer for heavy use: watch after six hot hours, for a person', () => {
    const events = Array.from({ length: 200 }, (_, h) => minerHour(START + h)).flat();
    const result = run(account('paying', { paidInvoices: 3 }), events, START + 300);
    expect(result.clocked.state.status).toBe('watch');
    expect(result.clocked.state.cause).toBe('heavy-use');
    expect(result.clocked.state.history.map((h) => `${h.to}@${h.hour - START}`)).toEqual(['watch@5']);
    expect(actions(result.effects)).toEqual([]);
  });

  it('a person clears a suspended miner: resumed, and use alone does not suspend it again', () => {
    const first = run(
      account('trial'),
      [0, 1, 2].flatMap((h) => minerHour(START + h)),
      START + 3,
    );
    const clear: AbuseEvent = { kind: 'cleared', hour: START + 3, id: 'c1', by: 'ops', reason: 'research project' };
    const rest = advanceTo(
      machine,
      timeline,
      first.clocked,
      [clear, ...[4, 5, 6, 7].flatMap((h) => minerHour(START + h))],
      START + 10,
    );
    expect(rest.clocked.state.status).toBe('cleared');
    expect(actions(rest.effects)).toEqual(['resume@3']);
  });
});

describe('late payment', () => {
  const invoice: AbuseEvent = {
    kind: 'invoice',
    hour: START,
    number: 'INV-1',
    month: '2026-05',
    total: '42.00',
    dueHour: START + 24,
  };
  const paid = (hour: Hour): AbuseEvent => ({ kind: 'paid', hour, paymentId: 'p-1', invoiceNumber: 'INV-1' });

  it('reminds, warns, suspends on timers alone, and resumes when paid', () => {
    const until = run(account('paying'), [invoice], START + 24 + 24 + 72 + 72 + 1);
    expect(until.clocked.state.history.map((h) => `${h.to}@${h.hour - START}`)).toEqual([
      'watch@48',
      'warned@120',
      'suspended@192',
    ]);
    expect(notices(until.effects)).toEqual([
      'abuse-payment-reminder:invoice:INV-1',
      'abuse-payment-warning:invoice:INV-1',
      'abuse-suspended:invoice:INV-1',
    ]);
    const after = advanceTo(machine, timeline, until.clocked, [paid(START + 200)], START + 210);
    expect(after.clocked.state.status).toBe('good');
    expect(actions(after.effects)).toEqual(['resume@200']);
    expect(notices(after.effects)).toEqual(['abuse-resumed:paid:INV-1']);
  });

  it('paid before the due date: nothing happens; paid before the invoice arrived: it is never chased', () => {
    expect(run(account('paying'), [invoice, paid(START + 5)], START + 500).effects).toEqual([]);
    expect(run(account('paying'), [paid(START), { ...invoice, hour: START + 1 }], START + 500).effects).toEqual([]);
  });

  it('terminates a suspension nobody lifts', () => {
    const result = run(account('paying'), [invoice], START + 192 + 720 + 1);
    expect(result.clocked.state.status).toBe('terminated');
    expect(actions(result.effects)).toEqual(['suspend@192', 'terminate@912']);
  });
});

describe('policy file', () => {
  it('defaults every field and rejects unknown or bad ones', () => {
    expect(parsePolicy('')).toEqual(defaultPolicy);
    expect(parsePolicy('mining:\n  suspendAfterHours: 4\n').mining.suspendAfterHours).toBe(4);
    expect(() => parsePolicy('mining:\n  suspendAfterHour: 4\n')).toThrow();
    expect(() => parsePolicy('latenessHours: -1\n')).toThrow();
  });
});

describe('replay determinism', () => {
  const kinds = fc.constantFrom('miner', 'heavy', 'late', 'quiet');
  /** A few hours of mixed facts for one account; order within and across hours is shuffled by the property. */
  const scenario = fc.record({
    kind: kinds,
    hours: fc.integer({ min: 1, max: 12 }),
    paidAt: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
    method: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
    clearAt: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
  });
  function eventsOf(s: {
    kind: string;
    hours: number;
    paidAt?: number | undefined;
    method?: number | undefined;
    clearAt?: number | undefined;
  }): AbuseEvent[] {
    const events: AbuseEvent[] = [];
    for (let h = 0; h < s.hours; h += 1) {
      if (s.kind !== 'quiet') events.push(...minerHour(START + h, s.kind === 'heavy' ? '7200' : '7100'));
    }
    events.push({ kind: 'invoice', hour: START, number: 'INV-9', month: '2026-05', total: '10', dueHour: START + 2 });
    if (s.paidAt !== undefined)
      events.push({ kind: 'paid', hour: START + s.paidAt, paymentId: 'p', invoiceNumber: 'INV-9' });
    if (s.method !== undefined) events.push({ kind: 'payment-method', hour: START + s.method, paymentId: 'm' });
    if (s.clearAt !== undefined)
      events.push({ kind: 'cleared', hour: START + s.clearAt, id: 'c', by: 'ops', reason: 'ok' });
    return events;
  }

  it('every arrival order, and any split into batches, gives the same decisions and effects', () => {
    fc.assert(
      fc.property(
        scenario,
        fc.constantFrom<'trial' | 'paying'>('trial', 'paying'),
        fc.integer({ min: 0, max: 500 }),
        fc.integer(),
        (s, plan, split, seed) => {
          const events = eventsOf(s);
          const shuffled = fc.sample(
            fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
            { seed, numRuns: 1 },
          )[0]!;
          const end = START + 500;
          const reference = run(account(plan), events, end);
          const other = run(account(plan), shuffled, end);
          expect(other.clocked).toEqual(reference.clocked);
          expect(other.effects).toEqual(reference.effects);
          // The same events delivered in two batches, the watermark moving in between.
          const first = run(account(plan), shuffled, START + (split % 500));
          const rest = advanceTo(machine, timeline, first.clocked, first.pending, end);
          expect([...first.effects, ...rest.effects]).toEqual(reference.effects);
          expect(rest.clocked).toEqual(reference.clocked);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a terminated account stays terminated whatever comes', () => {
    const terminated = { ...account('trial'), status: 'terminated' as const };
    fc.assert(
      fc.property(scenario, (s) => {
        expect(runMachine(machine, terminated, eventsOf(s)).state).toBe(terminated);
      }),
    );
  });
});
