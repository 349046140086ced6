import { budgetOf, messageBytes, splitBySize, type TopicMessage, type ValueCodec } from '@tally/kafka';
import type { TrafficSample } from '@tally/records';
import type { Producer } from 'kafkajs';
import type { SendSamples } from '../sample-sender.ts';
import type { HostMetrics } from './host-metrics.ts';

/**
 * Sends samples keyed by instance id, split under the topic's message size, each request acknowledged by all
 * replicas. Connects on first use and after a failure (the broker may be down when the agent starts). Records the
 * clock skew when the broker stamps records (LogAppendTime): broker time minus our clock at the request's midpoint,
 * good to half the round trip.
 *
 * @example
 * const send = kafkaSampleSend(producer, codec, 'traffic.samples.v1', metrics, Date.now);
 */
export function kafkaSampleSend(
  producer: Producer,
  codec: ValueCodec<TrafficSample>,
  topic: string,
  metrics: HostMetrics,
  clock: () => number,
): SendSamples {
  let connected = false;
  return async (samples) => {
    try {
      if (!connected) {
        await producer.connect();
        connected = true;
      }
      const messages: TopicMessage[] = await Promise.all(
        samples.map(async (sample) => ({
          topic,
          message: { key: sample.instanceId, value: await codec.encode(sample) },
        })),
      );
      const chunks = splitBySize(messages, (item) => messageBytes(item.message), budgetOf(messages));
      for (const chunk of chunks) {
        const before = clock();
        const results = await producer.send({ topic, acks: -1, messages: chunk.map((item) => item.message) });
        const after = clock();
        const stamped = results.map((result) => Number(result.logAppendTime ?? -1)).find((time) => time > 0);
        if (stamped !== undefined) metrics.clockSkew.set((stamped - (before + after) / 2) / 1000);
      }
      metrics.sent.inc(samples.length);
      metrics.lastSend.set(clock() / 1000);
    } catch (error) {
      metrics.sendFailures.inc();
      connected = false;
      throw error;
    }
  };
}
