import { commitDue, holdBatch, startHold, type CommitBounds, type HeldResults } from '@tally/kafka';
import { usageKey, type TrafficSample, type UsageHourly } from '@tally/records';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUsageHourly, toUsageHourly, type InstanceHour } from './instance-hour.ts';
import { InventoryTable } from './inventory-table.ts';
import { meterBatch } from './meter-batch.ts';
import { HOUR, instanceRecord } from './sample-fixtures.ts';

/**
 * Coalescing must not change what is counted: however the partition's records are cut into fetches (the fetch
 * size) and however consecutive fetches are grouped into one commit (the commit interval), the stored usage is
 * the same as metering the whole stream in one commit, each commit writes and publishes an instance-hour at
 * most once, and the values published per instance-hour carry rising versions ending at the stored one.
 * States go through `toUsageHourly` / `fromUsageHourly` between commits, as they do through PostgreSQL.
 *
 * The second property groups fetches as the consumer runtime does when it coalesces (ConsumerSpec.commitIntervalMs:
 * `startHold`, `holdBatch`, `commitDue`, and its timer for a partition that goes quiet), for any bounds and fetch
 * arrival times. `traffic-consumer.int.test.ts` runs metering through the runtime itself in that mode (Kafka,
 * PostgreSQL, two members) and checks usage against the distinct samples.
 */

const sample: fc.Arbitrary<TrafficSample> = fc
  .record({
    instanceId: fc.constantFrom('i-a', 'i-b', 'i-c'),
    interfaceId: fc.constantFrom('eth0', 'eth1'),
    window: fc.nat(2 * 120 - 1),
    rxBytes: fc.nat(1_000_000),
    cpu: fc.nat(99_999),
  })
  .map(({ instanceId, interfaceId, window, rxBytes, cpu }) => ({
    hypervisorId: 'hv-1',
    instanceId,
    interfaceId,
    windowStart: HOUR + window * 30_000,
    rxBytes,
    txBytes: rxBytes * 2,
    rxPackets: rxBytes % 1_000,
    txPackets: 7,
    cpuSeconds: `${Math.floor(cpu / 1000)}.${String(cpu % 1000).padStart(3, '0')}`,
  }));

/** Cuts `items` at the given points (taken modulo its length + 1): any split, empty parts included. */
function split<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((cut) => cut % (items.length + 1)))].sort((a, b) => a - b);
  const parts: T[][] = [];
  let start = 0;
  for (const point of [...points, items.length]) {
    parts.push(items.slice(start, point));
    start = point;
  }
  return parts;
}

const NOW = HOUR + 3 * 3_600_000;
const CONFIG = { maxFutureSkewMs: 60_000, retentionMs: 7 * 86_400_000 };

/** Meters `commits` one after the other as the runtime does; returns the stored rows and what was published. */
function run(commits: readonly TrafficSample[][]) {
  const inventory = new InventoryTable({ maxPending: 1_000, maxWaitMs: 86_400_000 });
  for (const instanceId of ['i-a', 'i-b', 'i-c']) inventory.upsert(instanceRecord({ instanceId }));
  const stored = new Map<string, UsageHourly>();
  const published: { commit: number; key: string; value: UsageHourly }[] = [];
  commits.forEach((samples, commit) => {
    const states = new Map<string, InstanceHour>();
    for (const [key, row] of stored) states.set(key, fromUsageHourly(row));
    const result = meterBatch({ states, samples, inventory, now: NOW, config: CONFIG });
    for (const [key, state] of result.changed) {
      const value = toUsageHourly(state);
      stored.set(key, value);
      published.push({ commit, key, value });
    }
  });
  return { stored, published };
}

describe('commit interval and batch split (property)', () => {
  it('give the same usage as one commit, one write per instance-hour per commit, rising versions', () => {
    fc.assert(
      fc.property(
        fc.array(sample, { maxLength: 200 }),
        fc.array(fc.nat(400), { maxLength: 12 }),
        fc.array(fc.nat(20), { maxLength: 6 }),
        (stream, fetchCuts, commitCuts) => {
          const fetches = split(stream, fetchCuts);
          const commits = split(fetches, commitCuts).map((group) => group.flat());
          const { stored, published } = run(commits);
          expect(stored).toEqual(run([stream]).stored);

          const perCommit = new Set<string>();
          const last = new Map<string, UsageHourly>();
          for (const { commit, key, value } of published) {
            expect(perCommit.has(`${commit}/${key}`)).toBe(false);
            perCommit.add(`${commit}/${key}`);
            expect(value.version).toBeGreaterThan(last.get(key)?.version ?? 0);
            last.set(key, value);
          }
          expect(last).toEqual(stored);
          for (const [key, value] of stored) expect(key).toBe(usageKey(value.instanceId, value.hourStart));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('grouped as the runtime coalesces fetches (interval, record bound, quiet timer), give the same usage', () => {
    fc.assert(
      fc.property(
        fc.array(sample, { maxLength: 200 }),
        fc.array(fc.nat(400), { maxLength: 12 }),
        fc.array(fc.nat(3_000), { maxLength: 14 }),
        fc.record({ intervalMs: fc.integer({ min: 1, max: 2_000 }), maxRecords: fc.integer({ min: 1, max: 250 }) }),
        (stream, fetchCuts, gapsMs, bounds: CommitBounds) => {
          const fetches = split(stream, fetchCuts).filter((fetch) => fetch.length > 0);
          const commits: TrafficSample[][] = [];
          let hold: HeldResults<TrafficSample> | undefined;
          const commitIfDue = (now: number) => {
            if (hold === undefined || !commitDue(hold, now, bounds)) return;
            commits.push(hold.results);
            hold = undefined;
          };
          let now = 0;
          let offset = 0;
          fetches.forEach((fetch, i) => {
            now += gapsMs[i % Math.max(1, gapsMs.length)] ?? 0;
            // The timer commits a hold that became due while its partition was quiet.
            commitIfDue(now);
            hold ??= startHold<TrafficSample>(String(offset), String(offset), now);
            offset += fetch.length;
            holdBatch(hold, {
              results: fetch,
              records: fetch.length,
              decoded: fetch.length,
              to: String(offset),
              highWatermark: String(offset),
            });
            commitIfDue(now);
          });
          if (hold !== undefined) commits.push(hold.results);
          expect(commits.flat()).toEqual(stream);
          expect(run(commits).stored).toEqual(run([stream]).stored);
        },
      ),
      { numRuns: 300 },
    );
  });
});
