/**
 * A state machine is a pure function: the state before and one event in, the state after and the effects
 * it asks for out. Nothing here does I/O or reads a clock, so a replay of the same events in the same order
 * decides the same things and asks for the same effects; the service's I/O layer stores the state with its
 * consumer offsets and sends the effects through its outbox.
 *
 * @example
 * const counter: Machine<number, 'tick', string> = (n) => (n + 1 === 3 ? { state: 0, effects: ['third'] } : stay(n + 1));
 * runMachine(counter, 0, ['tick', 'tick', 'tick']); // { state: 0, effects: ['third'] }
 */
export interface Transition<S, F> {
  readonly state: S;
  readonly effects: readonly F[];
}

export type Machine<S, E, F> = (state: S, event: E) => Transition<S, F>;

/** No effect: the machine moves to (or keeps) `state`. */
export const stay = <S, F = never>(state: S): Transition<S, F> => ({ state, effects: [] });

/** Moves to `state` asking for `effects`. */
export const go = <S, F>(state: S, ...effects: F[]): Transition<S, F> => ({ state, effects });

/** Folds `events` through `machine` from `initial`, collecting every effect in order. */
export function runMachine<S, E, F>(machine: Machine<S, E, F>, initial: S, events: Iterable<E>): Transition<S, F> {
  let state = initial;
  const effects: F[] = [];
  for (const event of events) {
    const next = machine(state, event);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}
