import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import type { TrafficSample } from '@tally/records';
import { eventually, startNodeChild, startTcpProxy, type ChildHandle } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopics } from './apply-topics.ts';
import { deadLetterTopicOf, topics, type TopicSpec } from './catalog.ts';
import { createKafka } from './client.ts';
import { valueCodec } from './codec.ts';
import { createIdempotentProducer } from './producer.ts';
import { createRegistry, registerSchemas } from './registry.ts';
import { testEndpoints } from './test-env.ts';
import { typedTopic } from './typed-topic.ts';
import { trafficSample } from '@tally/records';

const endpoints = testEndpoints();
const log = createLogger('runtime-test', 'warn');
const kafka = createKafka('runtime-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const sumConsumer = fileURLToPath(new URL('./testing/sum-consumer.ts', import.meta.url));
const children: ChildHandle[] = [];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await db.pool.query(
    'CREATE TABLE sums (instance_id text PRIMARY KEY, total bigint NOT NULL, records bigint NOT NULL)',
  );
});
afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await db.drop();
});

/** A fresh topic with the traffic-sample schema and its dead-letter topic. */
async function freshTopic(partitions: number): Promise<TopicSpec> {
  const spec: TopicSpec = { ...topics.trafficSamples, name: `test.sums.${randomUUID()}`, partitions };
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [
    spec,
    { name: deadLetterTopicOf(spec.name), partitions: 1, cleanupPolicy: 'delete', key: 'original key' },
  ]);
  await admin.disconnect();
  await registerSchemas(registry, schemasDir, [spec]);
  return spec;
}

function sample(instanceId: string, i: number, txBytes: number): TrafficSample {
  return {
    hypervisorId: 'hv',
    instanceId,
    interfaceId: 'eth0',
    windowStart: Date.UTC(2025, 0, 1) + i * 30_000,
    rxBytes: 0,
    txBytes,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds: '0',
  };
}

/** Produces `count` samples over 20 instances; returns the expected sum and count per instance. */
async function produceSamples(spec: TopicSpec, count: number, txBytesOf: (i: number) => number) {
  const codec = valueCodec(registry, typedTopic(spec, trafficSample));
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const expected = new Map<string, { total: number; records: number }>();
  for (let start = 0; start < count; start += 1000) {
    const messages = [];
    for (let i = start; i < Math.min(count, start + 1000); i += 1) {
      const instanceId = `i-${i % 20}`;
      const txBytes = txBytesOf(i);
      // 13 is the sum consumer's refused value, kept for the dead-letter test only.
      const value = sample(instanceId, i, txBytes === 13 ? 14 : txBytes);
      const so = expected.get(instanceId) ?? { total: 0, records: 0 };
      expected.set(instanceId, { total: so.total + value.txBytes, records: so.records + 1 });
      messages.push({ key: instanceId, value: await codec.encode(value) });
    }
    await producer.send({ topic: spec.name, acks: -1, messages });
  }
  await producer.disconnect();
  return expected;
}

async function sums(): Promise<Map<string, { total: number; records: number }>> {
  const result = await db.pool.query<{ instance_id: string; total: string; records: string }>(
    'SELECT instance_id, total, records FROM sums',
  );
  return new Map(
    result.rows.map((row) => [row.instance_id, { total: Number(row.total), records: Number(row.records) }]),
  );
}

async function recordsSummed(): Promise<number> {
  const result = await db.pool.query<{ n: string | null }>('SELECT sum(records) AS n FROM sums');
  return Number(result.rows[0]?.n ?? 0);
}

function startSumConsumer(spec: TopicSpec, group: string, extraEnv: NodeJS.ProcessEnv = {}): ChildHandle {
  const child = startNodeChild(sumConsumer, {
    SUM_TOPIC: spec.name,
    SUM_GROUP: group,
    DB_SCHEMA: db.schema,
    ...extraEnv,
  });
  children.push(child);
  return child;
}

/** SIGTERM once its handlers are installed (a fast machine may reach this while the child still loads). */
async function stopGracefully(child: ChildHandle): Promise<number | null> {
  await eventually(() => Promise.resolve(child.output().includes('sum-consumer ready')), 60_000, 50);
  child.process.kill('SIGTERM');
  return child.exited;
}

