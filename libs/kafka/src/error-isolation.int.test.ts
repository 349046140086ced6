/**
 * Issue 10, item 3: deterministic errors that are not PoisonRecordError (a PostgreSQL data exception, a RangeError
 * from the pipeline, a service error marked not retryable) must reach the dead-letter topic within seconds while
 * every other record is committed exactly once; a transient error (serialization failure) is retried, not
 * dead-lettered. The first test runs the per-fetch and the coalescing path (commitIntervalMs) side by side.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import type { TrafficSample } from '@tally/records';
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
  storedAtEnd,
  type Sums,
} from './testing/sum-kit.ts';

const endpoints = testEndpoints();
const kafka = createKafka('isolation-test', endpoints.KAFKA_BROKERS, createLogger('isolation-test', 'warn'));
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const children: ChildHandle[] = [];

let db: TestDatabase;
/** The coalescing run's own schema. */
let coalescingDb: TestDatabase;
beforeAll(async () => {
  [db, coalescingDb] = await Promise.all([
    createTestDatabase(endpoints.DATABASE_URL),
    createTestDatabase(endpoints.DATABASE_URL),
  ]);
  for (const { pool } of [db, coalescingDb])
    await pool.query(
      'CREATE TABLE sums (instance_id text PRIMARY KEY, total bigint NOT NULL, records bigint NOT NULL)',
    );
});
afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await Promise.all([db.drop(), coalescingDb.drop()]);
});

/** txBytes values sum-consumer.ts's SUM_FAULTS=1 reacts to, and what should happen to each. */
const faults = new Map<number, { key: string; errorClass: string | undefined }>([
  [77, { key: 'range', errorClass: 'RangeError' }],
  [88, { key: 'overflow', errorClass: 'pg.22003' }],
  [99, { key: 'closed', errorClass: 'AccountClosedError' }],
  [55, { key: 'serialization', errorClass: undefined }],
]);

