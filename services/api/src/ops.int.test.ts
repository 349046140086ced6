/**
 * The operator routes and startApi over real HTTP, on the real broker, registry and PostgreSQL: lag and a stalled
 * partition from stored offsets, a topic's dead letters with their re-driven state, late samples by account and
 * hour; each as the CLI computes it.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createToken } from '@tally/cli/tokens';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import {
  applyTopics,
  createIdempotentProducer,
  createKafka,
  createRegistry,
  deadLetterHeaders,
  deadLetterTopicOf,
  registerSchemas,
  topics,
  typedTopic,
  typedTopics,
  valueCodec,
  type LateSample,
  type TopicSpec,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiEnv } from './config.ts';
import { startApi, type RunningApi } from './start.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('api-ops-test', 'warn');
const kafka = createKafka('api-ops-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const run = `ao${randomBytes(4).toString('hex')}`;
const samples: TopicSpec = { ...topics.trafficSamples, name: `test.${run}.samples`, partitions: 2 };
const late: TopicSpec = { ...topics.lateSamples, name: `test.${run}.late`, partitions: 1 };
const dlq: TopicSpec = { name: deadLetterTopicOf(samples.name), partitions: 1, cleanupPolicy: 'delete', key: 'k' };
const group = `metering-${run}`;
const HOUR = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 10 * 86_400_000;

let db: TestDatabase;
let api: RunningApi;
let operator: string;

const lateSample = (instance: string, slot: number): LateSample => ({
  reason: 'older than retention',
  detectedAt: HOUR + 8 * 86_400_000,
  sample: {
    hypervisorId: 'hv-1',
    instanceId: `${run}-${instance}`,
    interfaceId: 'eth0',
    windowStart: HOUR + slot * 30_000,
    rxBytes: 1,
    txBytes: 2,
    rxPackets: 3,
    txPackets: 4,
    cpuSeconds: '0.5',
  },
});

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [samples, late, dlq]);
  await admin.disconnect();
  await registerSchemas(registry, schemasDir, [late]);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  await producer.send({
    topic: samples.name,
    acks: -1,
    messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: 0 })),
  });
  await producer.send({
    topic: dlq.name,
    acks: -1,
    messages: [0, 1, 2].map((i) => ({
      key: `i-${i}`,
      value: `bad-${i}`,
      headers: {
        [deadLetterHeaders.errorClass]: 'ValidationFailed',
        [deadLetterHeaders.errorMessage]: `txBytes: negative (${i})`,
        [deadLetterHeaders.sourceTopic]: samples.name,
        [deadLetterHeaders.sourcePartition]: '0',
        [deadLetterHeaders.sourceOffset]: String(i),
        [deadLetterHeaders.service]: 'metering',
        [deadLetterHeaders.time]: new Date(Date.parse('2026-11-30T10:00:00Z') + i * 60_000).toISOString(),
      },
    })),
  });
  const codec = valueCodec(registry, typedTopic(late, typedTopics.lateSamples.schema));
  const lates = [lateSample('i1', 0), lateSample('i1', 0), lateSample('i1', 1), lateSample('i9', 0)];
  await producer.send({
    topic: late.name,
    acks: -1,
    messages: await Promise.all(lates.map(async (l) => ({ key: l.sample.instanceId, value: await codec.encode(l) }))),
  });
  await producer.disconnect();

  // Partition 0 stored at 6 an hour ago: lag 4 and stalled. One dead letter was re-driven.
  await db.pool.query(
    `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, updated_at)
     VALUES ($1, $2, 0, 6, now() - interval '1 hour')`,
    [group, samples.name],
  );
  await db.pool.query(
    `INSERT INTO redriven_dead_letters (dlq_topic, partition, "offset", error_class) VALUES ($1, 0, 0, 'ValidationFailed')`,
    [dlq.name],
  );
  await db.pool.query(`INSERT INTO inventory (instance_id, record, updated_at) VALUES ($1, $2, now())`, [
    `${run}-i1`,
    JSON.stringify({ instanceId: `${run}-i1`, accountId: `${run}-acct` }),
  ]);
  operator = (await createToken(db.pool, 'olga', 'operator')).token;

  const env = {
    ...process.env,
    DB_SCHEMA: db.schema,
    API_PORT: '0',
    METERING_GROUP: group,
    METERING_SAMPLES_TOPIC: samples.name,
    METERING_LATE_TOPIC: late.name,
    LOG_LEVEL: 'warn',
  };
  api = await startApi(loadConfig(apiEnv, env), env, log);
}, 120_000);

afterAll(async () => {
  await api.close();
  await db.drop();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [samples.name, late.name, dlq.name] }).catch(() => undefined);
  await admin.disconnect();
});

async function get<T>(path: string): Promise<T> {
  const response = await fetch(`${api.url}${path}`, { headers: { authorization: `Bearer ${operator}` } });
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as T;
}

describe('operator routes', () => {
  it('shows lag and the stalled partition as tally status does', async () => {
    const report = await get<{
      groups: { group: string; partitions: { partition: number; lag: string; stalled: boolean }[] }[];
      deadLetters24h: { topic: string; records: number | null }[];
      billing: { staleAccounts: number; parked: unknown[]; pendingHours: number };
    }>('/v1/ops/status?stallAfter=600');
    const metering = report.groups.find((g) => g.group === group)!;
    expect(metering.partitions.map((p) => [p.partition, p.lag, p.stalled])).toEqual([
      [0, '4', true],
      [1, '0', false],
    ]);
    expect(report.deadLetters24h.find((t) => t.topic === dlq.name)).toEqual({ topic: dlq.name, records: 3 });
    // Billing's hourly backlog comes through the route's schema too (nothing is marked in this database).
    expect(report.billing).toMatchObject({ staleAccounts: 0, parked: [], pendingHours: 0 });
  }, 60_000);

  it("counts a topic's dead letters, the ones not re-driven, and lists the latest first", async () => {
    const letters = await get<{
      count: number;
      waiting: number;
      latest: { offset: string; errorClass: string; redriven: boolean | null }[];
    }>(`/v1/ops/dead-letters?topic=${samples.name}&limit=2`);
    expect(letters).toMatchObject({ count: 3, waiting: 2 });
    expect(letters.latest.map((l) => [l.offset, l.redriven])).toEqual([
      ['2', false],
      ['1', false],
    ]);
  }, 60_000);

  it('groups late samples by account and hour, unknown instances apart', async () => {
    const summary = await get<{
      records: number;
      groups: { accountId: string | null; records: number; samples: number; reasons: Record<string, number> }[];
    }>('/v1/ops/late');
    expect(summary.records).toBe(4);
    expect(summary.groups.map((g) => [g.accountId, g.records, g.samples])).toEqual([
      [`${run}-acct`, 3, 2],
      [null, 1, 1],
    ]);
    const one = await get<{ records: number }>(`/v1/ops/late?account=${run}-acct`);
    expect(one.records).toBe(3);
  }, 60_000);
});
