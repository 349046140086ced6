import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trafficSample } from '@tally/records';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { advanceCounters, DEFAULT_WINDOW_OPTIONS, samplesBetween } from './counter-windows.ts';
import { parseDeviceMapping } from './device-mapping.ts';
import { readCounters, type CounterReading } from './sysfs-reader.ts';

const T = Date.UTC(2025, 0, 1, 10);

const mapping = parseDeviceMapping({
  hypervisorId: 'hv-1',
  domains: [
    { instanceId: 'i-a', nics: ['vnet0', 'vnet1'], cgroup: 'machine.slice/a.scope' },
    { instanceId: 'i-b', nics: ['vnet2'] },
  ],
});

let root: string;

async function writeDevice(device: string, counters: Record<string, bigint | number>): Promise<void> {
  const dir = join(root, 'sys', 'class', 'net', device, 'statistics');
  await mkdir(dir, { recursive: true });
  for (const [name, value] of Object.entries(counters)) await writeFile(join(dir, name), `${value}\n`);
}

async function writeCpu(usageUsec: number): Promise<void> {
  const dir = join(root, 'cgroup', 'machine.slice', 'a.scope');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'cpu.stat'), `usage_usec ${usageUsec}\nuser_usec 1\nsystem_usec 2\n`);
}

const counters = (rx: bigint | number, tx: bigint | number = 0, rxp: number = 0, txp: number = 0) => ({
  rx_bytes: rx,
  tx_bytes: tx,
  rx_packets: rxp,
  tx_packets: txp,
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'tally-sysfs-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('counter reader on a fake /sys', () => {
  it('reads devices and cgroup CPU, then emits one sample per interface per window', async () => {
    const paths = { sysRoot: join(root, 'sys'), cgroupRoot: join(root, 'cgroup') };
    await writeDevice('vnet0', counters(1_000, 2_000, 10, 20));
    await writeDevice('vnet1', counters(2n ** 53n + 5n, 0)); // beyond Number precision, fine as BigInt
    await writeCpu(5_000_000);
    // vnet2 (i-b) does not exist yet: its VM is not running. It starts before the next reading, so all it counted
    // belongs to this window.
    const first = await readCounters(mapping, paths, T + 40);
    expect(first.devices.size).toBe(2);
    expect(first.cpuMicros.get('i-a')).toBe(5_000_000n);

    await writeDevice('vnet0', counters(4_000, 2_500, 13, 25));
    await writeDevice('vnet1', counters(2n ** 53n + 105n, 7));
    await writeDevice('vnet2', counters(50));
    await writeCpu(20_250_000);
    const second = await readCounters(mapping, paths, T + 30_020);

    const step = advanceCounters(advanceCounters(undefined, first, mapping).last, second, mapping);
    expect(step.anomalies).toEqual([]);
    expect(step.samples).toEqual([
      {
        hypervisorId: 'hv-1',
        instanceId: 'i-a',
        interfaceId: 'eth0',
        windowStart: T,
        rxBytes: 3_000,
        txBytes: 500,
        rxPackets: 3,
        txPackets: 5,
        cpuSeconds: '15.25',
      },
      {
        hypervisorId: 'hv-1',
        instanceId: 'i-a',
        interfaceId: 'eth1',
        windowStart: T,
        rxBytes: 100,
        txBytes: 7,
        rxPackets: 0,
        txPackets: 0,
        cpuSeconds: '0',
      },
      {
        hypervisorId: 'hv-1',
        instanceId: 'i-b',
        interfaceId: 'eth0',
        windowStart: T,
        rxBytes: 50,
        txBytes: 0,
        rxPackets: 0,
        txPackets: 0,
        cpuSeconds: '0',
      },
    ]);
    for (const sample of step.samples) expect(trafficSample.parse(sample)).toEqual(sample);
  });

  it('rejects a counter file that is not a number', async () => {
    await writeDevice('vnet0', { ...counters(1), rx_bytes: 'garbage' as unknown as number });
    await expect(readCounters(mapping, { sysRoot: join(root, 'sys'), cgroupRoot: root }, T)).rejects.toThrow(
      /not a counter/,
    );
  });
});

