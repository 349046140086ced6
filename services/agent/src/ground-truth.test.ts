import { usageKey, type TrafficSample } from '@tally/records';
import { describe, expect, it } from 'vitest';
import { createFleet } from './fleet.ts';
import { generateSamples } from './generate-samples.ts';
import { groundTruth } from './ground-truth.ts';
import { injectDuplicates } from './inject-duplicates.ts';
import { injectLateArrivals } from './inject-late-arrivals.ts';
import { injectOutage } from './inject-outage.ts';
import { injectReordering } from './inject-reordering.ts';

const hour = Date.UTC(2025, 0, 1, 10);

function sample(overrides: Partial<TrafficSample>): TrafficSample {
  return {
    hypervisorId: 'hv-1',
    instanceId: 'i-1',
    interfaceId: 'eth0',
    windowStart: hour,
    rxBytes: 100,
    txBytes: 200,
    rxPackets: 1,
    txPackets: 2,
    cpuSeconds: '0.1',
    ...overrides,
  };
}

describe('groundTruth', () => {
  it('sums distinct samples per instance-hour, running each slot once', () => {
    const truth = groundTruth([
      sample({}),
      sample({ cpuSeconds: '0.2', windowStart: hour + 30_000 }),
      sample({ interfaceId: 'eth1', cpuSeconds: '0' }),
      sample({ rxBytes: 5 }), // duplicate: first wins
      sample({ windowStart: hour + 3_600_000 }),
    ]);
    expect(truth.distinctSamples).toBe(4);
    expect(truth.duplicates).toBe(1);
    expect(truth.hours.get(usageKey('i-1', hour))).toEqual({
      instanceId: 'i-1',
      hourStart: hour,
      runningSeconds: 60,
      rxBytes: 300,
      txBytes: 600,
      rxPackets: 3,
      txPackets: 6,
      cpuSeconds: '0.3',
    });
    expect(truth.hours.get(usageKey('i-1', hour + 3_600_000))?.runningSeconds).toBe(30);
  });

  it('is unchanged by every fault the simulator injects', () => {
    const from = Date.UTC(2025, 0, 1);
    const fleet = createFleet({
      seed: 5,
      hypervisors: 3,
      instancesPerHypervisor: 5,
      period: { from, to: from + 4 * 3_600_000 },
    });
    const clean = groundTruth(generateSamples(fleet, fleet.period));
    const faulty = [
      ...injectOutage(
        injectLateArrivals(
          injectReordering(
            injectDuplicates(generateSamples(fleet, fleet.period), { seed: 1, fraction: 0.1, maxDelay: 500 }),
            {
              seed: 2,
              window: 64,
            },
          ),
          { seed: 3, fraction: 0.02, delayMs: 3_600_000 },
        ),
        { outage: { from: from + 3_600_000, to: from + 5_400_000 }, hypervisorIds: new Set(['hv-001']) },
      ),
    ];
    const truth = groundTruth(faulty);
    expect(faulty.length).toBeGreaterThan(clean.distinctSamples);
    expect(truth.distinctSamples).toBe(clean.distinctSamples);
    expect(truth.duplicates).toBe(faulty.length - clean.distinctSamples);
    expect(truth.hours).toEqual(clean.hours);
  });
});
