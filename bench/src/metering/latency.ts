// The latency half of `pnpm bench metering`: with metering running and caught up, samples are produced at a
// fixed rate for the fleet's instances (into hours after the throughput run's period), and each sample's latency
// is the time from its send to the first usage.hourly value published for its instance-hour that counts its slot
// (that message's timestamp, set by metering's producer on this host's clock).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { typedTopic, valueCodec, type SchemaRegistry, type TopicSpec } from '@tally/kafka';
import { SAMPLE_WINDOW_MS, trafficSample, usageHourly, usageKey, type TrafficSample } from '@tally/records';

const HOUR_MS = 3_600_000;

export interface LatencyOptions {
  readonly kafka: Kafka;
  readonly registry: SchemaRegistry;
  readonly samplesTopic: TopicSpec;
  readonly usageTopic: TopicSpec;
  readonly instanceIds: readonly string[];
  /** First hour the produced samples fall into; later than anything the throughput run metered. */
  readonly fromHour: number;
  readonly samplesPerSecond: number;
  readonly seconds: number;
  /** How long to wait, after the last send, for the last usage value. */
  readonly settleMs: number;
}

export interface LatencyFigures {
  readonly rate: number;
  readonly produced: number;
  /** Samples whose usage value never arrived within settleMs (they count as infinitely late). */
  readonly unmatched: number;
  readonly p50LatencyMs: number | null;
  readonly p99LatencyMs: number | null;
  readonly maxLatencyMs: number | null;
}

/** Matches sent samples to the first usage.hourly value that counts them. Pure; fed by the two sides. */
export class LatencyMatcher {
  /** Per usage key: sent samples not yet seen counted, as slot key → send time. */
  readonly #waiting = new Map<string, Map<string, number>>();
  readonly latencies: number[] = [];
  produced = 0;

  sent(sample: TrafficSample, at: number): void {
    const hourStart = Math.floor(sample.windowStart / HOUR_MS) * HOUR_MS;
    const key = usageKey(sample.instanceId, hourStart);
    let slots = this.#waiting.get(key);
    if (slots === undefined) this.#waiting.set(key, (slots = new Map<string, number>()));
    slots.set(`${sample.interfaceId}/${(sample.windowStart - hourStart) / SAMPLE_WINDOW_MS}`, at);
    this.produced += 1;
  }

  published(key: string, counted: readonly { interfaceId: string; slots: readonly number[] }[], at: number): void {
    const slots = this.#waiting.get(key);
    if (slots === undefined) return;
    for (const { interfaceId, slots: numbers } of counted) {
      for (const slot of numbers) {
        const slotKey = `${interfaceId}/${slot}`;
        const sentAt = slots.get(slotKey);
        if (sentAt === undefined) continue;
        this.latencies.push(Math.max(0, at - sentAt));
        slots.delete(slotKey);
      }
    }
    if (slots.size === 0) this.#waiting.delete(key);
  }

  get matched(): number {
    return this.latencies.length;
  }

  figures(rate: number): LatencyFigures {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const unmatched = this.produced - sorted.length;
    // Unmatched samples rank above every matched one: a percentile that falls on them has no value.
    const at = (q: number): number | null => {
      const rank = Math.ceil(q * this.produced) - 1;
      return this.produced === 0 || rank >= sorted.length ? null : (sorted[Math.max(0, rank)] ?? null);
    };
    return {
      rate,
      produced: this.produced,
      unmatched,
      p50LatencyMs: at(0.5),
      p99LatencyMs: at(0.99),
      maxLatencyMs: unmatched > 0 ? null : (sorted[sorted.length - 1] ?? null),
    };
  }
}

/** Sample i of the run: instances round-robin, window after window, one interface. */
function sampleAt(options: LatencyOptions, index: number): TrafficSample {
  const count = options.instanceIds.length;
  const window = Math.floor(index / count);
  return {
    hypervisorId: 'bench-latency',
    instanceId: options.instanceIds[index % count]!,
    interfaceId: 'eth0',
    windowStart: options.fromHour + window * SAMPLE_WINDOW_MS,
    rxBytes: 1_000 + (index % 7),
    txBytes: 2_000,
    rxPackets: 10,
    txPackets: 20,
    cpuSeconds: '0.5',
  };
}

export async function measureLatency(options: LatencyOptions): Promise<LatencyFigures> {
  const matcher = new LatencyMatcher();
  const samplesCodec = valueCodec(options.registry, typedTopic(options.samplesTopic, trafficSample));
  const usageCodec = valueCodec(options.registry, typedTopic(options.usageTopic, usageHourly));
  const consumer = options.kafka.consumer({ groupId: `bench-latency-${options.usageTopic.name}`, maxWaitTimeInMs: 50 });
  const producer = options.kafka.producer();
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic: options.usageTopic.name, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        if (message.key === null || message.value === null) continue;
        const key = message.key.toString();
        // Only hours this phase writes; the throughput run's values are skipped without decoding.
        if (Date.parse(key.slice(key.lastIndexOf('|') + 1)) < options.fromHour) continue;
        const value = await usageCodec.decode(message.value);
        matcher.published(key, value.counted, Number(message.timestamp));
      }
    },
  });
  try {
    // Sends every 20 ms what the rate owes by then, so the rate holds even when a send is slow.
    const total = Math.round(options.samplesPerSecond * options.seconds);
    const started = Date.now();
    let next = 0;
    while (next < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * options.samplesPerSecond));
      if (due > next) {
        const batch: TrafficSample[] = [];
        for (; next < due; next += 1) batch.push(sampleAt(options, next));
        const messages = await Promise.all(
          batch.map(async (sample) => ({ key: sample.instanceId, value: await samplesCodec.encode(sample) })),
        );
        // Recorded before the send: its usage value may be consumed before the send resolves.
        const sentAt = Date.now();
        for (const sample of batch) matcher.sent(sample, sentAt);
        // In requests well under the broker's message size limit (a slow send makes the next batch large).
        for (let from = 0; from < messages.length; from += 2_000) {
          await producer.send({ topic: options.samplesTopic.name, messages: messages.slice(from, from + 2_000) });
        }
      }
      await sleep(20);
    }
    const deadline = Date.now() + options.settleMs;
    while (matcher.matched < matcher.produced && Date.now() < deadline) await sleep(100);
    return matcher.figures(options.samplesPerSecond);
  } finally {
    await Promise.all([consumer.disconnect(), producer.disconnect()]);
  }
}
