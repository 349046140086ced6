/**
 * Coalescing across fetches (ConsumerSpec.commitIntervalMs): a consumer holds several fetches' results and commits
 * them in one transaction. Killed while it holds them, nothing was stored, so the next process reads them again and
 * every record counts once; a poison record inside a coalesced range is dead-lettered alone, its neighbours
 * committed once.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import type { TrafficSample } from '@tally/records';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopics } from './apply-topics.ts';
import { deadLetterTopicOf, topics, type TopicSpec } from './catalog.ts';
import { createKafka } from './client.ts';
import { readToEnd } from './read-to-end.ts';
import { createRegistry, registerSchemas } from './registry.ts';
import { testEndpoints } from './test-env.ts';
import { produce, readSums, recordsSummed, sample, samplesCodec, storedOffsets, type Sums } from './testing/sum-kit.ts';

const endpoints = testEndpoints();
const kafka = createKafka('coalesced-test', endpoints.KAFKA_BROKERS, createLogger('coalesced-test', 'warn'));
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const entry = fileURLToPath(new URL('./testing/coalesced-sum-consumer.ts', import.meta.url));
const children: ChildHandle[] = [];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await db.pool.query(
    'CREATE TABLE sums (instance_id text PRIMARY KEY, total bigint NOT NULL, records bigint NOT NULL)',
  );
  await db.pool.query(
    'CREATE TABLE commits (partition int NOT NULL, from_offset bigint, to_offset bigint NOT NULL, results int NOT NULL)',
  );
});
afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await db.drop();
});

async function freshTopic(partitions: number): Promise<TopicSpec> {
  const spec: TopicSpec = { ...topics.trafficSamples, name: `test.coalesced.${randomUUID()}`, partitions };
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

function start(spec: TopicSpec, group: string, env: NodeJS.ProcessEnv): ChildHandle {
  const child = startNodeChild(entry, { SUM_TOPIC: spec.name, SUM_GROUP: group, DB_SCHEMA: db.schema, ...env });
  children.push(child);
  return child;
}

async function stopGracefully(child: ChildHandle): Promise<number | null> {
  await eventually(() => Promise.resolve(child.output().includes('coalesced-sum-consumer ready')), 60_000, 50);
  child.process.kill('SIGTERM');
  return child.exited;
}

async function highWatermarks(topic: string): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
  } finally {
    await admin.disconnect();
  }
}

/** The most offsets one commit covered, and how many commits there were. */
async function commitSpans(): Promise<{ widest: number; commits: number }> {
  const result = await db.pool.query<{ widest: string | null; commits: string }>(
    'SELECT max(to_offset - coalesce(from_offset, 0)) AS widest, count(*) AS commits FROM commits',
  );
  return { widest: Number(result.rows[0]?.widest ?? 0), commits: Number(result.rows[0]?.commits ?? 0) };
}

