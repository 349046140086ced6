import { createLogger } from '@tally/log';
import type { Account, Instance, TrafficSample } from '@tally/records';
import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.ts';
import { groundTruth } from './ground-truth.ts';
import type { SampleSender } from './sample-sender.ts';
import { simulatedStream } from './simulated-stream.ts';
import { runSimulation } from './simulation.ts';

describe('runSimulation', () => {
  it('publishes accounts and inventory in batches before the samples, then every sample once', async () => {
    const period = { from: Date.UTC(2025, 0, 1), to: Date.UTC(2025, 0, 1, 2) };
    const fleet = createFleet({ seed: 5, hypervisors: 3, instancesPerHypervisor: 4, period });
    const events: string[] = [];
    const accounts: Account[] = [];
    const instances: Instance[] = [];
    const samples: TrafficSample[] = [];
    const sender = {
      submit: (batch: readonly TrafficSample[]) => {
        events.push('samples');
        samples.push(...batch);
        return Promise.resolve();
      },
      stats: { sent: 0, spooled: 0, failures: 0 },
    } as unknown as SampleSender;
    const faults = { duplicates: { fraction: 0.1, maxDelay: 50 }, reorderWindow: 20 };
    const submitted = await runSimulation(
      {
        accounts: (records) => (events.push('accounts'), accounts.push(...records), Promise.resolve()),
        instances: (records) => (events.push('instances'), instances.push(...records), Promise.resolve()),
        samples: sender,
      },
      { fleet, period, faults, batchSize: 5, progressMs: 60_000, log: createLogger('sim-test', 'silent') },
    );
    expect(accounts).toEqual(fleet.accounts);
    expect(instances).toEqual(fleet.instances.map((i) => i.record));
    expect(events.indexOf('samples')).toBeGreaterThan(events.lastIndexOf('instances'));
    expect(events.filter((e) => e === 'instances')).toHaveLength(3);
    expect(submitted).toBe(samples.length);
    expect(groundTruth(samples)).toEqual(groundTruth(simulatedStream(fleet, period, faults)));
  });
});
