import type { Pool } from '@tally/db';
import {
  poison,
  sendDeadLetters,
  transactionalConsumerSpec,
  type ConsumedRecord,
  type ConsumerDeps,
  type ConsumerSpec,
  type ValueCodec,
} from '@tally/kafka';
import type { Logger } from '@tally/log';
import type { TrafficSample } from '@tally/records';
import { comp, divert, map } from '@tally/stream';
import { deadLettersOf, type SampleSource } from './dead-letters.ts';
import { meterPartition, type MeterPartitionOptions } from './meter-partition.ts';
import { classifySample, type SampleVerdict } from './validate-sample.ts';

/**
 * A sample on its way to the commit (held across coalesced fetches): the decoded value, how it was classified when
 * read, and where it was read, for a dead letter found while merging. Not the Kafka message's bytes: those are
 * slices of a whole fetch response, so holding one kept the response alive until the commit.
 */
export interface SampleRecord extends SampleSource {
  readonly sample: TrafficSample;
  /** Valid or late (invalid ones are dead-lettered by the pipeline); a shared object for valid ones. */
  readonly verdict: SampleVerdict;
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

/** A sample that can never be counted, dead-lettered with its original bytes while its fetch is current. */
interface InvalidRead {
  readonly record: ConsumedRecord<TrafficSample>;
  readonly reason: string;
}

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
    pipeline: ({ deadLetters }) => {
      // One clock reading per fetch: every sample of it is classified at the same instant, and the verdict travels
      // with it to the commit (see MeterBatchInput.verdicts).
      const readAt = clock();
      return comp(
        map((record: ConsumedRecord<TrafficSample>): SampleRecord | InvalidRead => {
          const verdict = classifySample(record.value, readAt, options.meter.validation);
          if (verdict.kind === 'invalid') return { record, reason: verdict.reason };
          const key = record.key === record.value.instanceId ? undefined : record.key;
          return { sample: record.value, verdict, offset: record.offset, key };
        }),
        // The original bytes are at hand here: the record is still the current fetch's.
        divert((item): item is InvalidRead => 'record' in item, {
          emit: ({ record, reason }) =>
            deadLetters.emit({ record: record.raw, error: poison('InvalidSample', reason) }),
        }),
      );
    },
    apply: (client, results, offsets) => {
      const now = clock();
      const ref = { groupId, topic: offsets.topic, partition: offsets.partition };
      return meterPartition(
        client,
        ref,
        results.map((result) => result.sample),
        now,
        {
          ...options.meter,
          deadLetter: async (rejected) => {
            if (rejected.length === 0) return;
            const sources = new Map<TrafficSample, SampleSource>(results.map((result) => [result.sample, result]));
            await sendDeadLetters(
              options.producer,
              await deadLettersOf(rejected, sources, ref, (sample) => options.codec.encode(sample)),
              options.service,
              new Date(now),
            );
          },
        },
        results.map((result) => result.verdict),
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
