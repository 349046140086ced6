import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from '@tally/db';
import type { Logger } from '@tally/log';
import { refreshDirtyDrafts, type DraftRefreshOptions } from './draft-refresher.ts';
import { finalizeDue, type FinalizeOutcome, type FinalizerOptions } from './finalizer.ts';
import { refreshStaleHours, type StaleHoursOptions } from './stale-hours.ts';

export interface InvoiceLoopOptions {
  readonly pool: Pool;
  readonly log: Logger;
  readonly refresh: DraftRefreshOptions;
  readonly finalizer: FinalizerOptions;
  /** Recomputes billing.hourly values marked stale by the usage consumer (absent: not in this loop). */
  readonly staleHours?: StaleHoursOptions;
  readonly refreshIdleMs: number;
  readonly finalizeIntervalMs: number;
  readonly onFinalize?: (outcome: FinalizeOutcome) => void;
}

/**
 * The invoice writers in one loop (never concurrent with each other in a process): refresh marked drafts and stale
 * billing.hourly values until none is left, and every `finalizeIntervalMs` run a finalizer pass. Failures are logged and retried; until `signal`.
 */
export async function runInvoiceLoop(options: InvoiceLoopOptions, signal: AbortSignal): Promise<void> {
  let nextFinalize = 0;
  while (!signal.aborted) {
    try {
      if (Date.now() >= nextFinalize) {
        const outcome = await finalizeDue(options.pool, options.finalizer);
        options.onFinalize?.(outcome);
        if (outcome.finalized > 0 || outcome.blocked > 0) options.log.info(outcome, 'finalizer pass');
        // Behind on the topics: look again soon rather than a whole interval later.
        nextFinalize = Date.now() + (outcome.ready ? options.finalizeIntervalMs : options.refreshIdleMs);
      }
      const refreshed = await refreshDirtyDrafts(options.pool, options.refresh);
      const recomputed =
        options.staleHours === undefined ? 0 : await refreshStaleHours(options.pool, options.staleHours);
      if (refreshed === 0 && recomputed === 0)
        await sleep(options.refreshIdleMs, undefined, { signal }).catch(() => undefined);
    } catch (error) {
      options.log.warn({ err: error }, 'invoice loop failed; retrying');
      await sleep(1_000, undefined, { signal }).catch(() => undefined);
    }
  }
}
