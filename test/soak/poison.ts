/**
 * Records no pipeline should count: bytes that are not Avro at all, samples that decode but can never be valid,
 * and a glitching agent's samples (counters past what a 100 Gbit/s link carries in 30 s) for real instances and
 * windows. Each must end in its topic's dead-letter topic; none may change a total or an invoice.
 */
import { Draw, mixSeed } from '@tally/agent';
import { createIdempotentProducer, typedTopic, valueCodec, type SchemaRegistry, type TopicSpec } from '@tally/kafka';
import { SAMPLE_WINDOW_MS, trafficSample, type TrafficSample } from '@tally/records';
import type { Kafka, Message, Producer } from 'kafkajs';

/** A real instance of the simulated fleet and a window of its period, which the glitch imitates. */
export interface GlitchTarget {
  readonly hypervisorId: string;
  readonly instanceId: string;
  readonly interfaceId: string;
  readonly periodFrom: number;
  readonly periodTo: number;
}

/** What each injection wrote, per source topic. */
export interface Injected {
  samples: number;
  usage: number;
}

/** 100 Gbit/s for 30 s is 375 GB; these are 2.7 to 27 times that. */
const GLITCH_BYTES_MIN = 1_000_000_000_000;
const GLITCH_BYTES_MAX = 10_000_000_000_000;

export class Poisoner {
  readonly injected: Injected = { samples: 0, usage: 0 };
  private readonly producer: Producer;
  private readonly encode: (sample: TrafficSample) => Promise<Buffer>;
  private connected = false;
  private readonly topics: { samples: TopicSpec; usage: TopicSpec };
  private readonly seed: number;

  constructor(kafka: Kafka, registry: SchemaRegistry, topics: { samples: TopicSpec; usage: TopicSpec }, seed: number) {
    this.topics = topics;
    this.seed = seed;
    this.producer = createIdempotentProducer(kafka);
    const codec = valueCodec(registry, typedTopic(topics.samples, trafficSample));
    this.encode = (sample) => codec.encode(sample);
  }

  /**
   * Bytes that are no registry wire format at all (first byte 0xde, not the magic 0): a decoding error, not an unknown
   * schema id (a burst of those would look like a registry that lost its schemas and stall the partition on purpose).
   * `count` on the samples topic and one on usage.hourly.
   */
  async garbage(count: number, nth: number): Promise<void> {
    const draw = new Draw(mixSeed(this.seed, 0x6a5b, nth));
    const bytes = () => Buffer.from([0xde, ...Array.from({ length: draw.int(0, 64) }, () => draw.int(0, 255))]);
    const samples = Array.from({ length: count }, (_, i) => ({ key: `garbage-${nth}-${i}`, value: bytes() }));
    await this.send(this.topics.samples, samples);
    this.injected.samples += count;
    await this.send(this.topics.usage, [{ key: `garbage-${nth}|2025-02-10T00:00:00.000Z`, value: bytes() }]);
    this.injected.usage += 1;
  }

  /** Well-formed samples that can never be counted: unaligned window, a window in the future, absurd CPU. */
  async invalid(count: number, nth: number, target: GlitchTarget): Promise<void> {
    const draw = new Draw(mixSeed(this.seed, 0x1a1d, nth));
    const samples: TrafficSample[] = Array.from({ length: count }, (_, i) => {
      const base = { ...this.glitchBase(target, draw), rxBytes: 1_000, txBytes: 1_000 };
      switch ((nth + i) % 3) {
        case 0:
          return { ...base, windowStart: base.windowStart + draw.int(1, SAMPLE_WINDOW_MS - 1) };
        case 1:
          return { ...base, windowStart: Date.UTC(2099, 0, 1) };
        default:
          return { ...base, cpuSeconds: '100000' };
      }
    });
    await this.sendSamples(samples);
  }

  /** A glitching agent: `count` windows of a real instance whose counters jump past 100 Gbit/s. */
  async glitch(count: number, nth: number, target: GlitchTarget): Promise<void> {
    const draw = new Draw(mixSeed(this.seed, 0x611c, nth));
    const samples = Array.from({ length: count }, () => ({
      ...this.glitchBase(target, draw),
      rxBytes: draw.int(GLITCH_BYTES_MIN, GLITCH_BYTES_MAX),
      txBytes: draw.int(0, 1) === 0 ? draw.int(GLITCH_BYTES_MIN, GLITCH_BYTES_MAX) : draw.int(0, 1_000_000),
    }));
    await this.sendSamples(samples);
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }

  private glitchBase(target: GlitchTarget, draw: Draw): TrafficSample {
    const windows = Math.floor((target.periodTo - target.periodFrom) / SAMPLE_WINDOW_MS);
    return {
      hypervisorId: target.hypervisorId,
      instanceId: target.instanceId,
      interfaceId: target.interfaceId,
      windowStart: target.periodFrom + draw.int(0, windows - 1) * SAMPLE_WINDOW_MS,
      rxBytes: 0,
      txBytes: 0,
      rxPackets: draw.int(0, 1_000),
      txPackets: draw.int(0, 1_000),
      cpuSeconds: '1',
    };
  }

  private async sendSamples(samples: TrafficSample[]): Promise<void> {
    const messages = await Promise.all(samples.map(async (s) => ({ key: s.instanceId, value: await this.encode(s) })));
    await this.send(this.topics.samples, messages);
    this.injected.samples += samples.length;
  }

  /** One attempt: a send that fails is not counted (it may still have landed, which the report would show). */
  private async send(topic: TopicSpec, messages: Message[]): Promise<void> {
    if (!this.connected) {
      await this.producer.connect();
      this.connected = true;
    }
    await this.producer.send({ topic: topic.name, acks: -1, messages });
  }
}
