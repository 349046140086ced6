import type { Reduced } from './reduced.ts';

/** What a step returns: the next accumulator, or the accumulator in a `reduced` box to stop. */
export type Step<Acc> = Acc | Reduced<Acc>;

/**
 * The three parts of a reduction. The order is (accumulator, input) everywhere.
 *
 * - `init()` makes the starting accumulator (used when the caller gives none);
 * - `step(acc, input)` folds one input in; it may return `reduced(acc)` to stop early;
 * - `complete(acc)` runs exactly once at the end (flush buffers, finish the value).
 *
 * The functions are called unbound (never as `reducer.step(...)` with a meaningful `this`),
 * so write them as arrow functions or functions that do not use `this`.
 */
export interface Reducer<Acc, In> {
  readonly init: () => Acc;
  readonly step: (acc: Acc, input: In) => Step<Acc>;
  readonly complete: (acc: Acc) => Acc;
}

/**
 * Turns a reducer of `B` into a reducer of `A`, whatever the accumulator.
 * Stateful transducers create their state inside this function, i.e. when bound to a reducer,
 * so one transducer value can be bound many times, each binding with fresh state.
 */
export type Transducer<A, B> = <Acc>(rf: Reducer<Acc, B>) => Reducer<Acc, A>;

/**
 * Somewhere a step can send a record that leaves the main chain (dead letters, late data),
 * without changing the main chain's types. `emit` must not throw and should not do I/O:
 * collect, and let the caller ship the records after the batch (see `sideOutput()`).
 */
export interface SideOutput<T> {
  readonly emit: (record: T) => void;
}
