/**
 * Fresh, uniquely named copies of the topics the agent and metering use, so an end-to-end run (test or bench)
 * never reads another run's records from the shared catalog topics. Same schemas as the catalog.
 */
import { fileURLToPath } from 'node:url';
import type { Kafka } from 'kafkajs';
import {
  applyTopics,
  deadLetterTopicOf,
  registerSchemas,
  topics,
  typedTopic,
  valueCodec,
  type SchemaRegistry,
  type TopicSpec,
} from '@tally/kafka';
import { usageHourly, type UsageHourly } from '@tally/records';

export const schemasDir = fileURLToPath(new URL('../../schemas', import.meta.url));

export interface PipelineTopics {
  samples: TopicSpec;
  instances: TopicSpec;
  accounts: TopicSpec;
  usage: TopicSpec;
  late: TopicSpec;
}

export async function createPipelineTopics(
  kafka: Kafka,
  registry: SchemaRegistry,
  run: string,
): Promise<PipelineTopics> {
  const named = (spec: TopicSpec, suffix: string): TopicSpec => ({ ...spec, name: `test.${run}.${suffix}` });
  const specs: PipelineTopics = {
    samples: named(topics.trafficSamples, 'samples'),
    instances: named(topics.instances, 'instances'),
    accounts: named(topics.accounts, 'accounts'),
    usage: named(topics.usageHourly, 'usage'),
    late: named(topics.lateSamples, 'late'),
  };
  const deadLetters = [specs.samples, specs.instances].map((spec): TopicSpec => ({
    name: deadLetterTopicOf(spec.name),
    partitions: 1,
    cleanupPolicy: 'delete',
    key: 'original key',
  }));
  const admin = kafka.admin();
  await admin.connect();
  try {
    const all: TopicSpec[] = [specs.samples, specs.instances, specs.accounts, specs.usage, specs.late, ...deadLetters];
    await applyTopics(admin, all);
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(registry, schemasDir, [
    specs.samples,
    specs.instances,
    specs.accounts,
    specs.usage,
    specs.late,
  ]);
  return specs;
}

/** The environment that points metering at these topics. */
export function meteringTopicEnv(specs: PipelineTopics): Record<string, string> {
  return {
    METERING_SAMPLES_TOPIC: specs.samples.name,
    METERING_INSTANCES_TOPIC: specs.instances.name,
    METERING_USAGE_TOPIC: specs.usage.name,
    METERING_LATE_TOPIC: specs.late.name,
  };
}

/** The environment that points the agent simulator at these topics. */
export function agentTopicEnv(specs: PipelineTopics): Record<string, string> {
  return {
    AGENT_SAMPLES_TOPIC: specs.samples.name,
    AGENT_INSTANCES_TOPIC: specs.instances.name,
    AGENT_ACCOUNTS_TOPIC: specs.accounts.name,
  };
}

/** Records in a topic (sum of high watermarks; the fresh topics start at offset 0 and are never compacted yet). */
export async function recordCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
  } finally {
    await admin.disconnect();
  }
}

/** The latest usage.hourly value per key, reading the topic from the beginning to its current end. */
export async function latestUsage(
  kafka: Kafka,
  registry: SchemaRegistry,
  spec: TopicSpec,
  run: string,
): Promise<Map<string, UsageHourly>> {
  const codec = valueCodec(registry, typedTopic(spec, usageHourly));
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(spec.name)).map((p) => [p.partition, BigInt(p.high)]));
  await admin.disconnect();
  const remaining = new Set([...ends].filter(([, high]) => high > 0n).map(([partition]) => partition));
  const latest = new Map<string, UsageHourly>();
  if (remaining.size === 0) return latest;
  const consumer = kafka.consumer({ groupId: `read-usage-${run}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: spec.name, fromBeginning: true });
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  await consumer.run({
    eachBatch: async (payload) => {
      const { batch } = payload;
      for (const message of batch.messages) {
        if (message.key !== null) latest.set(message.key.toString(), await codec.decode(message.value));
        payload.resolveOffset(message.offset);
        if (BigInt(message.offset) + 1n >= (ends.get(batch.partition) ?? 0n)) remaining.delete(batch.partition);
      }
      if (remaining.size === 0) resolveDone();
    },
  });
  await done;
  await consumer.disconnect();
  return latest;
}
