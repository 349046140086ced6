// Helpers for this package's tests: reducers and steps that throw when the life cycle is broken.
import type { Reducer, Transducer } from './api.ts';
import { isReduced } from './reduced.ts';

/** Thrown by the checkers below; tests assert it never is. */
export class LifecycleError extends Error {}

/**
 * A pass-through step that throws if it receives input after its downstream returned
 * `reduced`, input after completion, or a second completion. Put one between every step.
 */
export function probe<A>(name = 'probe'): Transducer<A, A> {
  return <Acc>(rf: Reducer<Acc, A>): Reducer<Acc, A> => {
    let stopped = false;
    let completed = false;
    return {
      init: rf.init,
      step: (acc, input) => {
        if (stopped) throw new LifecycleError(`${name}: input after reduced`);
        if (completed) throw new LifecycleError(`${name}: input after completion`);
        const r = rf.step(acc, input);
        if (isReduced(r)) stopped = true;
        return r;
      },
      complete: (acc) => {
        if (completed) throw new LifecycleError(`${name}: completed twice`);
        completed = true;
        return rf.complete(acc);
      },
    };
  };
}

/** Records every call, in order, as strings: `step:<json>`, `complete`. */
export function recorder<T>(): Reducer<string[], T> & { readonly calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    init: () => calls,
    step: (acc, input) => {
      calls.push(`step:${JSON.stringify(input)}`);
      return acc;
    },
    complete: (acc) => {
      calls.push('complete');
      return acc;
    },
  };
}

/** An iterable that counts how many elements were pulled and whether it was closed. */
export function tracked<T>(items: readonly T[]): Iterable<T> & { pulled: number; closed: boolean } {
  const state = {
    pulled: 0,
    closed: false,
    *[Symbol.iterator](): Generator<T, void, undefined> {
      try {
        for (const x of items) {
          state.pulled++;
          yield x;
        }
      } finally {
        state.closed = true;
      }
    },
  };
  return state;
}
