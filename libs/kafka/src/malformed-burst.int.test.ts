/**
 * Production input for the consumer runtime, on the per-fetch and the coalescing path (commitIntervalMs) side by
 * side on one topic, each into its own schema and naming itself in its dead letters: a burst of thousands of
 * malformed records (not Avro, failing validation, refused by a business rule) interleaved with good ones, a few
 * records that break the pipeline or the commit (so a coalesced range holding hundreds of dead letters is read again
 * batch by batch), and records near the broker's message size limit. Every bad record is dead-lettered once with
 * its reason (shrunk to fit where it is too large), every good one counted once, the partitions reach their end,
 * and nothing is retried.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import { eventually, type ChildHandle } from '@tally/testing';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopics } from './apply-topics.ts';
import { deadLetterTopicOf, topics, type TopicSpec } from './catalog.ts';
import { createKafka } from './client.ts';
import { deadLetterHeaders } from './dead-letter.ts';
import { createIdempotentProducer } from './producer.ts';
import { readToEnd } from './read-to-end.ts';
import { createRegistry, registerSchemas } from './registry.ts';
import { sendSized } from './sized-send.ts';
import { testEndpoints } from './test-env.ts';
import { readSums, sample, samplesCodec, startSumConsumer, storedAtEnd, type Sums } from './testing/sum-kit.ts';

const endpoints = testEndpoints();
const kafka = createKafka('burst-test', endpoints.KAFKA_BROKERS, createLogger('burst-test', 'warn'));
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const children: ChildHandle[] = [];

const modes = [
  { mode: 'per fetch', env: {} },
  // 16 KiB fetches (~150 records) held up to 1 s or 2 000 records: a hold spans many fetches and dead letters.
  { mode: 'coalescing', env: { COMMIT_INTERVAL_MS: '1000', COMMIT_MAX_RECORDS: '2000' } },
] as const;
type Run = (typeof modes)[number] & { db: TestDatabase; group: string; service: string };
let runs: Run[] = [];
beforeAll(async () => {
  runs = await Promise.all(
    modes.map(async (mode) => {
      const db = await createTestDatabase(endpoints.DATABASE_URL);
      await db.pool.query(
        'CREATE TABLE sums (instance_id text PRIMARY KEY, total bigint NOT NULL, records bigint NOT NULL)',
      );
      const service = `burst-${mode.mode.replace(' ', '-')}`;
      return { ...mode, db, service, group: `${service}-${randomUUID()}` };
    }),
  );
});
afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await Promise.all(runs.map((run) => run.db.drop()));
});

/** Just under the broker's default max.message.bytes (1,048,588) once key, headers and batch overhead are added. */
const NEAR_LIMIT = 1_040_000;