describe('deterministic errors that are not poison', () => {
  it('dead-letter only the offending records, commit the others exactly once, retry the transient one', async () => {
    await db.pool.query('TRUNCATE sums');
    const spec: TopicSpec = { ...topics.trafficSamples, name: `test.isolation.${randomUUID()}`, partitions: 2 };
    const admin = kafka.admin();
    await admin.connect();
    await applyTopics(admin, [
      spec,
      { name: deadLetterTopicOf(spec.name), partitions: 1, cleanupPolicy: 'delete', key: 'original key' },
    ]);
    await admin.disconnect();
    await registerSchemas(registry, schemasDir, [spec]);
    const codec = samplesCodec(registry, spec);

    // 2 000 samples over 20 instances; four of them carry a fault, in the middle of batches.
    const count = 2_000;
    const faultAt = new Map([
      [311, 77],
      [702, 88],
      [1_105, 99],
      [1_517, 55],
    ]);
    const samples: TrafficSample[] = [];
    const expected: Sums = new Map();
    for (let i = 0; i < count; i += 1) {
      const fault = faultAt.get(i);
      const instanceId = fault === undefined ? `i-${i % 20}` : faults.get(fault)!.key;
      const value = sample(instanceId, i, fault ?? 20 + (i % 30)); // never 13, which sum-consumer refuses
      samples.push(value);
      if (fault !== undefined && faults.get(fault)!.errorClass !== undefined) continue;
      const so = expected.get(instanceId) ?? { total: 0, records: 0 };
      expected.set(instanceId, { total: so.total + value.txBytes, records: so.records + 1 });
    }
    await produce(kafka, codec, spec.name, samples);

    const runs = [
      { mode: 'per fetch', db, env: {} },
      // 64 KiB fetches (~800 records) held up to 1 s or 1 500 records: the faults sit inside coalesced ranges.
      { mode: 'coalescing', db: coalescingDb, env: { COMMIT_INTERVAL_MS: '1000', COMMIT_MAX_RECORDS: '1500' } },
    ].map((run) => ({
      ...run,
      group: `isolation-${randomUUID()}`,
      service: `isolation-${run.mode.replace(' ', '-')}`,
    }));
    const started = Date.now();
    const consumers = await Promise.all(
      runs.map((run) =>
        startSumConsumer({
          SUM_TOPIC: spec.name,
          SUM_GROUP: run.group,
          SUM_SERVICE: run.service,
          DB_SCHEMA: run.db.schema,
          SUM_FAULTS: '1',
          MAX_BYTES_PER_PARTITION: '65536',
          ...run.env,
        }),
      ),
    );
    children.push(...consumers.map((consumer) => consumer.child));
    const ends = new Map(
      await (async () => {
        const offsetsAdmin = kafka.admin();
        await offsetsAdmin.connect();
        const offsets = await offsetsAdmin.fetchTopicOffsets(spec.name);
        await offsetsAdmin.disconnect();
        return offsets.map((p) => [p.partition, p.high] as const);
      })(),
    );
    for (const [index, run] of runs.entries()) {
      const { child } = consumers[index]!;
      const done = () => storedAtEnd(run.db.pool, run.group, spec.name, ends);
      expect(await eventually(done, 30_000), `${run.mode}: ${child.output()}`).toBe(true);
    }
    const seconds = (Date.now() - started) / 1000;
    expect(seconds, 'all records applied or dead-lettered within seconds').toBeLessThan(30);

    const letters = await readToEnd(kafka, deadLetterTopicOf(spec.name));
    for (const [index, run] of runs.entries()) {
      const consumer = consumers[index]!;
      const ours = letters.filter(({ message }) => message.headers?.['tally.service']?.toString() === run.service);
      const seen = ours
        .map(({ message }) => [message.key?.toString(), message.headers?.['tally.error.class']?.toString()])
        .sort();
      expect(seen, run.mode).toEqual([
        ['closed', 'AccountClosedError'],
        ['overflow', 'pg.22003'],
        ['range', 'RangeError'],
      ]);
      const reasons = new Map(
        ours.map(({ message }) => [message.key?.toString(), message.headers?.['tally.error.message']?.toString()]),
      );
      expect(reasons.get('overflow'), run.mode).toMatch(/numeric field overflow/);
      expect(reasons.get('range'), run.mode).toMatch(/txBytes 77 is out of range/);
      expect(reasons.get('closed'), run.mode).toMatch(/is closed/);
      for (const { message } of ours) expect(message.headers?.['tally.source.topic']?.toString()).toBe(spec.name);

      // Every other record exactly once (the serialization failure included), offsets at the end of each partition.
      expect(await readSums(run.db.pool), run.mode).toEqual(expected);
      expect(await recordsSummed(run.db.pool), run.mode).toBe(count - 3);
      expect(await consumer.metric('tally_consumer_isolated_records_total'), run.mode).toBe(3);
      expect(await consumer.metric('tally_dead_lettered_total'), run.mode).toBe(3);
      expect(await consumer.metric('tally_retries_total'), run.mode).toBeGreaterThanOrEqual(2);
      expect(consumer.child.output(), run.mode).toMatch(/injected serialization failure/);

      consumer.child.process.kill('SIGTERM');
      expect(await consumer.child.exited, `${run.mode}: ${consumer.child.output()}`).toBe(0);
    }
  }, 90_000);

  it('reports a transient failure past its retry budget as a stalled partition, and clears it once it moves', async () => {
    await db.pool.query('TRUNCATE sums');
    const spec: TopicSpec = { ...topics.trafficSamples, name: `test.stall.${randomUUID()}`, partitions: 1 };
    const admin = kafka.admin();
    await admin.connect();
    await applyTopics(admin, [
      spec,
      { name: deadLetterTopicOf(spec.name), partitions: 1, cleanupPolicy: 'delete', key: 'original key' },
    ]);
    await admin.disconnect();
    await registerSchemas(registry, schemasDir, [spec]);
    const samples = Array.from({ length: 200 }, (_, i) => sample(`i-${i % 5}`, i, i === 120 ? 55 : 20 + (i % 30)));
    await produce(kafka, samplesCodec(registry, spec), spec.name, samples);

    const consumer = await startSumConsumer({
      SUM_TOPIC: spec.name,
      SUM_GROUP: `stall-${randomUUID()}`,
      DB_SCHEMA: db.schema,
      SUM_FAULTS: '1',
      // The first failing commit takes 7 s, longer than the 6 s session: heartbeats must go on while it runs.
      SUM_SLOW_COMMIT_MS: '7000',
      SUM_STALL_MS: '10000',
      SUM_RETRY_ATTEMPTS: '2',
      LOG_LEVEL: 'info',
      MAX_BYTES_PER_PARTITION: '2048',
    });
    children.push(consumer.child);
    const labels = { topic: spec.name, partition: '0' };
    const stalled = await eventually(
      async () => (await consumer.metric('tally_consumer_stalled_seconds', labels)) > 0,
      30_000,
      100,
    );
    expect(stalled, consumer.child.output()).toBe(true);
    expect(await eventually(async () => (await recordsSummed(db.pool)) >= samples.length, 40_000)).toBe(true);
    expect(await recordsSummed(db.pool)).toBe(samples.length);
    const cleared = async () => (await consumer.metric('tally_consumer_stalled_seconds', labels)) === 0;
    expect(await eventually(cleared, 5_000, 100), consumer.child.output()).toBe(true);
    const alarm = consumer.child
      .output()
      .split('\n')
      .find((line) => line.includes('partition stalled'));
    expect(alarm, consumer.child.output()).toBeDefined();
    expect(JSON.parse(alarm!)).toMatchObject({
      level: 50,
      topic: spec.name,
      partition: 0,
      reason: expect.stringMatching(/40001: injected serialization failure/) as unknown,
    });
    expect(await readToEnd(kafka, deadLetterTopicOf(spec.name))).toEqual([]);
    // Never thrown out of the group meanwhile: assigned once, no rebalance.
    expect(consumer.child.output().match(/partitions assigned/g), consumer.child.output()).toHaveLength(1);
    consumer.child.process.kill('SIGTERM');
    expect(await consumer.child.exited, consumer.child.output()).toBe(0);
  }, 90_000);
});
