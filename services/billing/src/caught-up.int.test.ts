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
import type { Admin, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalizeGate, type FinalizeGateOptions } from './caught-up.ts';

/**
 * The finalizer's watermark gate on the real broker and PostgreSQL, stage by stage. Metering's side (its offsets,
 * held samples, outbox) is written here as metering writes it, in a schema of its own, so each stage can be held
 * at will; test/finalize-watermark.int.test.ts runs the real services.
 */

const endpoints = loadConfig(connectionEnv);
const log = createLogger('caught-up-test', 'fatal');
const kafka = createKafka('caught-up-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));

let billingDb: TestDatabase;
let meteringDb: TestDatabase;
let admin: Admin;
let producer: Producer;
beforeAll(async () => {
  [billingDb, meteringDb] = await Promise.all([
    createTestDatabase(endpoints.DATABASE_URL),
    createTestDatabase(endpoints.DATABASE_URL),
  ]);
  admin = kafka.admin();
  await admin.connect();
  producer = createIdempotentProducer(kafka);
  await producer.connect();
});
afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await Promise.all([billingDb?.drop(), meteringDb?.drop()]);
});

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

async function createTopic(name: string, partitions: number): Promise<void> {
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: name, numPartitions: partitions }] });
}

/** Fresh topics and groups for one test, and the helpers that play metering and billing on them. */
async function setup(withMetering: boolean) {
  const run = randomUUID();
  const usageSpec: TopicSpec = { ...topics.usageHourly, name: `test.caught-up.${run}.usage`, partitions: 1 };
  const samplesTopic = `test.caught-up.${run}.samples`;
  await createTopic(usageSpec.name, 1);
  await createTopic(samplesTopic, 2);
  await registerSchemas(registry, schemasDir, [usageSpec]);
  const codec = valueCodec(registry, typedTopic(usageSpec, usageHourly)) as ValueCodec<unknown>;
  const meteringGroup = `metering-${run}`;
  const billingGroup = `billing-${run}`;
  const metrics = new Registry();
  const options: FinalizeGateOptions = {
    admin,
    db: billingDb.pool,
    groups: [{ groupId: billingGroup, topic: usageSpec.name }],
    ...(withMetering ? { samples: { groupId: meteringGroup, topic: samplesTopic } } : {}),
    meteringSchema: meteringDb.schema,
    usageTopic: usageSpec.name,
    log,
    registry: metrics,
  };
  const offsetStore = (db: TestDatabase, groupId: string, topic: string) => {
    const at = new Map<number, string>();
    return async (partition: number, to: number) => {
      await inTransaction(db.pool, (client) =>
        advanceOffset(client, groupId, topic, partition, at.get(partition), String(to)),
      );
      at.set(partition, String(to));
    };
  };
  return {
    samplesTopic,
    usageTopic: usageSpec.name,
    options,
    metrics,
    gate: finalizeGate(options),
    /** Another billing process (or this one restarted): the same tables, its own metrics. */
    restartedGate: () => finalizeGate({ ...options, registry: new Registry() }),
    produceSamples: async (partition: number, count: number) => {
      const messages = Array.from({ length: count }, (_, i) => ({ partition, key: `i-${i}`, value: 'sample' }));
      await producer.send({ topic: samplesTopic, acks: -1, messages });
    },
    meteringReadTo: offsetStore(meteringDb, meteringGroup, samplesTopic),
    billingReadTo: offsetStore(billingDb, billingGroup, usageSpec.name),
    enqueueUsage: (value: UsageHourly) => enqueueOutbox(meteringDb.pool, usageSpec.name, value.instanceId, value),
    publish: () =>
      publishOutboxBatch({ pool: meteringDb.pool, producer, log, codecs: new Map([[usageSpec.name, codec]]) }),
    hold: (heldAt: number) =>
      meteringDb.pool.query(
        `INSERT INTO metering_pending (group_id, topic, partition, seq, sample, held_at) VALUES ($1, $2, 0, $3, '{}', $4)`,
        [meteringGroup, samplesTopic, heldAt % 1_000_000, heldAt],
      ),
    release: (heldAt: number) =>
      meteringDb.pool.query('DELETE FROM metering_pending WHERE group_id = $1 AND held_at = $2', [
        meteringGroup,
        heldAt,
      ]),
    rounds: async () =>
      (
        await billingDb.pool.query<{
          id: string;
          stage: string;
          taken_at: string;
          samples: unknown;
          outbox_max_id: string | null;
        }>(
          'SELECT id::text, stage, taken_at::text, samples, outbox_max_id::text FROM billing_finalize_watermarks ORDER BY id',
        )
      ).rows,
    refusals: async (reason: string) =>
      (await metrics.getSingleMetric('tally_finalize_not_ready_total')!.get()).values.find(
        (v) => v.labels['reason'] === reason,
      )?.value ?? 0,
  };
}

