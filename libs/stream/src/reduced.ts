/**
 * The box a step returns to say "stop": the reduction is over, send nothing more.
 * Drivers (`transduce`, `stepper`, `sequence`, `cat`) check for it after every step.
 */
export class Reduced<T> {
  readonly value: T;
  constructor(value: T) {
    this.value = value;
  }
}

/**
 * Wraps an accumulator so the driver stops after this step.
 *
 * @example
 * reduced(3).value; // 3
 */
export function reduced<T>(value: T): Reduced<T> {
  return new Reduced(value);
}

/** True when `x` is a `reduced` box. */
export function isReduced<T>(x: T | Reduced<T>): x is Reduced<T> {
  return x instanceof Reduced;
}

/** Boxes `x` unless it is already boxed (never double-wraps). */
export function ensureReduced<T>(x: T | Reduced<T>): Reduced<T> {
  return x instanceof Reduced ? x : new Reduced(x);
}

/** Takes the accumulator out of a `reduced` box, or returns `x` as is. */
export function unreduced<T>(x: T | Reduced<T>): T {
  return x instanceof Reduced ? x.value : x;
}