describe('samplesBetween', () => {
  const reading = (at: number, rx: bigint, cpu?: bigint): CounterReading => ({
    at,
    devices: new Map([['vnet2', { rxBytes: rx, txBytes: 0n, rxPackets: 0n, txPackets: 0n }]]),
    cpuMicros: cpu === undefined ? new Map() : new Map([['i-b', cpu]]),
  });

  it('spreads a delta over missed windows exactly, remainder last', () => {
    const { samples } = samplesBetween(reading(T, 0n), reading(T + 90_000, 100n), mapping);
    expect(samples.map((s) => [s.windowStart - T, s.rxBytes])).toEqual([
      [0, 33],
      [30_000, 33],
      [60_000, 34],
    ]);
  });

  it('reports a reset and counts the new reading', () => {
    const { samples, anomalies } = samplesBetween(reading(T, 10n ** 12n), reading(T + 30_000, 500n), mapping);
    expect(samples[0]?.rxBytes).toBe(500);
    expect(anomalies).toEqual([{ instanceId: 'i-b', device: 'vnet2', counter: 'rxBytes', kind: 'reset' }]);
  });

  it('survives a 32-bit wrap when told the counters are 32-bit', () => {
    const options = {
      width: 32 as const,
      maxBytesPerSecond: 12_500_000_000n,
      maxPacketsPerSecond: 1n << 40n,
      maxCpuMicrosPerSecond: 1n << 40n,
    };
    const { samples } = samplesBetween(reading(T, 2n ** 32n - 100n), reading(T + 30_000, 50n), mapping, options);
    expect(samples[0]?.rxBytes).toBe(150);
  });

  it('counts a device created again (new ifindex) from zero, even when its new counter is higher', () => {
    const at = (t: number, rx: bigint, ifindex: number): CounterReading => ({
      at: t,
      devices: new Map([['vnet2', { rxBytes: rx, txBytes: 0n, rxPackets: 0n, txPackets: 0n, ifindex }]]),
      cpuMicros: new Map(),
    });
    const { samples, anomalies } = samplesBetween(at(T, 100n, 7), at(T + 30_000, 500n, 9), mapping);
    expect(samples[0]?.rxBytes).toBe(500);
    expect(anomalies).toEqual([{ instanceId: 'i-b', device: 'vnet2', counter: 'device', kind: 'created' }]);
  });

  it('counts CPU of a cgroup created again (new inode) from zero', () => {
    const cpu = (t: number, micros: bigint, inode: bigint): CounterReading => ({
      ...reading(t, 0n, micros),
      cgroupIds: new Map([['i-b', inode]]),
    });
    const { samples } = samplesBetween(cpu(T, 1_000_000n, 5n), cpu(T + 30_000, 2_500_000n, 6n), mapping);
    expect(samples[0]?.cpuSeconds).toBe('2.5');
    const same = samplesBetween(cpu(T, 1_000_000n, 5n), cpu(T + 30_000, 2_500_000n, 5n), mapping);
    expect(same.samples[0]?.cpuSeconds).toBe('1.5');
  });

  it('uses a shorter window when told to (tests), aligned to it', () => {
    const { samples } = samplesBetween(reading(T + 1_500, 0n), reading(T + 6_100, 90n), mapping, {
      ...DEFAULT_WINDOW_OPTIONS,
      windowMs: 2_000,
    });
    expect(samples.map((s) => [s.windowStart - T, s.rxBytes])).toEqual([
      [0, 30],
      [2_000, 30],
      [4_000, 30],
    ]);
  });

  it('ignores a second reading in the same window, keeping the baseline', () => {
    const base = reading(T + 10, 0n);
    const step = advanceCounters(base, reading(T + 20_000, 10n), mapping);
    expect(step.last).toBe(base);
    expect(step.samples).toEqual([]);
  });
});
