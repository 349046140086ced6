import type { Account, Instance, TrafficSample } from '@tally/records';
import type { Logger } from '@tally/log';
import type { Fleet, Period } from './fleet.ts';
import type { SampleSender } from './sample-sender.ts';
import type { StreamFaults } from './simulated-stream.ts';
import { simulatedStream } from './simulated-stream.ts';

/** Where the simulator's records go; implemented over Kafka in main.ts, over arrays in tests. */
export interface SimulationSinks {
  readonly accounts: (records: readonly Account[]) => Promise<void>;
  readonly instances: (records: readonly Instance[]) => Promise<void>;
  readonly samples: SampleSender;
}

export interface SimulationOptions {
  readonly fleet: Fleet;
  readonly period: Period;
  readonly faults: StreamFaults;
  readonly batchSize: number;
  /** Called before each batch is submitted (fault injection hooks in here). */
  readonly beforeBatch?: () => void;
  readonly progressMs: number;
  readonly log: Logger;
  readonly clock?: () => number;
}

/**
 * Publishes the fleet's accounts and inventory, then its samples in batches through the sender (which spools
 * what cannot be sent), then drains the spool. Resolves with the number of samples submitted.
 */
export async function runSimulation(sinks: SimulationSinks, options: SimulationOptions): Promise<number> {
  const { fleet, log, batchSize } = options;
  const clock = options.clock ?? Date.now;
  // In batches too: one request per topic partition must stay under the broker's size limit.
  for (const chunk of chunks(fleet.accounts, batchSize)) await sinks.accounts(chunk);
  for (const chunk of chunks(fleet.instances, batchSize)) await sinks.instances(chunk.map((i) => i.record));
  log.info({ accounts: fleet.accounts.length, instances: fleet.instances.length }, 'accounts and inventory published');

  let submitted = 0;
  let batch: TrafficSample[] = [];
  let lastProgress = clock();
  const submit = async (): Promise<void> => {
    options.beforeBatch?.();
    await sinks.samples.submit(batch);
    submitted += batch.length;
    batch = [];
    if (clock() - lastProgress >= options.progressMs) {
      lastProgress = clock();
      log.info({ submitted, ...sinks.samples.stats }, 'progress');
    }
  };
  for (const sample of simulatedStream(fleet, options.period, options.faults)) {
    batch.push(sample);
    if (batch.length >= batchSize) await submit();
  }
  if (batch.length > 0) await submit();
  return submitted;
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[], void, undefined> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}
