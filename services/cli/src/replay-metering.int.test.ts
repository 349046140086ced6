/**
 * `tally replay metering` with the metering service as a child process, on real Kafka, registry and PostgreSQL:
 * the decision that offsets alone are enough for metering, checked. Samples (with agent resends) are metered; one
 * instance-hour row is then lost behind Tally's back; a replay from the earliest offsets makes metering re-read
 * every sample. The lost row comes back exactly as it was, every other row is not even rewritten (same version,
 * same updated_at), and usage.hourly gets exactly one new record: nothing is counted twice.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, loadOffsets, type TestDatabase } from '@tally/db';
import {
  applyTopics,
  createIdempotentProducer,
  createKafka,
  createRegistry,
  deadLetterTopicOf,
  registerSchemas,
  topics,
  typedTopics,
  valueCodec,
  type TopicSpec,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import type { Instance, TrafficSample } from '@tally/records';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from './command.ts';
import { dispatch } from './dispatch.ts';
import { replay } from './replay.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('replay-metering-test', 'warn');
const kafka = createKafka('replay-metering-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const meteringMain = fileURLToPath(new URL('../../metering/src/main.ts', import.meta.url));
const run = `rm${randomBytes(4).toString('hex')}`;
const children: ChildHandle[] = [];
const named = (spec: TopicSpec, suffix: string, partitions: number): TopicSpec => ({
  ...spec,
  name: `test.${run}.${suffix}`,
  partitions,
});
const specs = {
  samples: named(topics.trafficSamples, 'samples', 2),
  instances: named(topics.instances, 'instances', 1),
  usage: named(topics.usageHourly, 'usage', 2),
  late: named(topics.lateSamples, 'late', 1),
};
const HOUR = 3_600_000;
// Two hours ago: well inside metering's retention, so nothing is late.
const H = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
const INSTANCES = ['i1', 'i2', 'i3'].map((i) => `${run}-${i}`);
const WINDOWS = 40;

let db: TestDatabase;
let env: Record<string, string>;

function sample(instanceId: string, i: number): TrafficSample {
  return {
    hypervisorId: 'hv-1',
    instanceId,
    interfaceId: 'eth0',
    windowStart: H + i * 30_000,
    rxBytes: 1000 + i,
    txBytes: 2000 + i,
    rxPackets: 10,
    txPackets: 20,
    cpuSeconds: '0.25',
  };
}

function startMetering(): ChildHandle {
  const child = startNodeChild(meteringMain, {
    ...env,
    METERING_METRICS_PORT: '0',
    METERING_SESSION_TIMEOUT_MS: '6000',
    METERING_PENDING_FLUSH_MS: '500',
    LOG_LEVEL: 'warn',
  });
  children.push(child);
  return child;
}

async function high(topic: string): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition);
  await admin.disconnect();
  return ends.map((e) => e.high).join(',');
}

/** Metering has read every sample and published its outbox. */
async function caughtUp(child: ChildHandle): Promise<void> {
  const end = await high(specs.samples.name);
  const done = await eventually(
    async () => {
      const stored = await loadOffsets(db.pool, env['METERING_GROUP']!, specs.samples.name);
      const outbox = await db.pool.query('SELECT 1 FROM outbox');
      return [0, 1].map((p) => stored.get(p) ?? '0').join(',') === end && outbox.rowCount === 0;
    },
    90_000,
    300,
  );
  expect(done, child.output()).toBe(true);
}

async function stop(child: ChildHandle): Promise<void> {
  child.process.kill('SIGTERM');
  expect(await child.exited, child.output()).toBe(0);
}

