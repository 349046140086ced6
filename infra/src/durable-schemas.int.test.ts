/**
 * Issue 10 (f): schemas outlive the registry process. A topic's value schema evolves to a second,
 * BACKWARD-compatible version; records of both versions are produced; the registry is stopped and started
 * again on the same storage; then a rebuild (a new group from the beginning, a registry client with an
 * empty cache) decodes every record of both versions and dead-letters nothing.
 *
 * The registry is a private one, with its own PostgreSQL schema, so the restart does not disturb the tests
 * that share the stack's registry. With the old in-memory storage the restarted registry would answer
 * 40403 for every id, and this rebuild would dead-letter (then stall on) every record.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  applyTopics,
  createIdempotentProducer,
  createKafka,
  createMetrics,
  createRegistry,
  deadLetterTopicOf,
  runConsumer,
  typedTopic,
  valueCodec,
  valueSubject,
  type ConsumedRecord,
  type RunningConsumer,
  type SchemaRegistry,
  type TopicSpec,
  type TypedTopic,
} from '@tally/kafka';
import { connectionEnv, loadConfig } from '@tally/config';
import { createLogger } from '@tally/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startPrivateRegistry, type PrivateRegistry } from './private-registry.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('registry-restart-test', 'warn');
const kafka = createKafka('registry-restart-test', endpoints.KAFKA_BROKERS, log);
const run = randomUUID().slice(0, 8);

/** A test-only schema: version 2 adds `note` with a default, which BACKWARD compatibility allows. */
const probeV1 = {
  type: 'record',
  name: 'Probe',
  namespace: 'dev.tally.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'string' },
  ],
};
const probeV2 = { ...probeV1, fields: [...probeV1.fields, { name: 'note', type: 'string', default: 'none' }] };
const probe = z.object({ id: z.string(), amount: z.string(), note: z.string().optional() });
type Probe = z.infer<typeof probe>;

const spec: TopicSpec = { name: `test.schema-evolution.${run}`, partitions: 2, cleanupPolicy: 'delete', key: 'id' };
const probeTopic: TypedTopic<Probe> = typedTopic(spec, probe);

let registry: PrivateRegistry;
beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const dlq: TopicSpec = { name: deadLetterTopicOf(spec.name), partitions: 1, cleanupPolicy: 'delete', key: 'id' };
    // A topic just created may be unknown to the metadata for a moment: kafkajs does not retry that.
    for (let attempt = 1; ; attempt += 1) {
      try {
        await applyTopics(admin, [spec, dlq]);
        break;
      } catch (error) {
        if (attempt >= 10 || !/does not host this topic-partition/.test(String(error))) throw error;
        await sleep(500 * attempt);
      }
    }
  } finally {
    await admin.disconnect();
  }
  registry = await startPrivateRegistry(`restart-${run}`, endpoints.DATABASE_URL, log);
}, 180_000);
afterAll(async () => {
  await registry?.destroy();
});

const confluentJson = { 'content-type': 'application/vnd.schemaregistry.v1+json' };

/** Registers a version under the topic's value subject, BACKWARD-compatible, through the Confluent API. */
async function register(url: string, schema: object): Promise<number> {
  const subject = encodeURIComponent(valueSubject(spec.name));
  const config = await fetch(`${url}/config/${subject}`, {
    method: 'PUT',
    headers: confluentJson,
    body: JSON.stringify({ compatibility: 'BACKWARD' }),
  });
  if (config.status !== 200) throw new Error(`PUT /config answered ${config.status}`);
  const response = await fetch(`${url}/subjects/${subject}/versions`, {
    method: 'POST',
    headers: confluentJson,
    body: JSON.stringify({ schemaType: 'AVRO', schema: JSON.stringify(schema) }),
  });
  const body: unknown = await response.json();
  if (response.status !== 200) throw new Error(`register answered ${response.status}: ${JSON.stringify(body)}`);
  return z.object({ id: z.number().int() }).parse(body).id;
}

async function recordCount(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
  return true;
}

