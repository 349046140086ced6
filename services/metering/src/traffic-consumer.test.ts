import type { Pool } from '@tally/db';
import type { ConsumedRecord, ConsumerDeps, DeadLetter, ValueCodec } from '@tally/kafka';
import type { Logger } from '@tally/log';
import { HOUR_MS, SAMPLE_WINDOW_MS, type TrafficSample } from '@tally/records';
import { into, sideOutput } from '@tally/stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InventoryTable } from './inventory-table.ts';
import { meterBatch } from './meter-batch.ts';
import { HOUR, instanceRecord, sampleAt } from './sample-fixtures.ts';
import { trafficConsumerSpec } from './traffic-consumer.ts';
import { classifySample, type ValidationConfig } from './validate-sample.ts';

/**
 * The clock finding (issue 15): the pipeline classified a sample when it was read, the commit classified it again
 * at commit time, which with coalescing is a second or more later. A sample read shortly before its instance-hour
 * closed was then late or counted depending on the commit delay and on how fetches were grouped. Now a fetch is
 * classified at one clock reading and the commit keeps that verdict.
 */

const config: ValidationConfig = { maxFutureSkewMs: 60_000, retentionMs: 86_400_000 };
/** When HOUR's instance-hour stops accepting samples. */
const CLOSES_AT = HOUR + HOUR_MS + config.retentionMs;

function consumed(sample: TrafficSample, offset: number): ConsumedRecord<TrafficSample> {
  return {
    topic: 'traffic.samples.v1',
    partition: 0,
    offset: String(offset),
    key: sample.instanceId,
    timestamp: '0',
    value: sample,
    raw: {
      topic: 'traffic.samples.v1',
      partition: 0,
      offset: String(offset),
      key: Buffer.from(sample.instanceId),
      value: Buffer.from(`bytes of ${offset}`),
    },
  };
}

function specWith(clock: () => number) {
  return trafficConsumerSpec({
    service: 'metering',
    groupId: 'g',
    topic: 'traffic.samples.v1',
    codec: {} as ValueCodec<TrafficSample>,
    pool: {} as Pool,
    producer: {} as ConsumerDeps['producer'],
    clock,
    meter: { validation: config, limits: { maxPending: 10, maxWaitMs: 60_000 }, usageTopic: 'u', lateTopic: 'l' },
    maxBytesPerPartition: 1_048_576,
    sessionTimeoutMs: 10_000,
    log: {} as Logger,
  });
}

function knownInventory(): InventoryTable {
  const inventory = new InventoryTable({ maxPending: 10, maxWaitMs: 600_000 });
  inventory.upsert(instanceRecord());
  return inventory;
}

describe('traffic consumer pipeline', () => {
  it('classifies a whole fetch at one clock reading, and the commit counts what was read in time', () => {
    // A clock that moves 1 s per reading: read per record, the second sample would already be late.
    let t = CLOSES_AT - 500;
    const spec = specWith(() => (t += 1_000) - 1_000);
    const deadLetters = sideOutput<DeadLetter>();
    const early = sampleAt({ windowStart: HOUR + 10 * SAMPLE_WINDOW_MS });
    const last = sampleAt({ windowStart: HOUR + 11 * SAMPLE_WINDOW_MS });
    const future = sampleAt({ windowStart: CLOSES_AT + 3_600_000 });
    const held = into([], spec.pipeline({ deadLetters }), [consumed(early, 7), consumed(future, 8), consumed(last, 9)]);

    expect(held.map((r) => [r.offset, r.verdict.kind])).toEqual([
      ['7', 'valid'],
      ['9', 'valid'],
    ]);
    // Not the Kafka bytes: only the offset (the key is the instance id, so it is not kept either).
    expect(held[0]).toEqual({ sample: early, verdict: { kind: 'valid' }, offset: '7', key: undefined });
    // An invalid sample goes out with its original bytes while its fetch is current.
    expect(deadLetters.items.map((letter) => letter.record.value?.toString())).toEqual(['bytes of 8']);

    // The commit comes 1.5 s after the close: classified again then, both would be late.
    const commitAt = CLOSES_AT + 1_500;
    const again = meterBatch({
      states: new Map(),
      samples: held.map((r) => r.sample),
      inventory: knownInventory(),
      now: commitAt,
      config,
    });
    expect(again.late).toHaveLength(2);
    const kept = meterBatch({
      states: new Map(),
      samples: held.map((r) => r.sample),
      verdicts: held.map((r) => r.verdict),
      inventory: knownInventory(),
      now: commitAt,
      config,
    });
    expect(kept.late).toEqual([]);
    expect([...kept.changed.values()].map((state) => state.version)).toEqual([2]);
  });

  it('meters with read verdicts at any later commit time as it would at read time (property)', () => {
    const samples = fc.array(
      fc
        .record({ slot: fc.nat(3 * 120 - 1), interfaceId: fc.constantFrom('eth0', 'eth1') })
        .map(({ slot, interfaceId }) =>
          sampleAt({ interfaceId, windowStart: HOUR - HOUR_MS + slot * SAMPLE_WINDOW_MS }),
        ),
      { maxLength: 40 },
    );
    // Read times around the close of the first and the second hour; commit up to a minute later.
    const readAt = fc.integer({ min: CLOSES_AT - HOUR_MS - 120_000, max: CLOSES_AT + 120_000 });
    fc.assert(
      fc.property(samples, readAt, fc.nat(60_000), (batch, read, delay) => {
        const atRead = meterBatch({
          states: new Map(),
          samples: batch,
          inventory: knownInventory(),
          now: read,
          config,
        });
        const atCommit = meterBatch({
          states: new Map(),
          samples: batch,
          verdicts: batch.map((sample) => classifySample(sample, read, config)),
          inventory: knownInventory(),
          now: read + delay,
          config,
        });
        expect(atCommit.changed).toEqual(atRead.changed);
        expect(atCommit.late).toEqual(atRead.late);
        expect(atCommit.deadLetters).toEqual(atRead.deadLetters);
      }),
      { numRuns: 300 },
    );
  });
});
