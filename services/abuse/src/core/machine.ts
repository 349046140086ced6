import type { Hour, Machine, Transition } from '@tally/fsm';
import { hourStartOf } from '@tally/fsm';
import type { AbuseStatus, Evidence } from '@tally/records';
import { Decimal } from 'decimal.js';
import { match } from 'ts-pattern';
import type { AbuseEffect, Notice, NoticeTemplate } from './effects.ts';
import type { AbuseEvent } from './events.ts';
import { judgeHour } from './mining.ts';
import type { AbusePolicy } from './policy.ts';
import { EVIDENCE_LIMIT, HISTORY_LIMIT, severityOf, type AbuseState, type Cause, type OpenInvoice } from './state.ts';

type Step = Transition<AbuseState, AbuseEffect>;

/**
 * The abuse machine of one account: good -> watch -> warned -> suspended -> terminated, and cleared (a person's
 * decision). Facts (usage, charges, payments, invoices) only update the state; decisions are taken at the hour's
 * tick, after all the hour's facts, so their order within the hour cannot matter.
 *
 * - Mining on free credit: `suspendAfterHours` consecutive suspicious hours (judgeHour) suspend; the first
 *   `watchAfterHours` put the account on watch. Cleared accounts are not chased for use.
 * - Heavy use by a paying customer: `heavyWatchAfterHours` hot hours put it on watch, never further.
 * - Late payment: due + reminder -> reminder notice (watch); + warning -> warned; + suspension -> suspended. The
 *   payment of every chased invoice resumes a late-payment suspension and returns the account to good.
 * - A suspension nobody lifts becomes a termination after `terminateAfterHours`.
 *
 * @example
 * runMachine(abuseMachine(defaultPolicy), initialState('a-1'), [usage, charge, { kind: 'tick', hour }]);
 */
export function abuseMachine(policy: AbusePolicy): Machine<AbuseState, AbuseEvent, AbuseEffect> {
  return (state, event) => {
    if (state.status === 'terminated') return { state, effects: [] };
    return match(event)
      .with({ kind: 'usage' }, (e) =>
        keep({
          ...state,
          current: {
            ...state.current,
            usage: {
              ...state.current.usage,
              [e.instanceId]: {
                instanceType: e.instanceType,
                runningSeconds: e.runningSeconds,
                cpuSeconds: e.cpuSeconds,
              },
            },
          },
        }),
      )
      .with({ kind: 'charge' }, (e) => keep({ ...state, current: { ...state.current, charged: e.hourTotal } }))
      .with({ kind: 'payment-method' }, () => keep({ ...state, hasPaymentMethod: true }))
      .with({ kind: 'invoice' }, (e) => invoiceArrived(policy, state, e))
      .with({ kind: 'paid' }, (e) => invoicePaid(state, e))
      .with({ kind: 'cleared' }, (e) => cleared(state, e))
      .with({ kind: 'tick' }, (e) => hourClosed(policy, state, e.hour))
      .exhaustive();
  };
}

/**
 * The hour at which the machine needs a tick without events: the next invoice deadline or the termination.
 */
export function wakeAt(policy: AbusePolicy, state: AbuseState): Hour | undefined {
  if (state.status === 'terminated') return undefined;
  const hours: Hour[] = [];
  const late = policy.latePayment;
  for (const invoice of state.invoices) {
    const next = match(invoice.stage)
      .with('open', () => invoice.dueHour + late.reminderAfterHours)
      .with('reminded', () => invoice.stageHour + late.warningAfterHours)
      .with('warned', () => invoice.stageHour + late.suspendAfterHours)
      .with('suspended', () => undefined)
      .exhaustive();
    if (next !== undefined) hours.push(next);
  }
  if (state.status === 'suspended') hours.push(state.sinceHour + policy.terminateAfterHours);
  return hours.length === 0 ? undefined : Math.min(...hours);
}

const keep = (state: AbuseState): Step => ({ state, effects: [] });

function invoiceArrived(policy: AbusePolicy, state: AbuseState, e: Extract<AbuseEvent, { kind: 'invoice' }>): Step {
  if (state.invoices.some((i) => i.number === e.number)) return keep(state);
  if (state.paidEarly.includes(e.number)) {
    return keep({ ...state, paidEarly: state.paidEarly.filter((n) => n !== e.number) });
  }
  if (new Decimal(e.total).lte(policy.latePayment.minimumAmount)) return keep(state);
  const invoice: OpenInvoice = {
    number: e.number,
    month: e.month,
    total: e.total,
    dueHour: e.dueHour,
    stage: 'open',
    stageHour: e.hour,
  };
  const invoices = [...state.invoices, invoice].sort((a, b) => (a.number < b.number ? -1 : 1));
  return keep({ ...state, invoices });
}

