/**
 * Issue 10, item 1: on a compacted topic the log start stays 0 while the cleaner removes records, so a stored (or
 * empty) offset points at records that no longer exist. A rebuild from empty tables must complete anyway.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import type { TrafficSample } from '@tally/records';
import { eventually, type ChildHandle } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterTopicOf, topics, type TopicSpec } from './catalog.ts';
import { createKafka } from './client.ts';
import { readToEnd } from './read-to-end.ts';
import { createRegistry, registerSchemas } from './registry.ts';
import { testEndpoints } from './test-env.ts';
import { produce, readSums, sample, samplesCodec, startSumConsumer, storedOffsets } from './testing/sum-kit.ts';

const endpoints = testEndpoints();
const kafka = createKafka('gap-compaction-test', endpoints.KAFKA_BROKERS, createLogger('gap-compaction-test', 'warn'));
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
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

/** The first offset a plain consumer gets per partition. */
async function firstOffsets(topic: string): Promise<Map<number, bigint>> {
  const firsts = new Map<number, bigint>();
  for (const { partition, message } of await readToEnd(kafka, topic)) {
    const offset = BigInt(message.offset);
    if (!firsts.has(partition) || offset < firsts.get(partition)!) firsts.set(partition, offset);
  }
  return firsts;
}

describe('a compacted topic whose first offsets were cleaned', () => {
  it('rebuilds into empty tables to the latest value per key, without looping', async () => {
    const spec: TopicSpec = {
      ...topics.trafficSamples,
      name: `test.gap-compaction.${randomUUID()}`,
      partitions: 2,
      cleanupPolicy: 'compact',
    };
    const admin = kafka.admin();
    await admin.connect();
    // Settings that make the cleaner act within seconds: segments roll every 100 ms, any dirt is worth cleaning.
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: spec.name,
          numPartitions: spec.partitions,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.ms', value: '100' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            { name: 'delete.retention.ms', value: '100' },
            { name: 'min.compaction.lag.ms', value: '0' },
          ],
        },
        { topic: deadLetterTopicOf(spec.name), numPartitions: 1 },
      ],
    });
    await registerSchemas(registry, schemasDir, [spec]);
    const codec = samplesCodec(registry, spec);

    // Many overwrites of few keys, in rounds far enough apart for segments to roll between them.
    const keys = 12;
    const written: TrafficSample[] = [];
    for (let i = 0; i < 2_400; i += 1) written.push(sample(`i-${i % keys}`, i, 100 + ((i * 7919) % 10_000)));
    await produce(kafka, codec, spec.name, written, { perSend: 120, pauseMs: 150 });
    const latest = new Map<string, number>();
    for (const value of written) latest.set(value.instanceId, value.txBytes);

    // Wait (bounded) until the cleaner has removed the first records of every partition.
    const cleaned = await eventually(
      async () => {
        // A record after a pause rolls the last dirty segment so the cleaner may take it.
        await produce(kafka, codec, spec.name, [written[written.length - 1]!]);
        const firsts = await firstOffsets(spec.name);
        return firsts.size === spec.partitions && [...firsts.values()].every((offset) => offset > 0n);
      },
      60_000,
      2_000,
    );
    expect(cleaned, `first offsets: ${JSON.stringify([...(await firstOffsets(spec.name))].map(String))}`).toBe(true);
    const ends = new Map((await admin.fetchTopicOffsets(spec.name)).map((p) => [p.partition, p.high]));
    await admin.disconnect();

    const group = `gap-compaction-${randomUUID()}`;
    const consumer = await startSumConsumer({
      SUM_TOPIC: spec.name,
      SUM_GROUP: group,
      SUM_MODE: 'latest',
      DB_SCHEMA: db.schema,
      LOG_LEVEL: 'info',
    });
    children.push(consumer.child);
    const done = async () => {
      const offsets = await storedOffsets(db.pool, group, spec.name);
      return [...ends].every(([partition, high]) => offsets.get(partition) === high);
    };
    expect(await eventually(done, 60_000), consumer.child.output()).toBe(true);

    const sums = await readSums(db.pool);
    expect(new Map([...sums].map(([key, { total }]) => [key, total]))).toEqual(latest);
    // Each partition's leading gap is accepted once; the seeks are the assignment's, not a loop.
    expect(await consumer.metric('tally_consumer_offset_gaps_total')).toBeGreaterThanOrEqual(spec.partitions);
    expect((consumer.child.output().match(/offset gap accepted/g) ?? []).length).toBeGreaterThanOrEqual(
      spec.partitions,
    );
    const seeks = await consumer.metric('tally_consumer_seeks_total');
    expect(seeks).toBeLessThanOrEqual(2 * spec.partitions);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await consumer.metric('tally_consumer_seeks_total')).toBe(seeks);
    consumer.child.process.kill('SIGTERM');
    expect(await consumer.child.exited, consumer.child.output()).toBe(0);
  }, 120_000);
});
