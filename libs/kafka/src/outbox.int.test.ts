import { randomUUID } from 'node:crypto';
import { createTestDatabase, inTransaction, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import type { Instance } from '@tally/records';
import { eventually } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from './client.ts';
import { valueCodec, type ValueCodec } from './codec.ts';
import { enqueueOutbox, publishOutboxBatch, runOutboxPublisher } from './outbox.ts';
import { createIdempotentProducer } from './producer.ts';
import { createRegistry } from './registry.ts';
import { testEndpoints } from './test-env.ts';
import { typedTopics } from './topics.ts';

const endpoints = testEndpoints();
const log = createLogger('outbox-test', 'warn');
const kafka = createKafka('outbox-test', endpoints.KAFKA_BROKERS, log);
const codec = valueCodec(createRegistry(endpoints.SCHEMA_REGISTRY_URL), typedTopics.instances);
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
    createdAt: 0,
    updatedAt,
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
        if (message.key?.toString() === id) seen.push((await codec.decode(message.value)).updatedAt);
      },
    });
    await eventually(() => Promise.resolve(seen.length >= 2), 30_000);
    await consumer.disconnect();
    expect(seen).toEqual([1, 2]);
  }, 90_000);
});
