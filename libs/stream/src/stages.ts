import type { Step } from './api.ts';

/**
 * Internal: how `comp` binds the stateless operations (`map`, `filter`, `remove`, `keep`) so
 * that V8 can inline a whole chain into the driver's loop.
 *
 * Why: V8 keeps call-site type feedback per function literal, shared by every closure made
 * from it. In `comp(map(decode), filter(p), map(amount))` both `map` bindings are closures of
 * the one arrow in `map.ts`, so its calls `f(input)` and `step(acc, ...)` see two targets each,
 * go megamorphic, and nothing past the first `map` is inlined: every record pays real calls.
 * `comp` instead gives the n-th stateless operation of a chain the n-th stage below. The stages
 * are identical copies on purpose (distinct literals, so distinct feedback): within one chain
 * each call site sees one target. The behaviour is exactly that of the operation's own step
 * (same calls, same order, `reduced` passed through untouched); only the literal differs.
 *
 * Limits: feedback is per process, so two different chains bound in one process share stage 0,
 * 1, ... and may again go megamorphic (no worse than before). Beyond `STAGES.length` stateless
 * operations in one `comp`, the operations' own steps are used.
 */

export const MAP = 0;
export const FILTER = 1;
export const REMOVE = 2;
export const KEEP = 3;
export type Kind = typeof MAP | typeof FILTER | typeof REMOVE | typeof KEEP;

/** What a stateless transducer is, so that `comp` can bind it through a stage. */
export interface StatelessOp {
  readonly kind: Kind;
  readonly f: (input: unknown) => unknown;
}

type AnyStep = (acc: unknown, input: unknown) => Step<unknown>;
type Stage = (kind: Kind, f: (input: unknown) => unknown, down: AnyStep) => AnyStep;

const registry = new WeakMap<object, StatelessOp>();

/** Marks `xform` as the stateless operation `kind` of `f`, and returns it. */
export function stateless<X extends object>(xform: X, kind: Kind, f: (input: never) => unknown): X {
  registry.set(xform, { kind, f: f as (input: unknown) => unknown });
  return xform;
}

/** The stateless operation `xform` is, if it is one. */
export function statelessOp(xform: object): StatelessOp | undefined {
  return registry.get(xform);
}

// The stages: keep them identical. KEEP drops null and undefined (not 0, '' or false).
const stage0: Stage = (kind, f, down) => {
  if (kind === MAP) return (acc, x) => down(acc, f(x));
  if (kind === FILTER) return (acc, x) => (f(x) ? down(acc, x) : acc);
  if (kind === REMOVE) return (acc, x) => (f(x) ? acc : down(acc, x));
  return (acc, x) => {
    const y = f(x);
    return y === null || y === undefined ? acc : down(acc, y);
  };
};
const stage1: Stage = (kind, f, down) => {
  if (kind === MAP) return (acc, x) => down(acc, f(x));
  if (kind === FILTER) return (acc, x) => (f(x) ? down(acc, x) : acc);
  if (kind === REMOVE) return (acc, x) => (f(x) ? acc : down(acc, x));
  return (acc, x) => {
    const y = f(x);
    return y === null || y === undefined ? acc : down(acc, y);
  };
};
const stage2: Stage = (kind, f, down) => {
  if (kind === MAP) return (acc, x) => down(acc, f(x));
  if (kind === FILTER) return (acc, x) => (f(x) ? down(acc, x) : acc);
  if (kind === REMOVE) return (acc, x) => (f(x) ? acc : down(acc, x));
  return (acc, x) => {
    const y = f(x);
    return y === null || y === undefined ? acc : down(acc, y);
  };
};
const stage3: Stage = (kind, f, down) => {
  if (kind === MAP) return (acc, x) => down(acc, f(x));
  if (kind === FILTER) return (acc, x) => (f(x) ? down(acc, x) : acc);
  if (kind === REMOVE) return (acc, x) => (f(x) ? acc : down(acc, x));
  return (acc, x) => {
    const y = f(x);
    return y === null || y === undefined ? acc : down(acc, y);
  };
};
const stage4: Stage = (kind, f, down) => {
  if (kind === MAP) return (acc, x) => down(acc, f(x));
  if (kind === FILTER) return (acc, x) => (f(x) ? down(acc, x) : acc);
  if (kind === REMOVE) return (acc, x) => (f(x) ? acc : down(acc, x));
  return (acc, x) => {
    const y = f(x);
    return y === null || y === undefined ? acc : down(acc, y);
  };
};
const stage5: Stage = (kind, f, down) => {
  if (kind === MAP) return (acc, x) => down(acc, f(x));
  if (kind === FILTER) return (acc, x) => (f(x) ? down(acc, x) : acc);
  if (kind === REMOVE) return (acc, x) => (f(x) ? acc : down(acc, x));
  return (acc, x) => {
    const y = f(x);
    return y === null || y === undefined ? acc : down(acc, y);
  };
};
const stage6: Stage = (kind, f, down) => {
  if (kind === MAP) return (acc, x) => down(acc, f(x));
  if (kind === FILTER) return (acc, x) => (f(x) ? down(acc, x) : acc);
  if (kind === REMOVE) return (acc, x) => (f(x) ? acc : down(acc, x));
  return (acc, x) => {
    const y = f(x);
    return y === null || y === undefined ? acc : down(acc, y);
  };
};
const stage7: Stage = (kind, f, down) => {
  if (kind === MAP) return (acc, x) => down(acc, f(x));
  if (kind === FILTER) return (acc, x) => (f(x) ? down(acc, x) : acc);
  if (kind === REMOVE) return (acc, x) => (f(x) ? acc : down(acc, x));
  return (acc, x) => {
    const y = f(x);
    return y === null || y === undefined ? acc : down(acc, y);
  };
};

export const STAGES: readonly Stage[] = [stage0, stage1, stage2, stage3, stage4, stage5, stage6, stage7];