describe('coalescing consumer', () => {
  it('killed while it holds fetches, re-reads them and counts every record once', async () => {
    await db.pool.query('TRUNCATE sums, commits');
    const spec = await freshTopic(3);
    const count = 60_000;
    const samples: TrafficSample[] = [];
    const expected: Sums = new Map();
    for (let i = 0; i < count; i += 1) {
      // From 100 up: never 77 or 88, the child's injected faults.
      const value = sample(`i-${i % 20}`, i, 100 + ((i * 7919) % 1000));
      samples.push(value);
      const so = expected.get(value.instanceId) ?? { total: 0, records: 0 };
      expected.set(value.instanceId, { total: so.total + value.txBytes, records: so.records + 1 });
    }
    await produce(kafka, samplesCodec(registry, spec), spec.name, samples);
    const group = `coalesced-kill-${randomUUID()}`;
    // 4 KiB fetches (~50 records) held up to 1.5 s or 2 000 records: most kills land while fetches are held.
    const env = { MAX_BYTES_PER_PARTITION: '4096', COMMIT_INTERVAL_MS: '1500', COMMIT_MAX_RECORDS: '2000' };
    let kills = 0;
    for (let round = 0; round < 6; round += 1) {
      const child = start(spec, group, env);
      await eventually(() => Promise.resolve(child.output().includes('coalesced-sum-consumer ready')), 60_000, 50);
      await new Promise((resolve) => setTimeout(resolve, 1000 + Math.random() * 1500));
      child.process.kill('SIGKILL');
      await child.exited;
      kills += 1;
      if ((await recordsSummed(db.pool)) >= count) break;
    }
    const last = start(spec, group, env);
    const finished = await eventually(async () => (await recordsSummed(db.pool)) >= count, 90_000);
    expect(await stopGracefully(last), last.output()).toBe(0);
    expect(finished, `summed ${await recordsSummed(db.pool)} of ${count} after ${kills} kills`).toBe(true);
    expect(await readSums(db.pool)).toEqual(expected);
    expect(await storedOffsets(db.pool, group, spec.name)).toEqual(await highWatermarks(spec.name));
    // Commits did span many fetches.
    const { widest } = await commitSpans();
    expect(widest).toBeGreaterThan(500);
    console.info(`${count} records, ${kills} kills, widest commit ${widest}`);
  }, 240_000);

  it('dead-letters a poison record inside a coalesced range alone, and commits its neighbours once', async () => {
    await db.pool.query('TRUNCATE sums, commits');
    const spec = await freshTopic(2);
    const count = 4_000;
    // 77 breaks the pipeline (found when its fetch is held), 88 the coalesced commit (found when it commits).
    const faultAt = new Map([
      [1_311, 77],
      [2_702, 88],
    ]);
    const samples: TrafficSample[] = [];
    const expected: Sums = new Map();
    for (let i = 0; i < count; i += 1) {
      const fault = faultAt.get(i);
      const instanceId = fault === undefined ? `i-${i % 20}` : `poison-${fault}`;
      const value = sample(instanceId, i, fault ?? 20 + (i % 30));
      samples.push(value);
      if (fault !== undefined) continue;
      const so = expected.get(instanceId) ?? { total: 0, records: 0 };
      expected.set(instanceId, { total: so.total + value.txBytes, records: so.records + 1 });
    }
    await produce(kafka, samplesCodec(registry, spec), spec.name, samples);
    const group = `coalesced-poison-${randomUUID()}`;
    // Everything of a partition fits one hold: the poison records sit inside coalesced ranges.
    const child = start(spec, group, {
      MAX_BYTES_PER_PARTITION: '4096',
      COMMIT_INTERVAL_MS: '3000',
      COMMIT_MAX_RECORDS: '100000',
    });
    const applied = count - faultAt.size;
    expect(await eventually(async () => (await recordsSummed(db.pool)) >= applied, 60_000), child.output()).toBe(true);
    const ends = await highWatermarks(spec.name);
    expect(
      await eventually(async () => (await readToEnd(kafka, deadLetterTopicOf(spec.name))).length >= 2, 30_000),
    ).toBe(true);
    const letters = await readToEnd(kafka, deadLetterTopicOf(spec.name));
    expect(
      letters
        .map(({ message }) => [message.key?.toString(), message.headers?.['tally.error.class']?.toString()])
        .sort(),
    ).toEqual([
      ['poison-77', 'RangeError'],
      ['poison-88', 'pg.22003'],
    ]);
    expect(await readSums(db.pool)).toEqual(expected);
    expect(
      await eventually(async () => {
        const stored = await storedOffsets(db.pool, group, spec.name);
        return [...ends].every(([partition, high]) => stored.get(partition) === high);
      }, 30_000),
    ).toBe(true);
    // The clean stretches before the poison were committed coalesced.
    expect((await commitSpans()).widest).toBeGreaterThan(500);
    expect(await stopGracefully(child), child.output()).toBe(0);
    expect(await readSums(db.pool)).toEqual(expected);
  }, 180_000);
});