async function produce(client: SchemaRegistry, values: Probe[]): Promise<void> {
  const codec = valueCodec(client, probeTopic);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  try {
    const messages = await Promise.all(
      values.map(async (value) => ({ key: value.id, value: await codec.encode(value) })),
    );
    await producer.send({ topic: spec.name, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** A rebuild: a new group from the beginning, results kept in memory with their offsets. */
async function rebuild(client: SchemaRegistry, group: string) {
  const results: Probe[] = [];
  const offsets = new Map<number, string>();
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const consumer: RunningConsumer = await runConsumer<Probe, ConsumedRecord<Probe>>(
    {
      service: 'registry-restart-test',
      groupId: group,
      topic: spec.name,
      codec: valueCodec(client, probeTopic),
      pipeline: () => (reducer) => reducer,
      loadOffsets: () => Promise.resolve(new Map(offsets)),
      commit: (records, batch) => {
        results.push(...records.map((record) => record.value));
        offsets.set(batch.partition, batch.to);
        return Promise.resolve();
      },
      backoff: { initialMs: 100, maxMs: 1_000 },
      sessionTimeoutMs: 6_000,
    },
    { kafka, producer, log, metrics: createMetrics('registry-restart-test') },
  );
  return {
    results,
    async stop() {
      await consumer.stop();
      await producer.disconnect();
    },
  };
}

const v1Values: Probe[] = Array.from({ length: 20 }, (_, i) => ({ id: `v1-${i}`, amount: `${i}.5` }));
const v2Values: Probe[] = Array.from({ length: 20 }, (_, i) => ({ id: `v2-${i}`, amount: `${i}.25`, note: `n${i}` }));

describe('schemas outlive the registry process', () => {
  it('decodes records of both schema versions after the registry restarted, dead-lettering none', async () => {
    const v1 = await register(registry.url, probeV1);
    await produce(createRegistry(registry.url), v1Values);
    const v2 = await register(registry.url, probeV2);
    expect(v2).not.toBe(v1);
    // Incompatible (a new field without a default): refused, so the subject's compatibility is in force.
    const incompatible = { ...probeV1, fields: [...probeV1.fields, { name: 'x', type: 'long' }] };
    await expect(register(registry.url, incompatible)).rejects.toThrow(/409/);
    await produce(createRegistry(registry.url), v2Values);
    expect(await recordCount(spec.name)).toBe(40);

    await registry.restart();

    // The restarted registry still knows both ids and both versions of the subject.
    const after = createRegistry(registry.url);
    expect(await after.getSchema(v1)).toBeDefined();
    expect(await after.getSchema(v2)).toBeDefined();
    const versions = await fetch(`${registry.url}/subjects/${valueSubject(spec.name)}/versions`);
    expect(await versions.json()).toEqual([1, 2]);

    const rebuilt = await rebuild(after, `registry-restart-${run}`);
    try {
      expect(await eventually(() => rebuilt.results.length >= 40, 30_000)).toBe(true);
    } finally {
      await rebuilt.stop();
    }
    const byId = (a: Probe, b: Probe) => a.id.localeCompare(b.id);
    // Version 1 records decode with their writer's schema: no `note`; version 2 records keep theirs.
    expect([...rebuilt.results].sort(byId)).toEqual([...v1Values, ...v2Values].sort(byId));
    expect(await recordCount(deadLetterTopicOf(spec.name))).toBe(0);
  }, 90_000);

  it('does not dead-letter when the registry URL has a wrong path (404 without error code 40403)', async () => {
    const wrongPath = createRegistry(endpoints.SCHEMA_REGISTRY_URL.replace(/\/apis\/ccompat\/v7$/, '/apis/wrong'));
    const stalled = await rebuild(wrongPath, `registry-wrong-path-${run}`);
    try {
      // Several retries' worth of time: records are retried, none committed, none dead-lettered.
      await sleep(5_000);
      expect(stalled.results).toEqual([]);
      expect(await recordCount(deadLetterTopicOf(spec.name))).toBe(0);
    } finally {
      await stalled.stop();
    }
  }, 60_000);
});
