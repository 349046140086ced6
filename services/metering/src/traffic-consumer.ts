import type { Pool } from '@tally/db';
import {
  poison,
  sendDeadLetters,
  transactionalConsumerSpec,
  type ConsumedRecord,
  type ConsumerDeps,
  type ConsumerSpec,
  type RawRecord,
  type ValueCodec,
} from '@tally/kafka';
import type { Logger } from '@tally/log';
import type { TrafficSample } from '@tally/records';
import { comp, divert, map } from '@tally/stream';
import { deadLettersOf } from './dead-letters.ts';
import { meterPartition, type MeterPartitionOptions } from './meter-partition.ts';
import { classifySample, type SampleVerdict } from './validate-sample.ts';

/** A decoded sample on its way to the commit, with its original bytes for a dead letter. */
export interface SampleRecord {
  readonly sample: TrafficSample;
  readonly raw: RawRecord;
}

export interface TrafficConsumerOptions {
  readonly service: string;
  readonly groupId: string;
  readonly topic: string;
  readonly codec: ValueCodec<TrafficSample>;
  readonly pool: Pool;
  /** For dead letters found while merging (counter overflow), sent before the commit. */
  readonly producer: ConsumerDeps['producer'];
  readonly clock: () => number;
  readonly meter: Omit<MeterPartitionOptions, 'deadLetter'>;
  readonly maxBytesPerPartition: number;
  /** Partitions metered at once, each in its own transaction (default 1). */
  readonly partitionsConcurrently?: number;
  /** Coalescing across fetches: see ConsumerSpec.commitIntervalMs (0 or absent: one commit per fetch). */
  readonly commitIntervalMs?: number;
  readonly commitMaxRecords?: number;
  readonly sessionTimeoutMs: number;
  readonly log: Logger;
}

type Classified = { record: ConsumedRecord<TrafficSample>; verdict: SampleVerdict };

/**
 * traffic.samples → usage_hourly + outbox. The pipeline sends invalid samples to the dead-letter topic (the
 * verdict needs only the clock, so it is known before any I/O); the commit meters the rest of the batch and
 * stores results, waiting samples and the next offset in one transaction.
 */
export function trafficConsumerSpec(options: TrafficConsumerOptions): ConsumerSpec<TrafficSample, SampleRecord> {
  const { pool, groupId, clock } = options;
  const spec = transactionalConsumerSpec({
    service: options.service,
    groupId,
    topic: options.topic,
    codec: options.codec,
    pool,
    maxBytesPerPartition: options.maxBytesPerPartition,
    sessionTimeoutMs: options.sessionTimeoutMs,
    // meterPartition meters concatenated fetches as it meters them one by one (commit-interval.property.test.ts).
    ...(options.commitIntervalMs === undefined ? {} : { commitIntervalMs: options.commitIntervalMs }),
    ...(options.commitMaxRecords === undefined ? {} : { commitMaxRecords: options.commitMaxRecords }),
    pipeline: ({ deadLetters }) =>
      comp(
        map((record: ConsumedRecord<TrafficSample>): Classified => ({
          record,
          verdict: classifySample(record.value, clock(), options.meter.validation),
        })),
        divert((item: Classified) => item.verdict.kind === 'invalid', {
          emit: ({ record, verdict }) =>
            deadLetters.emit({
              record: record.raw,
              error: poison('InvalidSample', verdict.kind === 'invalid' ? verdict.reason : 'invalid'),
            }),
        }),
        map(({ record }: Classified): SampleRecord => ({ sample: record.value, raw: record.raw })),
      ),
    apply: (client, results, offsets) => {
      const now = clock();
      const rawBySample = new Map(results.map((result) => [result.sample, result.raw]));
      const ref = { groupId, topic: offsets.topic, partition: offsets.partition };
      return meterPartition(
        client,
        ref,
        results.map((result) => result.sample),
        now,
        {
          ...options.meter,
          deadLetter: async (rejected) =>
            sendDeadLetters(
              options.producer,
              await deadLettersOf(rejected, rawBySample, ref, (sample) => options.codec.encode(sample)),
              options.service,
              new Date(now),
            ),
        },
      );
    },
    committed: (outcome, offsets) => {
      if (outcome.late.length > 0 || outcome.deadLetters.length > 0) {
        options.log.warn(
          { partition: offsets.partition, late: outcome.late.length, deadLetters: outcome.deadLetters.length },
          'samples left the counting path',
        );
      }
    },
  });
  // Two partitions' transactions at once keep PostgreSQL busy while this process decodes and merges the next batch;
  // they may share instance-hours (row locks in key order, compare-and-set: see usage-store.ts).
  return { ...spec, partitionsConsumedConcurrently: options.partitionsConcurrently ?? 1 };
}
