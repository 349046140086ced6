/**
 * Issue 10, item 1: on a compacted topic the log start stays 0 while the cleaner removes records, so a stored (or
 * empty) offset points at records that no longer exist. A rebuild from empty tables must complete anyway, and so
 * must a group whose stored offsets point at records the cleaner removed. Each case runs on the per-fetch and the
 * coalescing path (commitIntervalMs), all four side by side on one cleaned topic, each into its own schema.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { advanceOffset, createTestDatabase, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import type { TrafficSample } from '@tally/records';
import { eventually, type ChildHandle } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadLetterTopicOf, topics, type TopicSpec } from './catalog.ts';
import { createKafka } from './client.ts';
import { readToEnd } from './read-to-end.ts';
import { createRegistry, registerSchemas } from './registry.ts';
import { testEndpoints } from './test-env.ts';
import { produce, readSums, sample, samplesCodec, startSumConsumer, storedAtEnd } from './testing/sum-kit.ts';

const endpoints = testEndpoints();
const kafka = createKafka('gap-compaction-test', endpoints.KAFKA_BROKERS, createLogger('gap-compaction-test', 'warn'));
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const children: ChildHandle[] = [];

const modes = [
  { mode: 'per fetch', env: {} },
  // 16 KiB fetches held up to 400 ms or 600 records: commits span several fetches.
  { mode: 'coalescing', env: { COMMIT_INTERVAL_MS: '400', COMMIT_MAX_RECORDS: '600' } },
] as const;
/** From empty tables, or from stored offsets the cleaner removed. */
const starts = ['empty tables', 'removed stored offsets'] as const;
type Run = (typeof modes)[number] & { start: (typeof starts)[number]; db: TestDatabase; group: string };
let runs: Run[] = [];
beforeAll(async () => {
  runs = await Promise.all(
    modes.flatMap((mode) =>
      starts.map(async (start) => {
        const db = await createTestDatabase(endpoints.DATABASE_URL);
        await db.pool.query(
          'CREATE TABLE sums (instance_id text PRIMARY KEY, total bigint NOT NULL, records bigint NOT NULL)',
        );
        return { ...mode, start, db, group: `gap-compaction-${randomUUID()}` };
      }),
    ),
  );
});
afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await Promise.all(runs.map((run) => run.db.drop()));
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
  it('rebuilds to the latest value per key from empty tables and from removed stored offsets, without looping (per fetch and coalescing)', async () => {
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

    // Per partition, an offset the cleaner removed between two it kept (else just before the first it kept).
    const kept = await readToEnd(kafka, spec.name);
    const removed = new Map<number, bigint>();
    for (let partition = 0; partition < spec.partitions; partition += 1) {
      const offsets = kept
        .filter((record) => record.partition === partition)
        .map((record) => BigInt(record.message.offset))
        .sort((a, b) => (a < b ? -1 : 1));
      const hole = offsets.findIndex((offset, i) => i + 1 < offsets.length && offsets[i + 1]! > offset + 1n);
      removed.set(partition, hole === -1 ? offsets[0]! - 1n : offsets[hole]! + 1n);
    }
    // From the removed offsets, the latest value per key among the records at or after them.
    const latestAfter = new Map<string, number>();
    for (const { partition, message } of kept) {
      if (BigInt(message.offset) < removed.get(partition)!) continue;
      const value = await codec.decode(message.value);
      latestAfter.set(value.instanceId, value.txBytes);
    }

    for (const run of runs)
      if (run.start === 'removed stored offsets')
        for (const [partition, offset] of removed)
          await advanceOffset(run.db.pool, run.group, spec.name, partition, undefined, offset.toString());
    const consumers = await Promise.all(
      runs.map((run) =>
        startSumConsumer({
          SUM_TOPIC: spec.name,
          SUM_GROUP: run.group,
          SUM_MODE: 'latest',
          DB_SCHEMA: run.db.schema,
          LOG_LEVEL: 'info',
          ...run.env,
        }),
      ),
    );
    children.push(...consumers.map((consumer) => consumer.child));
    const seeks: number[] = [];
    for (const [index, run] of runs.entries()) {
      const { child, metric } = consumers[index]!;
      const label = `${run.mode} from ${run.start}`;
      const done = () => storedAtEnd(run.db.pool, run.group, spec.name, ends);
      expect(await eventually(done, 60_000), `${label}: ${child.output()}`).toBe(true);
      const sums = await readSums(run.db.pool);
      expect(new Map([...sums].map(([key, { total }]) => [key, total])), label).toEqual(
        run.start === 'empty tables' ? latest : latestAfter,
      );
      // Each partition's leading gap is accepted once; the seeks are the assignment's, not a loop.
      expect(await metric('tally_consumer_offset_gaps_total'), label).toBeGreaterThanOrEqual(spec.partitions);
      expect((child.output().match(/offset gap accepted/g) ?? []).length, label).toBeGreaterThanOrEqual(
        spec.partitions,
      );
      seeks.push(await metric('tally_consumer_seeks_total'));
      expect(seeks[index], label).toBeLessThanOrEqual(2 * spec.partitions);
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const [index, run] of runs.entries()) {
      const { child, metric } = consumers[index]!;
      const label = `${run.mode} from ${run.start}`;
      expect(await metric('tally_consumer_seeks_total'), label).toBe(seeks[index]);
      child.process.kill('SIGTERM');
      expect(await child.exited, `${label}: ${child.output()}`).toBe(0);
    }
  }, 120_000);
});
