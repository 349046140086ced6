import { poison, type DeadLetter, type RawRecord } from '@tally/kafka';
import type { TrafficSample } from '@tally/records';
import type { RejectedSample } from './meter-batch.ts';

/**
 * Dead letters for samples the core rejected. A sample still in this batch keeps its original bytes; one that
 * waited in the pending table has no bytes left, so it is encoded again with the topic's own codec (Avro in the
 * registry wire format), so that `tally dlq show` decodes it and a redrive feeds it back like any sample. Offset -1
 * marks it as reconstructed.
 */
export async function deadLettersOf(
  rejected: readonly RejectedSample[],
  rawBySample: ReadonlyMap<TrafficSample, RawRecord>,
  source: { topic: string; partition: number },
  encode: (sample: TrafficSample) => Promise<Buffer>,
): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  for (const { sample, reason } of rejected) {
    letters.push({
      record: rawBySample.get(sample) ?? {
        topic: source.topic,
        partition: source.partition,
        offset: '-1',
        key: Buffer.from(sample.instanceId),
        value: await encode(sample),
      },
      error: poison('InvalidSample', reason),
    });
  }
  return letters;
}
