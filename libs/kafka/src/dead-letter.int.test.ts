import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import { trafficSample, type TrafficSample } from '@tally/records';
import { eventually, startNodeChild } from '@tally/testing';
import type { IHeaders } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopics } from './apply-topics.ts';
import { listDeadLetters, memoryRedriveLedger, redriveDeadLetters } from './dead-letter-ops.ts';
import { consumerLag } from './lag.ts';
import { readToEnd } from './read-to-end.ts';
import { deadLetterTopicOf, topics, type TopicSpec } from './catalog.ts';
import { createKafka } from './client.ts';
import { valueCodec } from './codec.ts';
import { createIdempotentProducer } from './producer.ts';
import { createRegistry, registerSchemas } from './registry.ts';
import { testEndpoints } from './test-env.ts';
import { typedTopic } from './typed-topic.ts';

const endpoints = testEndpoints();
const kafka = createKafka('dead-letter-test', endpoints.KAFKA_BROKERS, createLogger('dead-letter-test', 'warn'));
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await db.pool.query(
    'CREATE TABLE sums (instance_id text PRIMARY KEY, total bigint NOT NULL, records bigint NOT NULL)',
  );
});
afterAll(() => db.drop());

function sample(instanceId: string, txBytes: number): TrafficSample {
  return {
    hypervisorId: 'hv',
    instanceId,
    interfaceId: 'eth0',
    windowStart: Date.UTC(2025, 0, 1),
    rxBytes: 0,
    txBytes,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds: '0',
  };
}

async function readAll(
  topic: string,
  expected: number,
): Promise<{ key: string | null; value: Buffer | null; headers: IHeaders }[]> {
  const consumer = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: { key: string | null; value: Buffer | null; headers: IHeaders }[] = [];
  await consumer.run({
    eachMessage: ({ message }) => {
      seen.push({ key: message.key?.toString() ?? null, value: message.value, headers: message.headers ?? {} });
      return Promise.resolve();
    },
  });
  await eventually(() => Promise.resolve(seen.length >= expected), 30_000);
  await consumer.disconnect();
  return seen;
}

describe('poison records', () => {
  it('go to the dead-letter topic with their reason and origin, and the records after them are processed', async () => {
    const spec: TopicSpec = { ...topics.trafficSamples, name: `test.poison.${randomUUID()}`, partitions: 1 };
    const admin = kafka.admin();
    await admin.connect();
    await applyTopics(admin, [
      spec,
      { name: deadLetterTopicOf(spec.name), partitions: 1, cleanupPolicy: 'delete', key: 'original key' },
    ]);
    await admin.disconnect();
    await registerSchemas(registry, schemasDir, [spec]);
    const codec = valueCodec(registry, typedTopic(spec, trafficSample));
    const schemaId = await registry.getLatestSchemaId(`${spec.name}-value`);

    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    await producer.send({
      topic: spec.name,
      messages: [
        { key: 'good-1', value: await codec.encode(sample('i-a', 100)) },
        { key: 'garbage', value: Buffer.from('definitely not avro') },
        { key: 'unknown-id', value: Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 0x02, 0x03]) },
        { key: 'invalid', value: await registry.encode(schemaId, { ...sample('i-a', 5), rxBytes: -1 }) },
        { key: 'business', value: await codec.encode(sample('i-a', 13)) },
        { key: 'good-2', value: await codec.encode(sample('i-a', 200)) },
        { key: 'good-3', value: await codec.encode(sample('i-b', 7)) },
      ],
    });
    await producer.disconnect();

    const group = `poison-${randomUUID()}`;
    const child = startNodeChild(fileURLToPath(new URL('./testing/sum-consumer.ts', import.meta.url)), {
      SUM_TOPIC: spec.name,
      SUM_GROUP: group,
      DB_SCHEMA: db.schema,
    });
    const summed = async () =>
      Number((await db.pool.query<{ n: string | null }>('SELECT sum(records) AS n FROM sums')).rows[0]?.n ?? 0);
    expect(await eventually(async () => (await summed()) >= 3, 60_000), child.output()).toBe(true);
    child.process.kill('SIGTERM');
    expect(await child.exited, child.output()).toBe(0);

    const totals = await db.pool.query<{ instance_id: string; total: string }>(
      'SELECT instance_id, total FROM sums ORDER BY instance_id',
    );
    expect(totals.rows).toEqual([
      { instance_id: 'i-a', total: '300' },
      { instance_id: 'i-b', total: '7' },
    ]);

    const letters = await readAll(deadLetterTopicOf(spec.name), 4);
    expect(letters.map((letter) => [letter.key, letter.headers['tally.error.class']?.toString()])).toEqual([
      ['garbage', 'NotAvro'],
      ['unknown-id', 'UnknownSchemaId'],
      ['invalid', 'ValidationFailed'],
      ['business', 'BusinessRule'],
    ]);
    const garbage = letters[0]!;
    expect(garbage.value).toEqual(Buffer.from('definitely not avro'));
    expect(garbage.headers['tally.source.topic']?.toString()).toBe(spec.name);
    expect(garbage.headers['tally.source.partition']?.toString()).toBe('0');
    expect(garbage.headers['tally.source.offset']?.toString()).toBe('1');
    expect(garbage.headers['tally.service']?.toString()).toBe('sum-consumer');
    expect(Number.isNaN(Date.parse(garbage.headers['tally.time']?.toString() ?? ''))).toBe(false);
    expect(letters[2]!.headers['tally.error.message']?.toString()).toMatch(/rxBytes/);

    // Operators: list what is there, re-drive one kind once, and see the group has no lag.
    const views = await listDeadLetters(kafka, spec.name);
    expect(views.map((view) => view.errorClass)).toEqual([
      'NotAvro',
      'UnknownSchemaId',
      'ValidationFailed',
      'BusinessRule',
    ]);
    expect(views[0]).toMatchObject({
      key: 'garbage',
      source: `${spec.name}[0]@1`,
      service: 'sum-consumer',
      valueBytes: 19,
    });
    // A filtered redrive sends only its class; the others stay for a later redrive, each sent once in all.
    const ledger = memoryRedriveLedger();
    const business = (view: { errorClass: string }) => view.errorClass === 'BusinessRule';
    expect(await redriveDeadLetters(kafka, spec.name, ledger, business)).toHaveLength(1);
    expect(await redriveDeadLetters(kafka, spec.name, ledger, business)).toHaveLength(0);
    const source = await readToEnd(kafka, spec.name);
    expect(source).toHaveLength(8);
    const redriven = source[7]!.message;
    expect(redriven.key?.toString()).toBe('business');
    expect(redriven.headers?.['tally.redriven-from']?.toString()).toBe(`${deadLetterTopicOf(spec.name)}[0]@3`);
    expect(redriven.headers?.['tally.error.class']).toBeUndefined();
    expect((await redriveDeadLetters(kafka, spec.name, ledger)).map((view) => view.key)).toEqual([
      'garbage',
      'unknown-id',
      'invalid',
    ]);
    expect(await redriveDeadLetters(kafka, spec.name, ledger)).toHaveLength(0);

    const lagAdmin = kafka.admin();
    await lagAdmin.connect();
    const lag = await consumerLag(lagAdmin, group, spec.name);
    await lagAdmin.disconnect();
    expect(lag).toEqual([{ topic: spec.name, partition: 0, committed: '7', end: '11', lag: '4' }]);
  }, 120_000);
});
