import type { Instance, TrafficSample } from '@tally/records';

/** Test helpers: a sample and an inventory record with defaults, overridden per test. */
export const HOUR = Date.UTC(2025, 0, 15, 10);

export function sampleAt(overrides: Partial<TrafficSample> = {}): TrafficSample {
  return {
    hypervisorId: 'hv-1',
    instanceId: 'i-1',
    interfaceId: 'eth0',
    windowStart: HOUR,
    rxBytes: 1000,
    txBytes: 2000,
    rxPackets: 10,
    txPackets: 20,
    cpuSeconds: '1.5',
    ...overrides,
  };
}

export function instanceRecord(overrides: Partial<Instance> = {}): Instance {
  return {
    instanceId: 'i-1',
    accountId: 'acc-1',
    instanceType: 's1.small',
    zone: 'ch-gva-2',
    state: 'running',
    createdAt: HOUR - 86_400_000,
    updatedAt: HOUR - 86_400_000,
    ...overrides,
  };
}
