/** Throws at build time, so a misconfigured pipeline fails at start-up, not on the first record. */
export function assertCount(op: string, name: string, n: number, min: number): void {
  if (!(Number.isInteger(n) || n === Infinity) || n < min) {
    throw new RangeError(`${op}: ${name} must be an integer >= ${min}, got ${String(n)}`);
  }
}
