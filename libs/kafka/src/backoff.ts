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

/** How long a transient failure is retried quietly before the partition is reported stalled (it is still retried). */
export interface RetryBudget {
  attempts: number;
  ms: number;
}

export const defaultRetryBudget: RetryBudget = { attempts: 8, ms: 60_000 };

/**
 * Whether a failure that began `elapsedMs` ago and was tried `attempts` times is past its budget (either limit).
 *
 * @example
 * retryBudgetExceeded(3, 70_000, { attempts: 8, ms: 60_000 }) // true: a minute has passed
 * retryBudgetExceeded(3, 1_000, { attempts: 8, ms: 60_000 })  // false
 */
export function retryBudgetExceeded(attempts: number, elapsedMs: number, budget: RetryBudget): boolean {
  return attempts >= budget.attempts || elapsedMs >= budget.ms;
}