describe("billing's finalizer gate (watermark rounds)", () => {
  it('waits for metering to meter the samples snapshot, release held samples, send its usage, and billing to read it; later load is not waited for', async () => {
    await billingDb.pool.query('DELETE FROM billing_finalize_watermarks');
    const t = await setup(true);
    const dueAt = Date.UTC(2026, 1, 4);
    const now = dueAt + 1_000;

    await t.produceSamples(0, 3);
    // Metering holds one sample for its inventory; it wrote a usage row it has not sent yet.
    await t.hold(now - 5_000);
    await t.enqueueUsage(usage('i-1', 1));

    // A month falls due: a round snapshots traffic.samples (3 on partition 0; partition 1 empty) and waits.
    expect(await t.gate({ dueAt, now })).toBeUndefined();
    const [first] = await t.rounds();
    expect(first).toMatchObject({ stage: 'samples', taken_at: String(now) });
    expect(first!.samples).toMatchObject({ offsets: { '0': '3' } });
    expect(await t.refusals('samples-unmetered')).toBe(1);

    // Agents keep sending: the snapshot does not move, and a restarted billing resumes the same round.
    await t.produceSamples(0, 5);
    await t.produceSamples(1, 4);
    await t.meteringReadTo(0, 2);
    const restarted = t.restartedGate();
    expect(await restarted({ dueAt, now: now + 60_000 })).toBeUndefined();
    expect(await t.rounds()).toEqual([first]);

    // Metering reaches the snapshot on partition 0 (partition 1 was empty then): on to the held sample.
    await t.meteringReadTo(0, 3);
    expect(await t.gate({ dueAt, now: now + 2_000 })).toBeUndefined();
    expect((await t.rounds())[0]).toMatchObject({ stage: 'held' });
    expect(await t.refusals('samples-held')).toBe(1);
    // A sample held after the snapshot of held samples (continuous load) does not hold the round.
    await t.hold(now + 10_000);
    await t.release(now - 5_000);

    // Released into usage: the outbox's highest id is noted once no earlier held sample remains.
    expect(await t.gate({ dueAt, now: now + 3_000 })).toBeUndefined();
    const atOutbox = (await t.rounds())[0]!;
    expect(atOutbox.stage).toBe('usage-outbox');
    expect(await t.refusals('usage-unsent')).toBe(1);
    // Usage metering writes after that id is not waited for.
    await t.enqueueUsage(usage('i-9', 1, hour + 3_600_000));
    const { rows: newer } = await meteringDb.pool.query<{ id: string }>('SELECT max(id)::text AS id FROM outbox');
    expect(BigInt(newer[0]!.id)).toBeGreaterThan(BigInt(atOutbox.outbox_max_id!));

    // The publisher sends both; usage.hourly's end (2) is the billing target. Billing has read 1: behind.
    expect((await t.publish()).published).toBe(2);
    expect(await t.gate({ dueAt, now: now + 4_000 })).toBeUndefined();
    expect((await t.rounds())[0]).toMatchObject({ stage: 'billing' });
    expect(await t.refusals('billing-behind')).toBe(1);
    await t.billingReadTo(0, 1);
    expect(await t.gate({ dueAt, now: now + 5_000 })).toBeUndefined();
    expect(await t.refusals('billing-behind')).toBe(2);

    // Billing reads to the snapshot: the round is done and covers what fell due up to its start.
    await t.billingReadTo(0, 2);
    expect(await t.gate({ dueAt, now: now + 6_000 })).toBe(now);
    expect((await t.rounds()).map((r) => r.stage)).toEqual(['done']);
    // More samples arrive (metering now far behind the topic's end): what is covered stays covered.
    await t.produceSamples(0, 10);
    expect(await t.gate({ dueAt, now: now + 7_000 })).toBe(now);

    // A month that falls due after the round started needs a new round; the earlier one still covers its months.
    const later = now + 3_600_000;
    expect(await t.gate({ dueAt: later, now: later })).toBe(now);
    const rounds = await t.rounds();
    expect(rounds.map((r) => r.stage)).toEqual(['done', 'samples']);
    expect(rounds[1]!.samples).toMatchObject({ offsets: { '0': '18', '1': '4' } });

    // An operator's replay moves billing's offsets back below the done round's targets: nothing is covered until
    // billing has read them again.
    await t.billingReadTo(0, 0);
    expect(await t.gate({ dueAt, now: later + 1_000 })).toBeUndefined();
    await t.billingReadTo(0, 2);
    expect(await t.gate({ dueAt, now: later + 2_000 })).toBe(now);
  }, 90_000);

  it('refuses while usage up to the noted outbox id is parked, until a later value supersedes it', async () => {
    await billingDb.pool.query('DELETE FROM billing_finalize_watermarks');
    const t = await setup(false); // a billing without metering: the samples and held stages pass at once
    const parkedGauge = async () =>
      (await t.metrics.getSingleMetric('tally_finalize_parked_usage_rows')!.get()).values[0]?.value;
    const dueAt = Date.UTC(2026, 1, 4);

    // An instance-hour value that can never be sent (its hour start does not validate): parked.
    await t.enqueueUsage(usage('i-2', 1, hour + 1));
    expect(await t.publish()).toEqual({ published: 0, parked: 1, superseded: 0 });
    expect(await t.gate({ dueAt, now: dueAt })).toBeUndefined();
    expect((await t.rounds())[0]).toMatchObject({ stage: 'usage-outbox' });
    expect(await t.refusals('usage-parked')).toBe(1);
    expect(await parkedGauge()).toBe(1);
    expect(await t.gate({ dueAt, now: dueAt + 1 })).toBeUndefined();
    expect(await t.refusals('usage-parked')).toBe(2);

    // A later, valid value of the same instance-hour supersedes it; once billing has read it, the round is done.
    await t.enqueueUsage(usage('i-2', 2));
    expect(await t.publish()).toEqual({ published: 1, parked: 0, superseded: 1 });
    expect(await t.gate({ dueAt, now: dueAt + 2 })).toBeUndefined();
    expect(await parkedGauge()).toBe(0);
    await t.billingReadTo(0, 1);
    expect(await t.gate({ dueAt, now: dueAt + 3 })).toBe(dueAt);
  }, 60_000);
});
