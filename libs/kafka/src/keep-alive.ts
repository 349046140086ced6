/** Group errors after which this member's batch is no longer its own: stop working on it and let kafkajs rejoin. */
const membershipErrors = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
]);

export interface KeepAlive {
  /** Aborted when the group says this member must rejoin (a rebalance); long waits should listen to it. */
  readonly lost: AbortSignal;
  stop(): void;
}

/**
 * Heartbeats every `intervalMs` while a batch is worked on, retried or bisected, so a slow commit or a long backoff
 * does not get the member thrown out of its group (kafkajs only heartbeats between batches on its own). kafkajs
 * throttles heartbeats to its interval and shares one in flight, so extra calls cost nothing.
 */
export function keepAlive(heartbeat: () => Promise<void>, intervalMs: number): KeepAlive {
  const lost = new AbortController();
  const timer = setInterval(() => {
    heartbeat().catch((error: unknown) => {
      const type = (error as { type?: unknown }).type;
      if (typeof type === 'string' && membershipErrors.has(type)) lost.abort(error);
    });
  }, intervalMs);
  timer.unref();
  return {
    lost: lost.signal,
    stop: () => clearInterval(timer),
  };
}