describe('a burst of malformed records and records near the size limit', () => {
  it('dead-letters each bad record once with its reason, counts each good one once, and moves on without retries (per fetch and coalescing)', async () => {
    const spec: TopicSpec = { ...topics.trafficSamples, name: `test.burst.${randomUUID()}`, partitions: 2 };
    const admin = kafka.admin();
    await admin.connect();
    await applyTopics(admin, [
      spec,
      { name: deadLetterTopicOf(spec.name), partitions: 1, cleanupPolicy: 'delete', key: 'original key' },
    ]);
    await registerSchemas(registry, schemasDir, [spec]);
    const codec = samplesCodec(registry, spec);
    const schemaId = await registry.getLatestSchemaId(`${spec.name}-value`);

    // One bad record in three; sum-consumer's faults (SUM_FAULTS=1) and records near the limit at a few places.
    const count = 4_500;
    const faults = new Map([
      [1_501, { txBytes: 77, errorClass: 'RangeError' }],
      [2_501, { txBytes: 88, errorClass: 'pg.22003' }],
      [3_601, { txBytes: 88, errorClass: 'pg.22003' }],
      [4_301, { txBytes: 99, errorClass: 'AccountClosedError' }],
    ]);
    const huge = Buffer.alloc(NEAR_LIMIT, 'x');
    const messages: Message[] = [];
    const expected: Sums = new Map();
    /** Dead letters expected, by key: error class and which part of the record had to be left out. */
    const bad = new Map<string, { errorClass: string; truncated?: string }>();
    const good = (i: number, instanceId: string, headers?: Message['headers']) => {
      const value = sample(instanceId, i, 100 + (i % 50)); // never 13, 55, 77, 88 or 99
      const so = expected.get(instanceId) ?? { total: 0, records: 0 };
      expected.set(instanceId, { total: so.total + value.txBytes, records: so.records + 1 });
      return { key: instanceId, value: codec.encode(value), ...(headers ? { headers } : {}) };
    };
    const pending: { key: string; value: Promise<Buffer> | Buffer; headers?: Message['headers'] }[] = [];
    for (let i = 0; i < count; i += 1) {
      const fault = faults.get(i);
      if (fault !== undefined) {
        const key = `fault-${fault.txBytes}-${i}`;
        bad.set(key, { errorClass: fault.errorClass });
        pending.push({ key, value: codec.encode(sample(key, i, fault.txBytes)) });
      } else if (i === 1_000) {
        // A good record near the limit (its headers are): counted like any other.
        pending.push(good(i, 'big-good', { trace: huge }));
      } else if (i === 2_000) {
        bad.set('big-garbage', { errorClass: 'NotAvro', truncated: deadLetterHeaders.valueTruncated });
        pending.push({ key: 'big-garbage', value: huge });
      } else if (i === 3_000) {
        const value = { ...sample('big-invalid', i, 100), hypervisorId: huge.toString() };
        bad.set('big-invalid', { errorClass: 'ValidationFailed', truncated: deadLetterHeaders.valueTruncated });
        pending.push({ key: 'big-invalid', value: registry.encode(schemaId, value) });
      } else if (i === 4_000) {
        // Refused by the business rule; its headers alone are too large for a dead letter.
        bad.set('big-refused', { errorClass: 'BusinessRule', truncated: deadLetterHeaders.headersTruncated });
        pending.push({
          key: 'big-refused',
          value: codec.encode(sample('big-refused', i, 13)),
          headers: { trace: huge },
        });
      } else if (i % 3 === 1) {
        const kind = (['garbage', 'invalid', 'refused'] as const)[Math.floor(i / 3) % 3]!;
        const key = `${kind}-${i}`;
        if (kind === 'garbage') {
          bad.set(key, { errorClass: 'NotAvro' });
          pending.push({ key, value: Buffer.from(`not avro ${i}`) });
        } else if (kind === 'invalid') {
          bad.set(key, { errorClass: 'ValidationFailed' });
          pending.push({ key, value: registry.encode(schemaId, { ...sample(key, i, 100), rxBytes: -1 }) });
        } else {
          bad.set(key, { errorClass: 'BusinessRule' });
          pending.push({ key, value: codec.encode(sample(key, i, 13)) });
        }
      } else {
        pending.push(good(i, `i-${i % 20}`));
      }
    }
    for (const { key, value, headers } of pending)
      messages.push({ key, value: await value, ...(headers ? { headers } : {}) });
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const refused = await sendSized(
      producer,
      messages.map((message) => ({ topic: spec.name, message })),
    );
    await producer.disconnect();
    expect(refused).toEqual([]);
    const ends = new Map((await admin.fetchTopicOffsets(spec.name)).map((p) => [p.partition, p.high]));
    await admin.disconnect();

    const started = Date.now();
    const consumers = await Promise.all(
      runs.map((run) =>
        startSumConsumer({
          SUM_TOPIC: spec.name,
          SUM_GROUP: run.group,
          SUM_SERVICE: run.service,
          SUM_FAULTS: '1',
          DB_SCHEMA: run.db.schema,
          ...run.env,
        }),
      ),
    );
    children.push(...consumers.map((consumer) => consumer.child));
    for (const [index, run] of runs.entries()) {
      const { child } = consumers[index]!;
      const done = () => storedAtEnd(run.db.pool, run.group, spec.name, ends);
      expect(await eventually(done, 60_000), `${run.mode}: ${child.output()}`).toBe(true);
    }
    console.info(`both modes at the end after ${Date.now() - started} ms`);

    const letters = await readToEnd(kafka, deadLetterTopicOf(spec.name));
    for (const [index, run] of runs.entries()) {
      const { child, metric } = consumers[index]!;
      expect(await readSums(run.db.pool), run.mode).toEqual(expected);
      const ours = letters.filter(
        ({ message }) => message.headers?.[deadLetterHeaders.service]?.toString() === run.service,
      );
      // Each bad record once: no duplicates, none missing.
      const keys = ours.map(({ message }) => message.key?.toString() ?? '').sort();
      expect(keys.length, run.mode).toBe(bad.size);
      expect(keys, run.mode).toEqual([...bad.keys()].sort());
      for (const { message } of ours) {
        const key = message.key?.toString() ?? '';
        const want = bad.get(key)!;
        const headers = message.headers ?? {};
        expect(headers[deadLetterHeaders.errorClass]?.toString(), `${run.mode} ${key}`).toBe(want.errorClass);
        expect(headers[deadLetterHeaders.errorMessage]?.toString().length, `${run.mode} ${key}`).toBeGreaterThan(0);
        expect(headers[deadLetterHeaders.sourceTopic]?.toString()).toBe(spec.name);
        if (want.truncated !== undefined)
          expect(headers[want.truncated]?.toString(), `${run.mode} ${key}`).toBeDefined();
        else expect(headers[deadLetterHeaders.valueTruncated], `${run.mode} ${key}`).toBeUndefined();
      }
      // Counted once too, isolated where the pipeline or the commit failed, and nothing retried (no storm).
      expect(await metric('tally_dead_lettered_total'), run.mode).toBe(bad.size);
      expect(await metric('tally_consumer_isolated_records_total'), run.mode).toBe(faults.size);
      expect(await metric('tally_retries_total'), run.mode).toBe(0);
      // The assignment's seek per partition; coalescing also sought back once for each coalesced commit that met an
      // 88 (its range read again batch by batch), so the test did cover that fallback.
      const seeks = await metric('tally_consumer_seeks_total');
      if (run.mode === 'coalescing') expect(seeks, run.mode).toBeGreaterThanOrEqual(spec.partitions + 2);
      else expect(seeks, run.mode).toBe(spec.partitions);
      child.process.kill('SIGTERM');
      expect(await child.exited, `${run.mode}: ${child.output()}`).toBe(0);
    }
  }, 120_000);
});