/** Every usage_hourly row, every column, as PostgreSQL renders it. */
async function usageRows(): Promise<string[]> {
  const result = await db.pool.query<{ row: string }>(
    `SELECT row_to_json(u)::text AS row FROM usage_hourly u ORDER BY instance_id, hour_start`,
  );
  return result.rows.map((r) => r.row);
}

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  env = {
    DB_SCHEMA: db.schema,
    METERING_GROUP: `metering-${run}`,
    METERING_INVENTORY_GROUP: `metering-inventory-${run}`,
    METERING_SAMPLES_TOPIC: specs.samples.name,
    METERING_INSTANCES_TOPIC: specs.instances.name,
    METERING_USAGE_TOPIC: specs.usage.name,
    METERING_LATE_TOPIC: specs.late.name,
  };
  const deadLetters = [specs.samples, specs.instances].map((spec): TopicSpec => ({
    name: deadLetterTopicOf(spec.name),
    partitions: 1,
    cleanupPolicy: 'delete',
    key: 'k',
  }));
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [...Object.values(specs), ...deadLetters]);
  await admin.disconnect();
  await registerSchemas(registry, schemasDir, Object.values(specs));

  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const instanceCodec = valueCodec(registry, { ...typedTopics.instances, spec: specs.instances });
  const inventory: Instance[] = INSTANCES.map((instanceId) => ({
    instanceId,
    accountId: `${run}-acc`,
    instanceType: 's1.small',
    zone: 'z1',
    state: 'running',
    createdAt: H - HOUR,
    updatedAt: H - HOUR,
  }));
  const instanceMessages = [];
  for (const i of inventory) instanceMessages.push({ key: i.instanceId, value: await instanceCodec.encode(i) });
  await producer.send({ topic: specs.instances.name, acks: -1, messages: instanceMessages });
  const sampleCodec = valueCodec(registry, { ...typedTopics.trafficSamples, spec: specs.samples });
  const messages = [];
  for (const instanceId of INSTANCES) {
    for (let i = 0; i < WINDOWS; i += 1) {
      const value = await sampleCodec.encode(sample(instanceId, i));
      messages.push({ key: instanceId, value });
      if (i % 4 === 0) messages.push({ key: instanceId, value }); // an agent resend
    }
  }
  await producer.send({ topic: specs.samples.name, acks: -1, messages });
  await producer.disconnect();
}, 60_000);

afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await db.drop();
});

describe('tally replay metering', () => {
  it('re-reads every sample from the earliest offsets, rebuilds a lost row and counts nothing twice', async () => {
    const first = startMetering();
    await caughtUp(first);
    await stop(first);
    const before = await usageRows();
    expect(before).toHaveLength(INSTANCES.length);
    expect(before.every((row) => (JSON.parse(row) as { version: number }).version === WINDOWS)).toBe(true);
    const usageEnd = await high(specs.usage.name);
    const lateEnd = await high(specs.late.name);

    // A row lost behind Tally's back.
    await db.pool.query('DELETE FROM usage_hourly WHERE instance_id = $1', [INSTANCES[1]]);

    let text = '';
    const io: CommandIo = { out: (t) => (text += t), err: (t) => (text += t), env: { ...process.env, ...env } };
    expect(await dispatch([replay], ['replay', 'metering', '--from', 'earliest', '--yes'], io), text).toBe(0);
    expect(text).toMatch(/offsets only: re-reading is idempotent/);
    expect(text).toMatch(/replayed: \d partitions rewound, 0 billing_usage rows/);

    const second = startMetering();
    await caughtUp(second);
    await stop(second);
    // Same rows, same versions, and the untouched ones not even rewritten (updated_at is that of the first run).
    const after = await usageRows();
    const lost = (row: string) => row.includes(`"${INSTANCES[1]}"`);
    expect(after.filter((row) => !lost(row))).toEqual(before.filter((row) => !lost(row)));
    const rebuilt = after.find(lost)!;
    const original = before.find(lost)!;
    const withoutTime = (row: string) => {
      const { updated_at: _ignored, ...rest } = JSON.parse(row) as Record<string, unknown>;
      return rest;
    };
    expect(withoutTime(rebuilt)).toEqual(withoutTime(original));
    // Exactly one usage.hourly record more (the rebuilt row), nothing late.
    const sum = (ends: string) => ends.split(',').reduce((s, n) => s + Number(n), 0);
    expect(sum(await high(specs.usage.name))).toBe(sum(usageEnd) + 1);
    expect(await high(specs.late.name)).toBe(lateEnd);
  }, 200_000);
});
