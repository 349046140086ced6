import { account, instance, SAMPLE_WINDOW_MS, trafficSample, type TrafficSample } from '@tally/records';
import { describe, expect, it } from 'vitest';
import { createFleet, INSTANCE_TYPES, isRunning } from './fleet.ts';
import { generateSamples } from './generate-samples.ts';

const from = Date.UTC(2025, 0, 1);
const period = { from, to: from + 86_400_000 };
const fleet = createFleet({ seed: 42, hypervisors: 4, instancesPerHypervisor: 10, period });

function take<T>(items: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (out.length === n) break;
    out.push(item);
  }
  return out;
}

describe('simulated fleet', () => {
  it('is deterministic from its seed', () => {
    const again = createFleet({ seed: 42, hypervisors: 4, instancesPerHypervisor: 10, period });
    expect(again).toEqual(fleet);
    const other = createFleet({ seed: 43, hypervisors: 4, instancesPerHypervisor: 10, period });
    expect(other.instances.map((i) => i.baseBytesPerSecond)).not.toEqual(
      fleet.instances.map((i) => i.baseBytesPerSecond),
    );
  });

  it('has valid accounts: trial and paying, USD and EUR, several time zones', () => {
    for (const a of fleet.accounts) expect(account.parse(a)).toEqual(a);
    expect(fleet.accounts.some((a) => a.plan === 'trial' && a.freeCredit === '25.00')).toBe(true);
    expect(fleet.accounts.some((a) => a.plan === 'paying')).toBe(true);
    expect(new Set(fleet.accounts.map((a) => a.currency))).toEqual(new Set(['USD', 'EUR']));
    expect(new Set(fleet.accounts.map((a) => a.timeZone)).size).toBeGreaterThanOrEqual(3);
  });

  it('has valid inventory, one or two interfaces each, and a miner on a trial account', () => {
    const types = new Set(INSTANCE_TYPES.map((t) => t.name));
    for (const sim of fleet.instances) {
      expect(instance.parse(sim.record)).toEqual(sim.record);
      expect(types.has(sim.record.instanceType)).toBe(true);
      expect(sim.interfaces.length === 1 || sim.interfaces.length === 2).toBe(true);
    }
    expect(fleet.instances.some((i) => i.interfaces.length === 2)).toBe(true);
    const miners = fleet.instances.filter((i) => i.profile === 'miner');
    expect(miners).toHaveLength(1);
    const minerAccount = fleet.accounts.find((a) => a.accountId === miners[0]?.record.accountId);
    expect(minerAccount?.plan).toBe('trial');
  });

  it('starts and stops some instances within the period', () => {
    const partial = fleet.instances.filter((i) => !isRunning(i, period.from) || !isRunning(i, period.to - 30_000));
    expect(partial.length).toBeGreaterThan(0);
  });
});

describe('generateSamples', () => {
  const hour = { from: from + 12 * 3_600_000, to: from + 13 * 3_600_000 };

  it('emits valid, aligned, distinct samples in event-time order', () => {
    const samples = [...generateSamples(fleet, hour)];
    const ids = new Set(samples.map((s) => `${s.instanceId}|${s.interfaceId}|${s.windowStart}`));
    expect(ids.size).toBe(samples.length);
    let last = 0;
    for (const s of samples) {
      expect(trafficSample.parse(s)).toEqual(s);
      expect(s.windowStart % SAMPLE_WINDOW_MS).toBe(0);
      expect(s.windowStart).toBeGreaterThanOrEqual(last);
      last = s.windowStart;
    }
  });

  it('gives the same samples whether a period is generated whole or in parts', () => {
    const whole = [...generateSamples(fleet, hour)];
    const mid = hour.from + 25 * 60_000 + 15_000; // not aligned on purpose
    const parts = [
      ...generateSamples(fleet, { from: hour.from, to: mid }),
      ...generateSamples(fleet, { from: mid, to: hour.to }),
    ];
    expect(parts).toEqual(whole);
  });

  it('runs the miner flat out and reports CPU on the primary interface only', () => {
    const miner = fleet.instances.find((i) => i.profile === 'miner')!;
    const samples = [...generateSamples(fleet, hour)].filter((s) => s.instanceId === miner.record.instanceId);
    expect(samples).toHaveLength(120 * miner.interfaces.length);
    for (const s of samples.filter((x) => x.interfaceId === miner.interfaces[0])) {
      expect(Number(s.cpuSeconds)).toBeGreaterThanOrEqual(0.99 * 30 * miner.vcpus);
      expect(Number(s.cpuSeconds)).toBeLessThanOrEqual(30 * miner.vcpus);
    }
    const others: TrafficSample[] = [...generateSamples(fleet, hour)].filter((s) => s.interfaceId !== 'eth0');
    expect(others.every((s) => s.cpuSeconds === '0')).toBe(true);
  });

  it('follows the daily rhythm and has heavy users', () => {
    const big = createFleet({ seed: 7, hypervisors: 10, instancesPerHypervisor: 20, period });
    const bytesIn = (h: number): number => {
      let sum = 0;
      for (const s of generateSamples(big, { from: from + h * 3_600_000, to: from + h * 3_600_000 + 600_000 })) {
        sum += s.rxBytes;
      }
      return sum;
    };
    expect(bytesIn(19)).toBeGreaterThan(2 * bytesIn(3));
    expect(big.instances.filter((i) => i.profile === 'heavy').length).toBeGreaterThan(0);
  });

  it('is lazy: a year-long period yields its first samples at once', () => {
    const year = { from, to: from + 365 * 86_400_000 };
    const started = performance.now();
    expect(take(generateSamples(fleet, year), 100)).toHaveLength(100);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('createFleet at scale', () => {
  it('gives every account a valid creation time, however many accounts there are', () => {
    const fleet = createFleet({
      seed: 3,
      hypervisors: 1,
      instancesPerHypervisor: 4,
      accounts: 30_000,
      period: { from: Date.UTC(2025, 0, 1), to: Date.UTC(2025, 0, 1, 1) },
    });
    expect(fleet.accounts).toHaveLength(30_000);
    expect(fleet.accounts.every((account) => account.createdAt > 0 && account.createdAt < Date.UTC(2025, 0, 1))).toBe(
      true,
    );
  });
});
