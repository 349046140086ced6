import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connectionEnv, loadConfig } from '@tally/config';
import { advanceOffset, createTestDatabase, inTransaction, type TestDatabase } from '@tally/db';
import {
  createIdempotentProducer,
  createKafka,
  createRegistry,
  enqueueOutbox,
  publishOutboxBatch,
  registerSchemas,
  topics,
  typedTopic,
  valueCodec,
  type TopicSpec,
  type ValueCodec,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { usageHourly, type UsageHourly } from '@tally/records';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeGate } from './caught-up.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('caught-up-test', 'fatal');
const kafka = createKafka('caught-up-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
});
afterAll(() => db.drop());

const hour = Date.UTC(2026, 0, 1, 10);
function usage(instanceId: string, version: number, hourStart = hour): UsageHourly {
  return {
    instanceId,
    accountId: 'a-1',
    instanceType: 's1.small',
    hourStart,
    runningSeconds: 30,
    rxBytes: 1,
    txBytes: 1,
    rxPackets: 1,
    txPackets: 1,
    cpuSeconds: '0',
    counted: [{ interfaceId: 'eth0', slots: [0] }],
    version,
  };
}

describe("billing's finalizer gate", () => {
  it('is false while a usage.hourly row is unsent in metering outbox or parked, and while billing is behind', async () => {
    const spec: TopicSpec = { ...topics.usageHourly, name: `test.caught-up.${randomUUID()}`, partitions: 1 };
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: spec.name, numPartitions: 1 }] });
    await registerSchemas(registry, schemasDir, [spec]);
    const codec = valueCodec(registry, typedTopic(spec, usageHourly)) as ValueCodec<unknown>;
    const producer = createIdempotentProducer(kafka);
    await producer.connect();
    const metrics = new Registry();
    const groupId = `billing-${randomUUID()}`;
    const ready = finalizeGate({
      admin,
      db: db.pool,
      groups: [{ groupId, topic: spec.name }],
      meteringSchema: db.schema,
      usageTopic: spec.name,
      log,
      registry: metrics,
    });
    const publish = () => publishOutboxBatch({ pool: db.pool, producer, log, codecs: new Map([[spec.name, codec]]) });
    const billingReadTo = (from: string | undefined, to: string) =>
      inTransaction(db.pool, (client) => advanceOffset(client, groupId, spec.name, 0, from, to));
    const parkedGauge = async () =>
      (await metrics.getSingleMetric('tally_finalize_parked_usage_rows')!.get()).values[0]?.value;

    try {
      expect(await ready()).toBe(true);

      // Metering committed usage that its publisher has not sent yet: wait.
      await enqueueOutbox(db.pool, spec.name, 'i-1', usage('i-1', 1));
      await enqueueOutbox(db.pool, 'another.topic.v1', 'x', { not: 'usage' });
      expect(await ready()).toBe(false);
      // Sent, but billing has not read it: still wait.
      expect((await publish()).published).toBe(1);
      expect(await ready()).toBe(false);
      await billingReadTo(undefined, '1');
      expect(await ready()).toBe(true);

      // A usage row that can never be sent is parked: refuse, with the metric saying how many.
      await enqueueOutbox(db.pool, spec.name, 'i-2', usage('i-2', 1, hour + 1));
      expect(await publish()).toEqual({ published: 0, parked: 1, superseded: 0 });
      expect(await ready()).toBe(false);
      expect(await parkedGauge()).toBe(1);
      const refusals = await metrics.getSingleMetric('tally_finalize_not_ready_total')!.get();
      expect(refusals.values.find((v) => v.labels['reason'] === 'usage-parked')?.value).toBe(1);

      // A later, valid value of the same instance-hour supersedes it; once billing has read it, finalizing may go on.
      await enqueueOutbox(db.pool, spec.name, 'i-2', usage('i-2', 2));
      expect(await publish()).toEqual({ published: 1, parked: 0, superseded: 1 });
      expect(await ready()).toBe(false);
      await billingReadTo('1', '2');
      expect(await ready()).toBe(true);
      expect(await parkedGauge()).toBe(0);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  }, 60_000);
});
