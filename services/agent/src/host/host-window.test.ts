import { describe, expect, it } from 'vitest';
import { DEFAULT_WINDOW_OPTIONS } from '../counter-windows.ts';
import type { DeviceMapping } from '../device-mapping.ts';
import type { CounterReading, InterfaceCounters } from '../sysfs-reader.ts';
import { hostWindowStep, INITIAL_HOST_WINDOW, nextReadingAt } from './host-window.ts';

const T = Date.UTC(2025, 0, 1, 10);
const options = { ...DEFAULT_WINDOW_OPTIONS, windowMs: 30_000 };

const mappingOf = (...instances: string[]): DeviceMapping => ({
  hypervisorId: 'hv',
  devices: instances.map((instanceId, i) => ({ device: `vnet${i}`, instanceId, interfaceId: 'eth0', primary: true })),
  cgroups: new Map(instances.map((id) => [id, `machine/${id}`])),
});
const counters = (rx: bigint, ifindex = 5): InterfaceCounters => ({
  rxBytes: rx,
  txBytes: 0n,
  rxPackets: 0n,
  txPackets: 0n,
  ifindex,
});

function reading(
  at: number,
  devices: [string, bigint][],
  cpu: [string, bigint][] = [],
  unreadable?: string[],
): CounterReading {
  return {
    at,
    devices: new Map(devices.map(([device, rx]) => [device, counters(rx)])),
    cpuMicros: new Map(cpu),
    cgroupIds: new Map(cpu.map(([id]) => [id, 1n])),
    ...(unreadable === undefined
      ? {}
      : {
          unreadable: {
            devices: new Set(unreadable.filter((u) => u.startsWith('vnet'))),
            cgroups: new Set(unreadable.filter((u) => !u.startsWith('vnet'))),
          },
        }),
  };
}

describe('hostWindowStep', () => {
  it('finds the VMs at the first reading, then reports those that appear and vanish', () => {
    const first = hostWindowStep(INITIAL_HOST_WINDOW, reading(T + 200, [['vnet0', 0n]]), mappingOf('i-a'), options);
    expect(first).toMatchObject({ samples: [], appeared: [], vanished: [] });
    const second = hostWindowStep(first.state, reading(T + 30_200, [['vnet1', 70n]]), mappingOf('i-x', 'i-b'), options);
    expect(second.appeared).toEqual(['i-b', 'i-x']);
    expect(second.vanished).toEqual(['i-a']);
    // i-b's device appeared since the last reading: all it counted is this window's.
    expect(second.samples.map((s) => [s.instanceId, s.rxBytes])).toEqual([['i-b', 70]]);
  });

  it('keeps an unreadable counter at its last value, so the next good reading counts it once, in full', () => {
    const mapping = mappingOf('i-a');
    const base = hostWindowStep(
      INITIAL_HOST_WINDOW,
      reading(T, [['vnet0', 100n]], [['i-a', 1_000_000n]]),
      mapping,
      options,
    );
    const failed = hostWindowStep(base.state, reading(T + 30_000, [], [], ['vnet0', 'i-a']), mapping, options);
    expect(failed.samples.map((s) => [s.rxBytes, s.cpuSeconds])).toEqual([[0, '0']]);
    const next = hostWindowStep(
      failed.state,
      reading(T + 60_000, [['vnet0', 400n]], [['i-a', 4_000_000n]]),
      mapping,
      options,
    );
    expect(next.samples.map((s) => [s.rxBytes, s.cpuSeconds])).toEqual([[300, '3']]);
    expect(next.anomalies).toEqual([]);
  });
});

describe('nextReadingAt', () => {
  it('is just after the next boundary, never now or in the past', () => {
    expect(nextReadingAt(T + 29_000, 30_000, 200)).toBe(T + 30_200);
    expect(nextReadingAt(T + 100, 30_000, 200)).toBe(T + 200);
    expect(nextReadingAt(T + 200, 30_000, 200)).toBe(T + 30_200);
    expect(nextReadingAt(T, 2_000, 0)).toBe(T + 2_000);
  });
});
