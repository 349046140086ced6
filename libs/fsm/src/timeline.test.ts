import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advanceTo, type Machine, type Timeline } from './index.ts';

/** A counter that logs what it saw and asks for a tick every `every` hours after a 'timer' event. */
type Event =
  { kind: 'add'; hour: number; n: number } | { kind: 'timer'; hour: number } | { kind: 'tick'; hour: number };
interface State {
  total: number;
  wake: number | undefined;
}
const machine: Machine<State, Event, string> = (state, event) => {
  switch (event.kind) {
    case 'add':
      return { state: { ...state, total: state.total + event.n }, effects: [] };
    case 'timer':
      return { state: { ...state, wake: event.hour + 3 }, effects: [] };
    case 'tick': {
      const fired = state.wake !== undefined && event.hour >= state.wake;
      return {
        state: { ...state, wake: fired ? undefined : state.wake },
        effects: [`h${event.hour}:${state.total}${fired ? ':fired' : ''}`],
      };
    }
  }
};
const timeline: Timeline<State, Event> = {
  hourOf: (e) => e.hour,
  order: (a, b) =>
    a.kind === b.kind ? (a.kind === 'add' && b.kind === 'add' ? a.n - b.n : 0) : a.kind < b.kind ? -1 : 1,
  tick: (hour) => ({ kind: 'tick', hour }),
  wakeAt: (s) => s.wake,
};
const start = { state: { total: 0, wake: undefined }, openHour: undefined };

describe('advanceTo', () => {
  it('applies closed hours in order, each followed by its tick, and fires timers between them', () => {
    const events: Event[] = [
      { kind: 'add', hour: 10, n: 1 },
      { kind: 'timer', hour: 10 },
      { kind: 'add', hour: 20, n: 2 },
      { kind: 'add', hour: 30, n: 4 },
    ];
    const result = advanceTo(machine, timeline, start, events, 30);
    expect(result.effects).toEqual(['h10:1', 'h13:1:fired', 'h20:3']);
    expect(result.clocked.openHour).toBe(21);
    expect(result.pending).toEqual([{ kind: 'add', hour: 30, n: 4 }]);
  });

  it('applies a late event in the first open hour, never in a closed one', () => {
    const first = advanceTo(machine, timeline, start, [{ kind: 'add', hour: 10, n: 1 }], 12);
    const late = advanceTo(machine, timeline, first.clocked, [{ kind: 'add', hour: 5, n: 2 }], 20);
    expect(late.effects).toEqual(['h11:3']);
  });

  it('gives the same result for every arrival order, and the same in one step or two', () => {
    const event = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        hour: fc.integer({ min: 0, max: 30 }),
        n: fc.integer({ min: 1, max: 9 }),
      }),
      fc.record({ kind: fc.constant('timer' as const), hour: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 20 }),
        fc.integer({ min: 0, max: 40 }),
        fc.context(),
        (events, split, ctx) => {
          const whole = advanceTo(machine, timeline, start, events, 40);
          const shuffled = [...events].reverse();
          expect(advanceTo(machine, timeline, start, shuffled, 40).effects).toEqual(whole.effects);
          const first = advanceTo(machine, timeline, start, events, split);
          const rest = advanceTo(machine, timeline, first.clocked, first.pending, 40);
          ctx.log(JSON.stringify({ split }));
          expect([...first.effects, ...rest.effects]).toEqual(whole.effects);
          expect(rest.clocked).toEqual(whole.clocked);
        },
      ),
    );
  });
});
