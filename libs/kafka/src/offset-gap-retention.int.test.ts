/**
 * Issue 10, item 1: a topic whose log start moved (retention, deleteRecords) must not make a group seek back to
 * records that are gone, forever. On the real broker: delete the first half of each partition; then a group whose
 * stored offsets point into the deleted part starts, and later a rebuild from empty tables. Both the per-fetch and
 * the coalescing path (commitIntervalMs) run side by side on the same topic, each into its own schema.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { advanceOffset, createTestDatabase, type TestDatabase } from '@tally/db';
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
  storedAtEnd,
  type Sums,
} from './testing/sum-kit.ts';

const endpoints = testEndpoints();
const kafka = createKafka('gap-retention-test', endpoints.KAFKA_BROKERS, createLogger('gap-retention-test', 'warn'));
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const children: ChildHandle[] = [];

/** The runtime's two paths, each with its own schema (sums, consumer_offsets) and group. */
const modes = [
  { mode: 'per fetch', env: {} },
  // 16 KiB fetches (~200 records) held up to 400 ms or 600 records: commits span several fetches.
  { mode: 'coalescing', env: { COMMIT_INTERVAL_MS: '400', COMMIT_MAX_RECORDS: '600' } },
] as const;
type Mode = (typeof modes)[number] & { db: TestDatabase; group: string };
let runs: Mode[] = [];
beforeAll(async () => {
  runs = await Promise.all(
    modes.map(async (mode) => {
      const db = await createTestDatabase(endpoints.DATABASE_URL);
      await db.pool.query(
        'CREATE TABLE sums (instance_id text PRIMARY KEY, total bigint NOT NULL, records bigint NOT NULL)',
      );
      return { ...mode, db, group: `gap-retention-${mode.mode.replace(' ', '-')}-${randomUUID()}` };
    }),
  );
});
afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await Promise.all(runs.map((run) => run.db.drop()));
});

describe('a topic whose log start was advanced', () => {
  it('a group whose stored offsets were deleted, then a rebuild into empty tables: sums exactly the surviving records, logs each gap once, seeks a bounded number of times (per fetch and coalescing)', async () => {
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

    // A group that stopped at a quarter of each partition, long enough ago that retention deleted what came next.
    const quarters = new Map([...middles].map(([partition, middle]) => [partition, Math.floor(Number(middle) / 2)]));
    for (const run of runs)
      for (const [partition, quarter] of quarters)
        await advanceOffset(run.db.pool, run.group, spec.name, partition, undefined, String(quarter));

    const envOf = (run: Mode) => ({
      SUM_TOPIC: spec.name,
      SUM_GROUP: run.group,
      DB_SCHEMA: run.db.schema,
      LOG_LEVEL: 'info',
      ...run.env,
    });
    const done = (run: Mode) => () => storedAtEnd(run.db.pool, run.group, spec.name, ends);
    /** Runs both modes at once, then checks each: exact sums, one gap per partition of `gapOf` offsets, no loop. */
    const rebuild = async (gapOf: (partition: number) => number) => {
      const consumers = await Promise.all(runs.map((run) => startSumConsumer(envOf(run))));
      children.push(...consumers.map((consumer) => consumer.child));
      for (const [index, run] of runs.entries()) {
        const { child, metric } = consumers[index]!;
        expect(await eventually(done(run), 60_000), `${run.mode}: ${child.output()}`).toBe(true);
        expect(await readSums(run.db.pool), run.mode).toEqual(expected);
        expect(await recordsSummed(run.db.pool), run.mode).toBe(survivors.length);
        for (const partition of middles.keys()) {
          const labels = { partition: String(partition) };
          expect(await metric('tally_consumer_offset_gaps_total', labels), run.mode).toBe(1);
          expect(await metric('tally_consumer_offsets_skipped_total', labels), run.mode).toBe(gapOf(partition));
        }
        expect(await metric('tally_consumer_seeks_total'), run.mode).toBeLessThanOrEqual(2 * middles.size);
      }
      const seeks = await Promise.all(consumers.map(({ metric }) => metric('tally_consumer_seeks_total')));
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      for (const [index, run] of runs.entries()) {
        const { child, metric } = consumers[index]!;
        expect(await metric('tally_consumer_seeks_total'), run.mode).toBe(seeks[index]);
        expect(child.output().match(/offset gap accepted/g) ?? [], run.mode).toHaveLength(middles.size);
        child.process.kill('SIGTERM');
        expect(await child.exited, `${run.mode}: ${child.output()}`).toBe(0);
        expect(await readSums(run.db.pool), run.mode).toEqual(expected);
      }
    };

    await rebuild((partition) => Number(middles.get(partition)) - quarters.get(partition)!);
    // The README's replay: reset the rows while the group's Kafka offsets sit at the end; it rebuilds from 0 again.
    for (const run of runs) await run.db.pool.query('TRUNCATE sums, consumer_offsets');
    await rebuild((partition) => Number(middles.get(partition)));
  }, 90_000);
});
