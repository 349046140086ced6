import { sampleIdentity, usageKey, type TrafficSample } from '@tally/records';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hourStartOf } from './hour-slots.ts';
import { toUsageHourly, type InstanceHour } from './instance-hour.ts';
import { InventoryTable } from './inventory-table.ts';
import { meterBatch } from './meter-batch.ts';
import { HOUR, instanceRecord } from './sample-fixtures.ts';

/**
 * The key property of metering (invariant 1): whatever the duplicates, their order and the batch boundaries,
 * the totals per instance-hour equal plain sums over the distinct samples. A duplicate is assumed to carry the
 * counters of the first copy (agents resend the same bytes); here duplicates may even differ, and the oracle
 * keeps the FIRST occurrence, which is what metering does because it preserves per-instance order.
 */

const INSTANCES = ['i-a', 'i-b', 'i-late'] as const;
const INTERFACES = ['eth0', 'eth1'] as const;
const WINDOWS = 3 * 120; // three hours

const counters = fc.record({
  rxBytes: fc.nat(1_000_000_000),
  txBytes: fc.nat(1_000_000_000),
  rxPackets: fc.nat(1_000_000),
  txPackets: fc.nat(1_000_000),
  cpuSeconds: fc
    .tuple(fc.nat(60), fc.nat(999_999), fc.integer({ min: 0, max: 6 }))
    .map(([s, f, d]) => (d === 0 ? `${s}` : `${s}.${String(f).padStart(6, '0').slice(0, d)}`)),
});

const sample: fc.Arbitrary<TrafficSample> = fc
  .record({
    instanceId: fc.constantFrom(...INSTANCES),
    interfaceId: fc.constantFrom(...INTERFACES),
    window: fc.nat(WINDOWS - 1),
    counters,
  })
  .map(({ instanceId, interfaceId, window, counters }) => ({
    hypervisorId: 'hv-1',
    instanceId,
    interfaceId,
    windowStart: HOUR + window * 30_000,
    ...counters,
  }));

/** Distinct samples, then duplicates (copies, some with other counters), shuffled, cut into batches. */
const scenario = fc.uniqueArray(sample, { selector: sampleIdentity, maxLength: 150 }).chain((distinct) =>
  fc.record({
    stream: fc
      .array(fc.tuple(fc.nat(Math.max(distinct.length - 1, 0)), fc.option(counters, { freq: 3 })), {
        maxLength: distinct.length === 0 ? 0 : 100,
      })
      .map((dups) => [...distinct, ...dups.map(([index, other]) => ({ ...distinct[index]!, ...(other ?? {}) }))])
      .chain((all) => fc.shuffledSubarray(all, { minLength: all.length })),
    cuts: fc.array(fc.nat(300), { maxLength: 8 }),
    lateInventoryBatch: fc.nat(9),
  }),
);

function batchesOf<T>(items: readonly T[], cuts: readonly number[]): T[][] {
  const points = [...new Set(cuts.map((cut) => cut % (items.length + 1)))].sort((a, b) => a - b);
  const batches: T[][] = [];
  let start = 0;
  for (const point of [...points, items.length]) {
    batches.push(items.slice(start, point));
    start = point;
  }
  return batches;
}

interface OracleHour {
  slots: Set<number>;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  cpuMicros: bigint;
  samples: number;
}

function cpuMicros(value: string): bigint {
  const [whole = '0', fraction = ''] = value.split('.');
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
}

function formatMicros(micros: bigint): string {
  const text = micros.toString().padStart(7, '0');
  const fraction = text.slice(-6).replace(/0+$/, '');
  return fraction === '' ? text.slice(0, -6) : `${text.slice(0, -6)}.${fraction}`;
}

function oracle(stream: readonly TrafficSample[]): Map<string, OracleHour> {
  const seen = new Set<string>();
  const hours = new Map<string, OracleHour>();
  for (const s of stream) {
    if (seen.has(sampleIdentity(s))) continue;
    seen.add(sampleIdentity(s));
    const hourStart = s.windowStart - (s.windowStart % 3_600_000);
    const key = usageKey(s.instanceId, hourStart);
    const hour = hours.get(key) ?? {
      slots: new Set(),
      rxBytes: 0,
      txBytes: 0,
      rxPackets: 0,
      txPackets: 0,
      cpuMicros: 0n,
      samples: 0,
    };
    hour.slots.add((s.windowStart - hourStart) / 30_000);
    hour.rxBytes += s.rxBytes;
    hour.txBytes += s.txBytes;
    hour.rxPackets += s.rxPackets;
    hour.txPackets += s.txPackets;
    hour.cpuMicros += cpuMicros(s.cpuSeconds);
    hour.samples += 1;
    hours.set(key, hour);
  }
  return hours;
}

describe('meterBatch (property)', () => {
  it('equals the oracle over distinct samples for any duplicates, order and batching', () => {
    fc.assert(
      fc.property(scenario, ({ stream, cuts, lateInventoryBatch }) => {
        // i-late is unknown until some batch, so its samples go through the pending buffer first.
        const inventory = new InventoryTable({ maxPending: 10_000, maxWaitMs: 86_400_000 });
        inventory.upsert(instanceRecord({ instanceId: 'i-a' }));
        inventory.upsert(instanceRecord({ instanceId: 'i-b', accountId: 'acc-2' }));
        const states = new Map<string, InstanceHour>();
        const batches = [...batchesOf(stream, cuts), []];
        const now = HOUR + 4 * 3_600_000;
        const config = { maxFutureSkewMs: 60_000, retentionMs: 7 * 86_400_000 };
        batches.forEach((samples, index) => {
          if (index === Math.min(lateInventoryBatch, batches.length - 1)) {
            inventory.upsert(instanceRecord({ instanceId: 'i-late', accountId: 'acc-3' }));
          }
          const result = meterBatch({ states, samples, inventory, now, config });
          expect(result.deadLetters).toEqual([]);
          expect(result.late).toEqual([]);
          for (const [key, state] of result.changed) {
            expect(state.version).toBeGreaterThan(states.get(key)?.version ?? 0);
            states.set(key, state);
          }
        });

        const expected = oracle(stream);
        expect(inventory.pending.size).toBe(0);
        expect([...states.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [key, hour] of expected) {
          const record = toUsageHourly(states.get(key)!);
          expect(hourStartOf(record.hourStart)).toBe(record.hourStart);
          expect(record).toMatchObject({
            runningSeconds: hour.slots.size * 30,
            rxBytes: hour.rxBytes,
            txBytes: hour.txBytes,
            rxPackets: hour.rxPackets,
            txPackets: hour.txPackets,
            cpuSeconds: formatMicros(hour.cpuMicros),
            // One version step per distinct sample: duplicates never bump it.
            version: hour.samples,
          });
        }
      }),
      { numRuns: 300 },
    );
  });
});
