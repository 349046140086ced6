import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, inTransaction, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import { usageHourly, type Instance, type UsageHourly } from '@tally/records';
import { Registry } from 'prom-client';
import { eventually } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from './client.ts';
import { valueCodec, type ValueCodec } from './codec.ts';
import { enqueueOutbox, publishOutboxBatch, runOutboxPublisher } from './outbox.ts';
import { createIdempotentProducer } from './producer.ts';
import { readToEnd } from './read-to-end.ts';
import { createRegistry, registerSchemas } from './registry.ts';
import { topics as catalogTopics, type TopicSpec } from './catalog.ts';
import { typedTopic } from './typed-topic.ts';
import { testEndpoints } from './test-env.ts';
import { typedTopics } from './topics.ts';

const endpoints = testEndpoints();
const log = createLogger('outbox-test', 'warn');
const kafka = createKafka('outbox-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const codec = valueCodec(registry, typedTopics.instances);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const topic = typedTopics.instances.spec.name;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
});
afterAll(() => db.drop());

function instance(instanceId: string, updatedAt: number): Instance {
  return {
    instanceId,
    accountId: 'acc-outbox',
    instanceType: 's1.small',
    zone: 'z1',
    state: 'running',
    createdAt: Date.UTC(2026, 0, 1),
    updatedAt: Date.UTC(2026, 0, 1) + updatedAt,
  };
}

async function outboxRows(): Promise<number> {
  return Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox')).rows[0]?.n);
}

describe('transactional outbox', () => {
  it('publishes what committed transactions enqueued, in order, and deletes it only after the send', async () => {
    const id = `i-outbox-${randomUUID()}`;
    await inTransaction(db.pool, async (client) => {
      await enqueueOutbox(client, topic, id, instance(id, 1));
      await enqueueOutbox(client, 'another.service.topic.v1', id, { belongs: 'to another publisher' });
      await enqueueOutbox(client, topic, id, instance(id, 2));
    });
    await expect(
      inTransaction(db.pool, async (client) => {
        await enqueueOutbox(client, topic, id, instance(id, 99));
        throw new Error('state write failed');
      }),
    ).rejects.toThrow('state write failed');
    expect(await outboxRows()).toBe(3);

    const failing: ValueCodec<unknown> = {
      encode: () => Promise.reject(new Error('registry down')),
      decode: () => Promise.reject(new Error('unused')),
    };
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    await expect(
      publishOutboxBatch({ pool: db.pool, producer, codecs: new Map([[topic, failing]]), log }),
    ).rejects.toThrow('registry down');
    expect(await outboxRows()).toBe(3);

    const stop = new AbortController();
    const publisher = runOutboxPublisher(
      { pool: db.pool, producer, codecs: new Map([[topic, codec as ValueCodec<unknown>]]), log, idleMs: 50 },
      stop.signal,
    );
    // Its own rows go; the other service's row stays for that service's publisher.
    expect(await eventually(async () => (await outboxRows()) === 1, 30_000)).toBe(true);
    stop.abort();
    await publisher;
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `outbox-reader-${randomUUID()}` });
    const seen: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        if (message.key?.toString() === id)
          seen.push((await codec.decode(message.value)).updatedAt - Date.UTC(2026, 0, 1));
      },
    });
    await eventually(() => Promise.resolve(seen.length >= 2), 30_000);
    await consumer.disconnect();
    expect(seen).toEqual([1, 2]);
  }, 90_000);

  it('parks a row too large for its topic and one that no longer validates; the rows behind them, same keys included, are published', async () => {
    // A fresh usage topic whose limit (16 KiB) a full instance-hour of 64 long interface ids exceeds. The publisher
    // is not told the limit (it assumes the 1 MiB default): the broker refuses, and the refused row is found alone.
    const spec: TopicSpec = { ...catalogTopics.usageHourly, name: `test.outbox-size.${randomUUID()}`, partitions: 1 };
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: spec.name, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '16384' }] }],
    });
    await admin.disconnect();
    await registerSchemas(registry, schemasDir, [spec]);
    const usageCodec = valueCodec(registry, typedTopic(spec, usageHourly));

    const hour = Date.UTC(2026, 0, 1, 10);
    const usage = (instanceId: string, version: number, interfaces = 1): UsageHourly => ({
      instanceId,
      accountId: 'a-1',
      instanceType: 's1.small',
      hourStart: hour,
      runningSeconds: 3_600,
      rxBytes: 1,
      txBytes: 1,
      rxPackets: 1,
      txPackets: 1,
      cpuSeconds: '1',
      counted: Array.from({ length: interfaces }, (_, i) => ({
        interfaceId: `${String(i).padStart(3, '0')}-${'x'.repeat(190)}`,
        slots: Array.from({ length: 120 }, (_, slot) => slot),
      })),
      version,
    });
    const rows: [string, unknown][] = [
      ['a', usage('a', 1)],
      ['big', usage('big', 1, 64)],
      ['a', usage('a', 2)],
      ['bad', { ...usage('bad', 1), hourStart: hour + 1 }],
      ['big2', usage('big2', 1, 64)],
      ['big2', usage('big2', 2)],
      ['c', usage('c', 1)],
    ];
    await inTransaction(db.pool, async (client) => {
      for (const [key, value] of rows) await enqueueOutbox(client, spec.name, key, value);
    });

    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const metrics = new Registry();
    const options = {
      pool: db.pool,
      producer,
      log,
      registry: metrics,
      codecs: new Map([[spec.name, usageCodec as ValueCodec<unknown>]]),
    };
    expect(await publishOutboxBatch(options)).toEqual({ published: 4, parked: 3, superseded: 1 });
    // Parked rows are not taken again: the next pass finds nothing to do.
    expect(await publishOutboxBatch(options)).toEqual({ published: 0, parked: 0, superseded: 0 });
    await producer.disconnect();

    const published = await readToEnd(kafka, spec.name);
    const values = await Promise.all(published.map(async ({ message }) => usageCodec.decode(message.value)));
    expect(values.map((value) => [value.instanceId, value.version])).toEqual([
      ['a', 1],
      ['a', 2],
      ['big2', 2],
      ['c', 1],
    ]);

    const parked = await db.pool.query<{ key: string; error: string; size_bytes: number | null }>(
      'SELECT key, error, size_bytes FROM outbox WHERE topic = $1 AND parked_at IS NOT NULL ORDER BY id',
      [spec.name],
    );
    expect(parked.rows.map((row) => row.key)).toEqual(['big', 'bad']);
    expect(parked.rows[0]!.error).toMatch(/^MessageTooLarge/);
    expect(parked.rows[0]!.size_bytes).toBeGreaterThan(16_384);
    expect(parked.rows[1]!.error).toBe(
      'ValidationFailed: hourStart: expected the start of a UTC hour (epoch milliseconds divisible by 3600000)',
    );
    expect(parked.rows[1]!.size_bytes).toBeNull();
    const metric = await metrics.getSingleMetric('tally_outbox_parked_total')!.get();
    expect(metric.values).toEqual([{ labels: { topic: spec.name }, value: 3 }]);
  }, 60_000);
});
