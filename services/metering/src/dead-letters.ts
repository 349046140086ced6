import { poison, type DeadLetter } from '@tally/kafka';
import type { TrafficSample } from '@tally/records';
import type { RejectedSample } from './meter-batch.ts';

/** Where a sample of the current batch was read: its offset, and its key when that is not its instance id. */
export interface SampleSource {
  readonly offset: string;
  readonly key: string | null | undefined;
}

/**
 * Dead letters for samples the core rejected. Metering does not hold a sample's original bytes (a Kafka
 * message's buffers are slices of a whole fetch response, and holding them kept those alive across coalesced
 * fetches), so the value is the sample encoded again with the topic's own codec (Avro in the registry wire
 * format): `tally dlq show` decodes it and a redrive feeds it back like any sample. A sample of this batch keeps
 * its source offset (the original is still in the topic); one that waited in the pending table gets offset -1.
 */
export async function deadLettersOf(
  rejected: readonly RejectedSample[],
  sources: ReadonlyMap<TrafficSample, SampleSource>,
  source: { topic: string; partition: number },
  encode: (sample: TrafficSample) => Promise<Buffer>,
): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  for (const { sample, reason } of rejected) {
    const read = sources.get(sample);
    const key = read?.key === undefined ? sample.instanceId : read.key;
    letters.push({
      record: {
        topic: source.topic,
        partition: source.partition,
        offset: read?.offset ?? '-1',
        key: key === null ? null : Buffer.from(key),
        value: await encode(sample),
      },
      error: poison('InvalidSample', reason),
    });
  }
  return letters;
}
