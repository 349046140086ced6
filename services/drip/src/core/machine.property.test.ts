import { hourOf, runMachine, type Hour } from '@tally/fsm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DripEffect } from './decide.ts';
import { eventTime, type DripEvent, type FactEvent } from './events.ts';
import { dripMachine } from './machine.ts';
import { initialState, type DripState } from './state.ts';
import { charge, funnel, H0, HOUR, instance, payment, policy, signup, T0 } from './test-events.ts';

/** About five days of one account: its signup, instances, payments and charged hours, at random times. */
const SPAN_HOURS = 5 * 24;
const offset = fc.integer({ min: 0, max: SPAN_HOURS * HOUR - 1 });
const fact: fc.Arbitrary<FactEvent> = fc.oneof(
  offset.map((at) => instance(T0 + at, `i-${at % 3}`)),
  fc
    .tuple(
      offset,
      fc.constantFrom<['payment_method_added', 'invoice_paid', 'payment_failed']>(
        'payment_method_added',
        'invoice_paid',
        'payment_failed',
      ),
    )
    .map(([at, kind]) => payment(T0 + at * 7, kind)),
  fc
    .tuple(
      fc.integer({ min: 0, max: SPAN_HOURS }),
      fc.constantFrom('0.00', '4.50', '12.00', '25.10'),
      fc.integer({ min: 1, max: 3 }),
    )
    .map(([hour, total, version]) => charge(H0 + hour, total, version)),
);
const history = fc
  .tuple(fc.boolean(), fc.array(fact, { maxLength: 25 }))
  .map(([unsubscribed, facts]) => [signup({ unsubscribed: unsubscribed && facts.length % 5 === 0 }), ...facts]);
/** A history and, for each event, a random key: sorting by it gives any arrival order. */
const shuffled = history.chain((events) =>
  fc.tuple(
    fc.constant(events),
    fc.array(fc.double({ noNaN: true }), { minLength: events.length, maxLength: events.length }),
  ),
);

const hourOfFact = (event: FactEvent): Hour => hourOf(eventTime(event));
const MARK = H0 + SPAN_HOURS + 24 * 35; // past every timer a history can set

/**
 * The plainest driver: every hour from the first to the mark, that hour's events in the order given, then its tick.
 * No canonical sorting, no skipped hours: if the machine gave different mails for another order of one hour's
 * events, or if its timers missed an hour, this would differ from the library's advanceTo.
 */
function everyHour(events: readonly FactEvent[], mark: Hour): { state: DripState; effects: readonly DripEffect[] } {
  const machine = dripMachine(policy);
  let state = initialState('a-1');
  const effects: DripEffect[] = [];
  const byHour = Map.groupBy(events, hourOfFact);
  for (let hour = H0; hour < mark; hour += 1) {
    const applied = runMachine(machine, state, [
      ...(byHour.get(hour) ?? []),
      { kind: 'tick', hour } satisfies DripEvent,
    ]);
    state = applied.state;
    effects.push(...applied.effects);
  }
  return { state, effects };
}

describe('drip machine properties', { timeout: 60_000 }, () => {
  it('decides the same mails whatever the order of the events within each hour', () => {
    fc.assert(
      fc.property(shuffled, ([events, keys]) => {
        const arrival = events.map((event, i) => ({ event, key: keys[i]! })).sort((a, b) => a.key - b.key);
        const reordered = arrival.map(({ event }) => event);
        expect(everyHour(reordered, MARK)).toEqual(everyHour(events, MARK));
      }),
      { numRuns: 100 },
    );
  });

  it('decides with the watermark timeline what a tick every hour decides, however far the watermark moves at a time', () => {
    fc.assert(
      fc.property(shuffled, fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 12 }), ([events, keys], steps) => {
        const arrival = events.map((event, i) => ({ event, key: keys[i]! })).sort((a, b) => a.key - b.key);
        const expected = everyHour(events, MARK);
        // The decider: the watermark moves in steps; events not yet due stay buffered for the next pass.
        let run = funnel([], H0);
        let buffered: DripEvent[] = arrival.map(({ event }) => event);
        const effects: DripEffect[] = [];
        let mark = H0;
        for (const step of [...steps, MARK]) {
          mark = Math.min(MARK, Math.max(mark, step === MARK ? MARK : mark + step));
          run = funnel(buffered, mark, run.clocked);
          buffered = run.pending;
          effects.push(...run.effects);
        }
        expect(effects).toEqual(expected.effects);
        expect(run.clocked.state).toEqual(expected.state);
      }),
      { numRuns: 100 },
    );
  });

  it('never decides a mail twice, even when every record is read again', () => {
    fc.assert(
      fc.property(history, (events) => {
        const first = funnel(events, MARK);
        const ids = first.effects.map((effect) => effect.messageId);
        expect(new Set(ids).size).toBe(ids.length);
        const replay = funnel(events, MARK + 24 * 40, first.clocked);
        expect(replay.effects).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
