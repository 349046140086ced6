import { poison, type DeadLetter, type RawRecord } from '@tally/kafka';
import type { TrafficSample } from '@tally/records';
import type { RejectedSample } from './meter-batch.ts';

/**
 * Dead letters for samples the core rejected. A sample still in this batch keeps its original bytes; one that
 * waited in the pending table has no bytes left, so its JSON stands in (offset -1 marks it as reconstructed).
 */
export function deadLettersOf(
  rejected: readonly RejectedSample[],
  rawBySample: ReadonlyMap<TrafficSample, RawRecord>,
  source: { topic: string; partition: number },
): DeadLetter[] {
  return rejected.map(({ sample, reason }) => ({
    record: rawBySample.get(sample) ?? {
      topic: source.topic,
      partition: source.partition,
      offset: '-1',
      key: Buffer.from(sample.instanceId),
      value: Buffer.from(JSON.stringify(sample)),
    },
    error: poison('InvalidSample', reason),
  }));
}
