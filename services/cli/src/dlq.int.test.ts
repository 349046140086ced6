/**
 * `tally dlq list|show|redrive` on the real broker, registry and PostgreSQL: a redrive filtered by error class then
 * one without re-drives each dead letter exactly once (the ledger is per dead letter, not a group offset), and a dead
 * letter built from a sample that waited in metering's pending table is Avro in the registry wire format: `dlq show`
 * decodes it and, re-driven, it decodes with the topic's codec as the original sample — both from metering's
 * function directly and from a metering process (a glitching agent's 65th interface, released from waiting).
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import {
  applyTopics,
  createIdempotentProducer,
  createKafka,
  createRegistry,
  deadLetterTopicOf,
  poison,
  readToEnd,
  registerSchemas,
  sendDeadLetters,
  topics,
  typedTopic,
  valueCodec,
  type TopicSpec,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { instance, trafficSample, type Instance, type TrafficSample } from '@tally/records';
import { eventually, startNodeChild } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The function metering uses for rejected samples (services/metering/src/dead-letters.ts).
import { deadLettersOf } from '../../metering/src/dead-letters.ts';
import type { Command } from './command.ts';
import { dispatch } from './dispatch.ts';
import { dlqList } from './dlq-list.ts';
import { dlqRedrive } from './dlq-redrive.ts';
import { dlqShow } from './dlq-show.ts';

const endpoints = loadConfig(connectionEnv);
const kafka = createKafka('dlq-test', endpoints.KAFKA_BROKERS, createLogger('dlq-test', 'warn'));
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const run = randomBytes(4).toString('hex');
const spec: TopicSpec = { ...topics.trafficSamples, name: `test.dlq${run}.samples`, partitions: 1 };
const dlq = deadLetterTopicOf(spec.name);
const codec = valueCodec(registry, typedTopic(spec, trafficSample));
const meteringMain = fileURLToPath(new URL('../../metering/src/main.ts', import.meta.url));
// A whole metering process on its own topics, for samples that wait for their instance.
const m = {
  samples: { ...topics.trafficSamples, name: `test.dlq${run}.m.samples`, partitions: 1 },
  instances: { ...topics.instances, name: `test.dlq${run}.m.instances`, partitions: 1 },
  usage: { ...topics.usageHourly, name: `test.dlq${run}.m.usage`, partitions: 1 },
  late: { ...topics.lateSamples, name: `test.dlq${run}.m.late`, partitions: 1 },
} satisfies Record<string, TopicSpec>;
const mCodec = valueCodec(registry, typedTopic(m.samples, trafficSample));

let db: TestDatabase;

async function tally(command: Command, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await dispatch([command], [...command.path, ...argv], {
    out: (t) => (out += t),
    err: (t) => (err += t),
    env: { ...process.env, DB_SCHEMA: db.schema },
  });
  return { code, out, err };
}

function sample(instanceId: string, txBytes: number): TrafficSample {
  return {
    hypervisorId: 'hv-1',
    instanceId,
    interfaceId: 'eth0',
    windowStart: Date.UTC(2025, 2, 1, 10, 0, 30),
    rxBytes: 5,
    txBytes,
    rxPackets: 1,
    txPackets: 2,
    cpuSeconds: '1.5',
  };
}

const waiting = sample('i-waited', 777);

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [spec, { name: dlq, partitions: 1, cleanupPolicy: 'delete', key: 'original key' }]);
  await admin.disconnect();
  await registerSchemas(registry, schemasDir, [spec]);

  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const now = new Date();
  const raw = async (offset: number, s: TrafficSample) => ({
    topic: spec.name,
    partition: 0,
    offset: String(offset),
    key: Buffer.from(s.instanceId),
    value: await codec.encode(s),
  });
  // Three dead letters of two classes, as a consumer would write them...
  await sendDeadLetters(
    producer,
    [
      { record: await raw(10, sample('i-a', 1)), error: poison('ValidationFailed', 'a') },
      { record: await raw(11, sample('i-b', 2)), error: poison('BusinessRule', 'b') },
      { record: await raw(12, sample('i-c', 3)), error: poison('ValidationFailed', 'c') },
    ],
    'test',
    now,
  );
  // ...and one built by metering from a sample that waited for its instance too long (no original bytes left).
  const letters = await deadLettersOf(
    [{ sample: waiting, reason: 'unknown instance: waited too long' }],
    new Map(),
    { topic: spec.name, partition: -1 },
    (s) => codec.encode(s),
  );
  await sendDeadLetters(producer, letters, 'metering', now);
  await producer.disconnect();
}, 60_000);

afterAll(async () => {
  await db.drop();
  const admin = kafka.admin();
  await admin.connect();
  const mine = (await admin.listTopics()).filter((t) => t.startsWith(`test.dlq${run}.`));
  await admin.deleteTopics({ topics: mine }).catch(() => undefined);
  await admin.disconnect();
});

describe('tally dlq', () => {
  it('shows a waiting sample dead letter decoded, and re-drives each dead letter exactly once across filters', async () => {
    const listed = await tally(dlqList, [spec.name, '--json']);
    expect(listed.code, listed.err).toBe(0);
    const views = JSON.parse(listed.out) as { offset: string; errorClass: string; redriven: boolean }[];
    expect(views.map((v) => [v.offset, v.errorClass, v.redriven])).toEqual([
      ['0', 'ValidationFailed', false],
      ['1', 'BusinessRule', false],
      ['2', 'ValidationFailed', false],
      ['3', 'InvalidSample', false],
    ]);

    const shown = await tally(dlqShow, [spec.name, '0', '3']);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toMatch(/value \(Avro, schema id \d+, \d+ bytes\)/);
    expect(shown.out).toContain('"instanceId": "i-waited"');
    expect(shown.out).toContain('tally.error.class: InvalidSample');
    expect(shown.out).toContain('tally.source.offset: -1');
    expect((await tally(dlqShow, [spec.name, '0', '9'])).code).toBe(1);

    const first = await tally(dlqRedrive, [spec.name, '--error-class', 'ValidationFailed']);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toContain('2 dead letters re-driven');
    const second = await tally(dlqRedrive, [spec.name]);
    expect(second.out).toContain('2 dead letters re-driven');
    const third = await tally(dlqRedrive, [spec.name]);
    expect(third.out).toContain('0 dead letters re-driven');

    // Each dead letter arrived once in the source topic, and every one decodes, the waiting sample as it was.
    const source = await readToEnd(kafka, spec.name);
    const from = source.map((r) => r.message.headers?.['tally.redriven-from']?.toString());
    expect(from.sort()).toEqual([0, 1, 2, 3].map((offset) => `${dlq}[0]@${offset}`));
    const decoded = await Promise.all(source.map((r) => codec.decode(r.message.value)));
    expect(decoded.map((s) => s.instanceId).sort()).toEqual(['i-a', 'i-b', 'i-c', 'i-waited']);
    expect(decoded.find((s) => s.instanceId === 'i-waited')).toEqual(waiting);

    const after = JSON.parse((await tally(dlqList, [spec.name, '--json'])).out) as { redriven: boolean }[];
    expect(after.every((v) => v.redriven)).toBe(true);
  }, 60_000);
  it('re-drives a dead letter metering wrote for a sample that had waited for its instance, and it decodes', async () => {
    const all = Object.values(m);
    const admin = kafka.admin();
    await admin.connect();
    await applyTopics(admin, [
      ...all,
      ...[m.samples, m.instances].map((t): TopicSpec => ({
        name: deadLetterTopicOf(t.name),
        partitions: 1,
        cleanupPolicy: 'delete',
        key: 'k',
      })),
    ]);
    await admin.disconnect();
    await registerSchemas(registry, schemasDir, all);
    const child = startNodeChild(meteringMain, {
      DB_SCHEMA: db.schema,
      METERING_GROUP: `metering-${run}`,
      METERING_INVENTORY_GROUP: `metering-inventory-${run}`,
      METERING_SAMPLES_TOPIC: m.samples.name,
      METERING_INSTANCES_TOPIC: m.instances.name,
      METERING_USAGE_TOPIC: m.usage.name,
      METERING_LATE_TOPIC: m.late.name,
      METERING_RETENTION_DAYS: '100000',
      METERING_PENDING_FLUSH_MS: '300',
      METERING_METRICS_PORT: '0',
      METERING_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'warn',
    });
    try {
      // A glitching agent: 65 interfaces for an instance the inventory does not know yet. The samples wait in the
      // pending table; when the instance appears they are released, and the 65th is refused (64 per instance-hour).
      const glitch = Array.from({ length: 65 }, (_, i) => ({ ...sample('i-glitch', 100 + i), interfaceId: `eth${i}` }));
      const producer = createIdempotentProducer(kafka);
      await producer.connect();
      const messages = [];
      for (const s of glitch) messages.push({ key: s.instanceId, value: await mCodec.encode(s) });
      await producer.send({ topic: m.samples.name, acks: -1, messages });
      const pending = async () =>
        Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM metering_pending')).rows[0]!.n);
      expect(await eventually(async () => (await pending()) === 65, 60_000, 300), child.output()).toBe(true);
      const owner: Instance = {
        instanceId: 'i-glitch',
        accountId: 'acct-1',
        instanceType: 's1.small',
        zone: 'z1',
        state: 'running',
        createdAt: Date.UTC(2025, 0, 1),
        updatedAt: Date.UTC(2025, 0, 1),
      };
      const instanceCodec = valueCodec(registry, typedTopic(m.instances, instance));
      await producer.send({
        topic: m.instances.name,
        acks: -1,
        messages: [{ key: owner.instanceId, value: await instanceCodec.encode(owner) }],
      });
      await producer.disconnect();
      const lost = glitch[64]!;
      const mDlq = deadLetterTopicOf(m.samples.name);
      const arrived = await eventually(async () => (await readToEnd(kafka, mDlq)).length > 0, 60_000, 500);
      expect(arrived, child.output()).toBe(true);

      const shown = await tally(dlqShow, [m.samples.name, '0', '0']);
      expect(shown.code, shown.err).toBe(0);
      expect(shown.out).toMatch(/value \(Avro, schema id \d+/);
      expect(shown.out).toContain('"interfaceId": "eth64"');
      expect(shown.out).toContain('tally.error.class: InvalidSample');
      expect(shown.out).toContain('tally.service: metering');

      const redriven = await tally(dlqRedrive, [m.samples.name]);
      expect(redriven.out).toContain('1 dead letters re-driven');
      const back = (await readToEnd(kafka, m.samples.name)).filter((r) => r.message.headers?.['tally.redriven-from']);
      expect(back).toHaveLength(1);
      expect(await mCodec.decode(back[0]!.message.value)).toEqual(lost);
    } finally {
      child.process.kill('SIGTERM');
      await child.exited;
    }
  }, 90_000);
});