describe('consumer runtime: exactly-once effects in PostgreSQL', () => {
  it('sums equal the input after repeated SIGKILLs at random points', async () => {
    await db.pool.query('TRUNCATE sums');
    const spec = await freshTopic(3);
    const count = 20_000;
    const expected = await produceSamples(spec, count, (i) => 1 + ((i * 7919) % 1000));
    const group = `sum-${randomUUID()}`;
    let kills = 0;
    for (let round = 0; round < 6; round += 1) {
      const child = startSumConsumer(spec, group);
      await new Promise((resolve) => setTimeout(resolve, 1500 + Math.random() * 2500));
      child.process.kill('SIGKILL');
      await child.exited;
      kills += 1;
      if ((await recordsSummed()) >= count) break;
    }
    const last = startSumConsumer(spec, group);
    const finished = await eventually(async () => (await recordsSummed()) >= count, 90_000);
    expect(await stopGracefully(last), last.output()).toBe(0);
    expect(finished, `summed ${await recordsSummed()} of ${count} after ${kills} kills`).toBe(true);
    expect(await sums()).toEqual(expected);
  }, 240_000);

  it('retries while PostgreSQL refuses and drops connections, skipping and doubling nothing', async () => {
    await db.pool.query('TRUNCATE sums');
    const spec = await freshTopic(2);
    const count = 6_000;
    const expected = await produceSamples(spec, count, (i) => 1 + (i % 97));
    const url = new URL(endpoints.DATABASE_URL);
    const proxy = await startTcpProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    const child = startSumConsumer(spec, `pg-${randomUUID()}`, {
      DATABASE_URL: url.toString(),
      MAX_BYTES_PER_PARTITION: '4096',
    });
    try {
      await eventually(async () => (await recordsSummed()) > 0, 60_000);
      for (let outage = 0; outage < 3; outage += 1) {
        await proxy.refuse();
        await new Promise((resolve) => setTimeout(resolve, 2000));
        await proxy.restore();
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
      const finished = await eventually(async () => (await recordsSummed()) >= count, 90_000);
      expect(finished, child.output()).toBe(true);
      expect(await sums()).toEqual(expected);
      expect(await stopGracefully(child), child.output()).toBe(0);
    } finally {
      await proxy.close();
    }
  }, 240_000);

  it('loses and duplicates nothing when a second consumer joins and later leaves', async () => {
    await db.pool.query('TRUNCATE sums');
    const spec = await freshTopic(4);
    const count = 20_000;
    const expected = await produceSamples(spec, count, (i) => 1 + (i % 13 === 0 ? 1 : i % 500));
    const group = `rebalance-${randomUUID()}`;
    const first = startSumConsumer(spec, group, { MAX_BYTES_PER_PARTITION: '8192' });
    await eventually(async () => (await recordsSummed()) > 500, 60_000);
    const second = startSumConsumer(spec, group, { MAX_BYTES_PER_PARTITION: '8192' });
    await eventually(async () => (await recordsSummed()) > count / 2, 60_000);
    expect(await stopGracefully(second), second.output()).toBe(0);
    const finished = await eventually(async () => (await recordsSummed()) >= count, 90_000);
    expect(await stopGracefully(first), first.output()).toBe(0);
    expect(finished).toBe(true);
    expect(await sums()).toEqual(expected);
  }, 240_000);

  it('rebuilds into empty tables from the beginning, even when the group has committed offsets in Kafka', async () => {
    await db.pool.query('TRUNCATE sums');
    const spec = await freshTopic(2);
    const count = 2_000;
    const expected = await produceSamples(spec, count, (i) => 1 + (i % 50));
    const group = `rebuild-${randomUUID()}`;
    const first = startSumConsumer(spec, group);
    expect(await eventually(async () => (await recordsSummed()) >= count, 60_000), first.output()).toBe(true);
    expect(await stopGracefully(first), first.output()).toBe(0);

    await db.pool.query('TRUNCATE sums, consumer_offsets');
    const again = startSumConsumer(spec, group);
    expect(await eventually(async () => (await recordsSummed()) >= count, 60_000), again.output()).toBe(true);
    expect(await stopGracefully(again), again.output()).toBe(0);
    expect(await sums()).toEqual(expected);
  }, 180_000);
});
