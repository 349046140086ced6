import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@tally/log';
import type { PassOutcome } from './decider.ts';

/**
 * Runs decider passes until `signal` aborts: right after a pass that asked for effects (more may be due), else after `intervalMs`.
 * A failed pass (database or broker away) is logged and tried again after the interval; its transaction rolled back.
 */
export async function runDecideLoop(
  pass: () => Promise<PassOutcome>,
  options: { intervalMs: number; log: Logger; onPass?: (outcome: PassOutcome) => void },
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    let busy = false;
    try {
      const outcome = await pass();
      options.onPass?.(outcome);
      busy = outcome.effects > 0;
    } catch (error) {
      options.log.error({ err: error }, 'abuse decider pass failed; retrying');
    }
    if (busy) continue;
    await sleep(options.intervalMs, undefined, { signal }).catch(() => undefined);
  }
}
