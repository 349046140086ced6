import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { go, runKeyed, runMachine, stay, type Machine } from './index.ts';

type Light = 'green' | 'amber' | 'red';
type Event = { kind: 'timer' } | { kind: 'fault' };
const light: Machine<Light, Event, string> = (state, event) => {
  if (event.kind === 'fault') return state === 'red' ? stay(state) : go('red', 'stop-all');
  if (state === 'green') return stay('amber');
  if (state === 'amber') return go('red', 'stop');
  return go('green', 'go');
};

describe('runMachine', () => {
  it('folds events and collects effects in order', () => {
    const events: Event[] = [{ kind: 'timer' }, { kind: 'timer' }, { kind: 'timer' }, { kind: 'fault' }];
    expect(runMachine(light, 'green', events)).toEqual({ state: 'red', effects: ['stop', 'go', 'stop-all'] });
  });

  it('is the same as running the halves one after the other', () => {
    const event = fc.constantFrom<Event>({ kind: 'timer' }, { kind: 'fault' });
    fc.assert(
      fc.property(fc.array(event), fc.array(event), (first, second) => {
        const half = runMachine(light, 'green', first);
        const rest = runMachine(light, half.state, second);
        expect(runMachine(light, 'green', [...first, ...second])).toEqual({
          state: rest.state,
          effects: [...half.effects, ...rest.effects],
        });
      }),
    );
  });
});

describe('runKeyed', () => {
  it('moves only the machine of each event key, starting from loaded or initial state', () => {
    const events = [
      { key: 'a', event: { kind: 'timer' } as Event },
      { key: 'b', event: { kind: 'fault' } as Event },
      { key: 'a', event: { kind: 'timer' } as Event },
    ];
    const result = runKeyed<string, Light, (typeof events)[number], string>(
      (state, keyed) => light(state, keyed.event),
      (keyed) => keyed.key,
      new Map([['b', 'red']]),
      () => 'green',
      events,
    );
    expect(Object.fromEntries(result)).toEqual({
      a: { state: 'red', effects: ['stop'] },
      b: { state: 'red', effects: [] },
    });
  });
});
