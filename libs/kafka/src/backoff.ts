export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 200, maxMs: 15_000 };

/**
 * Delay before retry number `attempt` (1-based): exponential, capped, with "full jitter" so that many
 * consumers retrying against one recovering database do not arrive together.
 *
 * @example
 * backoffDelay(3, { initialMs: 100, maxMs: 1000 }, () => 0.5) // 200
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * random());
}