function invoicePaid(state: AbuseState, e: Extract<AbuseEvent, { kind: 'paid' }>): Step {
  const paidInvoices = state.paidInvoices + 1;
  if (!state.invoices.some((i) => i.number === e.invoiceNumber)) {
    // The payment came before its invoice record: remember it (bounded), so the invoice is never chased.
    return keep({ ...state, paidInvoices, paidEarly: [...state.paidEarly, e.invoiceNumber].slice(-50) });
  }
  const invoices = state.invoices.filter((i) => i.number !== e.invoiceNumber);
  const next = { ...state, paidInvoices, invoices };
  const stillOverdue = invoices.some((i) => i.stage !== 'open');
  if (state.cause !== 'late-payment' || stillOverdue) return keep(next);
  const evidence = [{ name: 'paidInvoice', value: e.invoiceNumber }];
  const moved = transition(next, 'good', undefined, `invoice ${e.invoiceNumber} paid`, evidence, e.hour);
  if (state.status !== 'suspended') return moved;
  return withEffects(moved, [
    resume(moved.state, `invoice ${e.invoiceNumber} paid`, e.hour),
    notice('abuse-resumed', `paid:${e.invoiceNumber}`, { invoiceNumber: e.invoiceNumber }),
  ]);
}

function cleared(state: AbuseState, e: Extract<AbuseEvent, { kind: 'cleared' }>): Step {
  const evidence = [
    { name: 'clearedBy', value: e.by },
    { name: 'clearance', value: e.id },
  ];
  const moved = transition(state, 'cleared', 'person', `cleared by ${e.by}: ${e.reason}`, evidence, e.hour);
  // A person's decision closes the findings so far: streaks restart, chased invoices are not chased further.
  const reset: AbuseState = {
    ...moved.state,
    mining: { streak: 0, lastHour: undefined },
    heavy: { streak: 0, lastHour: undefined },
    invoices: moved.state.invoices.map((i) => ({ ...i, stage: 'suspended' as const })),
  };
  const effects: AbuseEffect[] = [...moved.effects];
  if (state.status === 'suspended') effects.push(resume(reset, 'cleared by a person', e.hour));
  return { state: reset, effects };
}

function hourClosed(policy: AbusePolicy, start: AbuseState, hour: Hour): Step {
  const finding = judgeHour(policy, start, hour);
  let state: AbuseState = {
    ...start,
    current: { usage: {}, charged: undefined },
    mining: finding.suspicious ? streak(start.mining, hour) : { streak: 0, lastHour: undefined },
    heavy: finding.hot && finding.paying ? streak(start.heavy, hour) : { streak: 0, lastHour: undefined },
  };
  const effects: AbuseEffect[] = [];
  const step = (next: Step): void => {
    state = next.state;
    effects.push(...next.effects);
  };
  const mining = policy.mining;
  if (state.status !== 'cleared' && finding.suspicious) {
    const evidence = [...finding.evidence, { name: 'suspiciousHours', value: String(state.mining.streak) }];
    if (state.mining.streak >= mining.suspendAfterHours && severityOf(state.status) < severityOf('suspended')) {
      const reason = `mining on free credit: ${state.mining.streak} hours near full vCPU`;
      step(suspend(state, 'mining', reason, evidence, hour, `mining:${hour}`));
    } else if (state.mining.streak >= mining.watchAfterHours && severityOf(state.status) < severityOf('watch')) {
      step(transition(state, 'watch', 'mining', 'possible mining on free credit', evidence, hour));
    }
  }
  if (state.status !== 'cleared' && state.heavy.streak >= mining.heavyWatchAfterHours) {
    if (severityOf(state.status) < severityOf('watch')) {
      const evidence = [...finding.evidence, { name: 'hotHours', value: String(state.heavy.streak) }];
      step(
        transition(
          state,
          'watch',
          'heavy-use',
          'heavy CPU by a paying customer: for a person to look at',
          evidence,
          hour,
        ),
      );
    }
  }
  step(chaseInvoices(policy, state, hour));
  if (state.status === 'suspended' && hour >= state.sinceHour + policy.terminateAfterHours) {
    const reason = `suspended since ${new Date(hourStartOf(state.sinceHour)).toISOString()} without resolution`;
    const moved = transition(state, 'terminated', state.cause, reason, state.evidence, hour);
    step(
      withEffects(moved, [
        { kind: 'action', action: 'terminate', reason, version: moved.state.version, hour },
        notice('abuse-terminated', `terminated:${state.sinceHour}`, { reason }),
      ]),
    );
  }
  return { state, effects };
}

