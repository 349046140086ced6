/**
 * Issue 10, item 1: a topic whose log start moved (retention, deleteRecords) must not make a rebuild seek back to
 * records that are gone, forever. On the real broker: delete the first half of each partition, then rebuild.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import { eventually, type ChildHandle } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopics } from './apply-topics.ts';
import { deadLetterTopicOf, topics, type TopicSpec } from './catalog.ts';
import { createKafka } from './client.ts';
import { readToEnd } from './read-to-end.ts';
import { createRegistry, registerSchemas } from './registry.ts';
import { testEndpoints } from './test-env.ts';
import {
  produce,
  readSums,
  recordsSummed,
  sample,
  samplesCodec,
  startSumConsumer,
  storedOffsets,
  type Sums,
} from './testing/sum-kit.ts';

const endpoints = testEndpoints();
const kafka = createKafka('gap-retention-test', endpoints.KAFKA_BROKERS, createLogger('gap-retention-test', 'warn'));
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

describe('a topic whose log start was advanced', () => {
  it('rebuilds into empty tables: sums exactly the surviving records, logs the gap once, seeks a bounded number of times', async () => {
    const spec: TopicSpec = { ...topics.trafficSamples, name: `test.gap-retention.${randomUUID()}`, partitions: 3 };
    const admin = kafka.admin();
    await admin.connect();
    await applyTopics(admin, [
      spec,
      { name: deadLetterTopicOf(spec.name), partitions: 1, cleanupPolicy: 'delete', key: 'original key' },
    ]);
    await registerSchemas(registry, schemasDir, [spec]);
    const codec = samplesCodec(registry, spec);
    const count = 3_000;
    // txBytes never 13, which sum-consumer refuses.
    const samples = Array.from({ length: count }, (_, i) => sample(`i-${i % 20}`, i, 20 + (i % 97)));
    await produce(kafka, codec, spec.name, samples);

    // Retention as an operator would trigger it: the first half of every partition is deleted.
    const before = await admin.fetchTopicOffsets(spec.name);
    const middles = new Map(before.map((p) => [p.partition, String(Math.floor(Number(p.high) / 2))]));
    await admin.deleteTopicRecords({
      topic: spec.name,
      partitions: [...middles].map(([partition, offset]) => ({ partition, offset })),
    });
    const after = await admin.fetchTopicOffsets(spec.name);
    await admin.disconnect();
    expect(new Map(after.map((p) => [p.partition, p.low]))).toEqual(middles);
    const ends = new Map(after.map((p) => [p.partition, p.high]));

    // Ground truth: what a plain consumer can still read.
    const expected: Sums = new Map();
    const survivors = await readToEnd(kafka, spec.name);
    for (const { message } of survivors) {
      const value = await codec.decode(message.value);
      const so = expected.get(value.instanceId) ?? { total: 0, records: 0 };
      expected.set(value.instanceId, { total: so.total + value.txBytes, records: so.records + 1 });
    }
    const skipped = [...middles.values()].reduce((sum, middle) => sum + Number(middle), 0);
    expect(survivors).toHaveLength(count - skipped);

    const group = `gap-retention-${randomUUID()}`;
    const env = { SUM_TOPIC: spec.name, SUM_GROUP: group, DB_SCHEMA: db.schema, LOG_LEVEL: 'info' };
    const done = async () => {
      const offsets = await storedOffsets(db.pool, group, spec.name);
      return [...ends].every(([partition, high]) => offsets.get(partition) === high);
    };

    const first = await startSumConsumer(env);
    children.push(first.child);
    expect(await eventually(done, 60_000), first.child.output()).toBe(true);
    expect(await readSums(db.pool)).toEqual(expected);
    expect(await recordsSummed(db.pool)).toBe(survivors.length);
    // One gap per partition (0 .. its new log start), counted once, and no loop: the seeks stop.
    for (const [partition, middle] of middles) {
      const labels = { partition: String(partition) };
      expect(await first.metric('tally_consumer_offset_gaps_total', labels)).toBe(1);
      expect(await first.metric('tally_consumer_offsets_skipped_total', labels)).toBe(Number(middle));
    }
    const seeks = await first.metric('tally_consumer_seeks_total');
    expect(seeks).toBeLessThanOrEqual(2 * middles.size);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await first.metric('tally_consumer_seeks_total')).toBe(seeks);
    expect(first.child.output().match(/offset gap accepted/g) ?? []).toHaveLength(middles.size);
    first.child.process.kill('SIGTERM');
    expect(await first.child.exited, first.child.output()).toBe(0);

    // The README's replay: reset the rows while the group's Kafka offsets sit at the end; it rebuilds again.
    await db.pool.query('TRUNCATE sums, consumer_offsets');
    const again = await startSumConsumer(env);
    children.push(again.child);
    expect(await eventually(done, 60_000), again.child.output()).toBe(true);
    expect(await readSums(db.pool)).toEqual(expected);
    again.child.process.kill('SIGTERM');
    expect(await again.child.exited, again.child.output()).toBe(0);
  }, 90_000);
});