function chaseInvoices(policy: AbusePolicy, start: AbuseState, hour: Hour): Step {
  const late = policy.latePayment;
  let state = start;
  const effects: AbuseEffect[] = [];
  for (const invoice of start.invoices) {
    const evidence: Evidence[] = [
      { name: 'invoice', value: invoice.number },
      { name: 'total', value: invoice.total },
      { name: 'dueAt', value: new Date(hourStartOf(invoice.dueHour)).toISOString() },
    ];
    const vars = { invoiceNumber: invoice.number, total: invoice.total, month: invoice.month };
    const advance = (stage: OpenInvoice['stage']): void => {
      state = {
        ...state,
        invoices: state.invoices.map((i) => (i.number === invoice.number ? { ...i, stage, stageHour: hour } : i)),
      };
    };
    const apply = (next: Step): void => {
      state = next.state;
      effects.push(...next.effects);
    };
    if (invoice.stage === 'open' && hour >= invoice.dueHour + late.reminderAfterHours) {
      advance('reminded');
      const reason = `invoice ${invoice.number} unpaid past its due date`;
      if (severityOf(state.status) < severityOf('watch'))
        apply(transition(state, 'watch', 'late-payment', reason, evidence, hour));
      effects.push(notice('abuse-payment-reminder', `invoice:${invoice.number}`, vars));
    } else if (invoice.stage === 'reminded' && hour >= invoice.stageHour + late.warningAfterHours) {
      advance('warned');
      const reason = `invoice ${invoice.number} still unpaid after a reminder`;
      if (severityOf(state.status) < severityOf('warned'))
        apply(transition(state, 'warned', 'late-payment', reason, evidence, hour));
      effects.push(notice('abuse-payment-warning', `invoice:${invoice.number}`, vars));
    } else if (invoice.stage === 'warned' && hour >= invoice.stageHour + late.suspendAfterHours) {
      advance('suspended');
      if (severityOf(state.status) < severityOf('suspended')) {
        const reason = `invoice ${invoice.number} still unpaid after a warning`;
        apply(suspend(state, 'late-payment', reason, evidence, hour, `invoice:${invoice.number}`));
      }
    }
  }
  return { state, effects };
}

function suspend(
  state: AbuseState,
  cause: Cause,
  reason: string,
  evidence: readonly Evidence[],
  hour: Hour,
  trigger: string,
): Step {
  const moved = transition(state, 'suspended', cause, reason, evidence, hour);
  return withEffects(moved, [
    { kind: 'action', action: 'suspend', reason, version: moved.state.version, hour },
    notice('abuse-suspended', trigger, { reason }),
  ]);
}

function resume(state: AbuseState, reason: string, hour: Hour): AbuseEffect {
  return { kind: 'action', action: 'resume', reason, version: state.version, hour };
}

function notice(template: NoticeTemplate, trigger: string, variables: Record<string, string>): Notice {
  return { kind: 'notice', template, trigger, variables };
}

/** Moves to `to`, recording the transition in the history and asking for the decision to be published. */
function transition(
  state: AbuseState,
  to: AbuseStatus,
  cause: Cause | undefined,
  reason: string,
  evidence: readonly Evidence[],
  hour: Hour,
): Step {
  const version = state.version + 1;
  const kept = evidence.slice(0, EVIDENCE_LIMIT);
  const history = [...state.history, { from: state.status, to, hour, reason, evidence: kept }].slice(-HISTORY_LIMIT);
  return {
    state: { ...state, status: to, cause, reason, sinceHour: hour, version, evidence: kept, history },
    effects: [{ kind: 'decision', version }],
  };
}

function withEffects(step: Step, effects: readonly AbuseEffect[]): Step {
  return { state: step.state, effects: [...step.effects, ...effects] };
}

function streak(previous: { streak: number; lastHour: Hour | undefined }, hour: Hour) {
  return { streak: previous.lastHour === hour - 1 ? previous.streak + 1 : 1, lastHour: hour };
}
