import { randomBytes } from 'node:crypto';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import {
  applyTopics,
  createIdempotentProducer,
  createKafka,
  createMetrics,
  createRegistry,
  deadLetterTopicOf,
  registerSchemas,
  runConsumer,
  topics,
  typedTopic,
  valueCodec,
  type ConsumerDeps,
  type RunningConsumer,
  type TopicSpec,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { trafficSample, usageKey, type Instance, type TrafficSample, type UsageHourly } from '@tally/records';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SLOTS_PER_HOUR } from './hour-slots.ts';
import { upsertInstances } from './inventory-store.ts';
import { runPendingFlusher } from './pending-flusher.ts';
import { trafficConsumerSpec } from './traffic-consumer.ts';
import type { MeterPartitionOptions } from './meter-partition.ts';

/**
 * Scale-out: the same instances arrive on every partition of traffic.samples (a VM migrating between hypervisors,
 * partitions added) and two members of one metering group meter them concurrently. Every instance-hour is then
 * read and written by several transactions at once; usage must still equal the distinct samples exactly. Run once
 * committing every fetch, and once coalescing fetches through the runtime (commit interval and record bound), with
 * the second member's join and both members' stops dropping or committing what they hold.
 */

const endpoints = loadConfig(connectionEnv);
const log = createLogger('metering-scale-out-test', 'warn');
const kafka = createKafka('metering-scale-out-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
let run = `so${randomBytes(4).toString('hex')}`;

const PARTITIONS = 4;
const INSTANCES = 8;
const INTERFACES = ['eth0', 'eth1'];
const HOURS = 2;
const DUPLICATE_FRACTION = 0.3;
const FIRST_HOUR = Date.UTC(2025, 0, 1, 10);
/** Known to the inventory only after the first half of the samples: its samples wait on every partition. */
let LATE_KNOWN = `${run}-i-late`;

let db: TestDatabase;
let samplesTopic: TopicSpec;
let producer: ConsumerDeps['producer'];
const members: RunningConsumer[] = [];
const memberMetrics: ReturnType<typeof createMetrics>[] = [];
const background = new AbortController();
const flushers: Promise<void>[] = [];

/** A fresh database, topic, group and instance ids for one case. */
async function setUp(): Promise<void> {
  run = `so${randomBytes(4).toString('hex')}`;
  LATE_KNOWN = `${run}-i-late`;
  groupId = `metering-${run}`;
  meter = { ...meter, usageTopic: `test.${run}.usage`, lateTopic: `test.${run}.late` };
  db = await createTestDatabase(endpoints.DATABASE_URL);
  databases.push(db);
  samplesTopic = { ...topics.trafficSamples, name: `test.${run}.samples`, partitions: PARTITIONS };
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [
    samplesTopic,
    { name: deadLetterTopicOf(samplesTopic.name), partitions: 1, cleanupPolicy: 'delete', key: 'original key' },
  ]);
  await admin.disconnect();
  await registerSchemas(registry, schemasDir, [samplesTopic]);
}

const databases: TestDatabase[] = [];
beforeAll(async () => {
  producer = createIdempotentProducer(kafka);
  await producer.connect();
});

afterAll(async () => {
  background.abort();
  await Promise.all(members.splice(0).map((member) => member.stop()));
  await Promise.all(flushers);
  await producer.disconnect();
  for (const database of databases) await database.drop();
});

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Truth {
  runningSeconds: number;
  rxBytes: number;
  txBytes: number;
  rxPackets: number;
  txPackets: number;
  /** CPU seconds in thousandths (the samples carry three decimals), so sums are exact. */
  cpuMillis: number;
  /** Distinct samples counted: the version metering must reach. */
  version: number;
}

/** Distinct samples (about 90 % of the slots of every interface), then duplicates, all shuffled. */
function makeSamples(rand: () => number): { sent: TrafficSample[]; truth: Map<string, Truth> } {
  const distinct: TrafficSample[] = [];
  const truth = new Map<string, Truth>();
  const instanceIds = [...Array.from({ length: INSTANCES }, (_, i) => `${run}-i-${i}`), LATE_KNOWN];
  for (const instanceId of instanceIds) {
    for (let hour = 0; hour < HOURS; hour += 1) {
      const hourStart = FIRST_HOUR + hour * 3_600_000;
      const running = new Set<number>();
      const totals: Truth = {
        runningSeconds: 0,
        rxBytes: 0,
        txBytes: 0,
        rxPackets: 0,
        txPackets: 0,
        cpuMillis: 0,
        version: 0,
      };
      for (const interfaceId of INTERFACES) {
        for (let slot = 0; slot < SLOTS_PER_HOUR; slot += 1) {
          if (rand() < 0.1) continue;
          const cpuMillis = Math.floor(rand() * 30_000);
          const sample: TrafficSample = {
            hypervisorId: `hv-${Math.floor(rand() * 3)}`,
            instanceId,
            interfaceId,
            windowStart: hourStart + slot * 30_000,
            rxBytes: Math.floor(rand() * 1e9),
            txBytes: Math.floor(rand() * 1e9),
            rxPackets: Math.floor(rand() * 1e6),
            txPackets: Math.floor(rand() * 1e6),
            cpuSeconds: (cpuMillis / 1000).toFixed(3),
          };
          distinct.push(sample);
          running.add(slot);
          totals.rxBytes += sample.rxBytes;
          totals.txBytes += sample.txBytes;
          totals.rxPackets += sample.rxPackets;
          totals.txPackets += sample.txPackets;
          totals.cpuMillis += cpuMillis;
          totals.version += 1;
        }
      }
      totals.runningSeconds = running.size * 30;
      truth.set(usageKey(instanceId, hourStart), totals);
    }
  }
  const sent = [...distinct];
  const duplicates = Math.round((distinct.length * DUPLICATE_FRACTION) / (1 - DUPLICATE_FRACTION));
  for (let i = 0; i < duplicates; i += 1) sent.push(distinct[Math.floor(rand() * distinct.length)]!);
  for (let i = sent.length - 1; i > 0; i -= 1) {
    const j = Math.floor(rand() * (i + 1));
    [sent[i], sent[j]] = [sent[j]!, sent[i]!];
  }
  return { sent, truth };
}

/** Sends in small chunks to random partitions: every instance lands on every partition, in small fetches. */
async function produce(samples: readonly TrafficSample[], rand: () => number): Promise<void> {
  const codec = valueCodec(registry, typedTopic(samplesTopic, trafficSample));
  for (let start = 0; start < samples.length; start += 40) {
    const messages = await Promise.all(
      samples.slice(start, start + 40).map(async (sample) => ({
        partition: Math.floor(rand() * PARTITIONS),
        key: sample.instanceId,
        value: await codec.encode(sample),
      })),
    );
    await producer.send({ topic: samplesTopic.name, acks: -1, messages });
  }
}

function instanceRecord(instanceId: string): Instance {
  return {
    instanceId,
    accountId: `${run}-acc`,
    instanceType: 's1.small',
    zone: 'z1',
    state: 'running',
    createdAt: FIRST_HOUR - 86_400_000,
    updatedAt: FIRST_HOUR - 86_400_000,
  };
}

let meter: Omit<MeterPartitionOptions, 'deadLetter'> = {
  // The samples lie in the past: keep their hours open.
  validation: { maxFutureSkewMs: 60_000, retentionMs: 100_000 * 86_400_000 },
  limits: { maxPending: 100_000, maxWaitMs: 86_400_000 },
  usageTopic: `test.${run}.usage`,
  lateTopic: `test.${run}.late`,
};
let groupId = `metering-${run}`;

/** How a member commits: every fetch, or coalescing fetches (ConsumerSpec.commitIntervalMs). */
interface CommitMode {
  readonly commitIntervalMs?: number;
  readonly commitMaxRecords?: number;
}

async function startMember(name: string, mode: CommitMode): Promise<void> {
  const memberKafka = createKafka(name, endpoints.KAFKA_BROKERS, log);
  const spec = trafficConsumerSpec({
    service: 'metering',
    groupId,
    topic: samplesTopic.name,
    codec: valueCodec(registry, typedTopic(samplesTopic, trafficSample)),
    pool: db.pool,
    producer,
    clock: Date.now,
    meter,
    maxBytesPerPartition: 4_096,
    sessionTimeoutMs: 6_000,
    ...mode,
    log,
  });
  const metrics = createMetrics('metering');
  memberMetrics.push(metrics);
  members.push(
    await runConsumer({ ...spec, partitionsConsumedConcurrently: 2 }, { kafka: memberKafka, producer, log, metrics }),
  );
  flushers.push(
    runPendingFlusher(
      {
        pool: db.pool,
        groupId,
        topic: samplesTopic.name,
        intervalMs: 300,
        clock: Date.now,
        log,
        meter: { ...meter, deadLetter: () => Promise.resolve() },
      },
      background.signal,
    ),
  );
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(250)) if (await check()) return true;
  return check();
}

/** True once the group stored, for every partition, the offset after the last record. */
async function consumedAll(): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(samplesTopic.name);
    const stored = await db.pool.query<{ partition: number; next_offset: string }>(
      'SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
      [groupId, samplesTopic.name],
    );
    const next = new Map(stored.rows.map((row) => [row.partition, row.next_offset]));
    return ends.every((end) => end.high === '0' || next.get(end.partition) === end.high);
  } finally {
    await admin.disconnect();
  }
}

async function pendingCount(): Promise<number> {
  const result = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM metering_pending');
  return Number(result.rows[0]?.n ?? 0);
}

async function usageRows(): Promise<Map<string, Truth>> {
  const result = await db.pool.query<Record<string, string>>(
    `SELECT instance_id, (extract(epoch FROM hour_start) * 1000)::bigint AS hour_start, running_seconds, rx_bytes,
       tx_bytes, rx_packets, tx_packets, (cpu_seconds * 1000)::bigint AS cpu_millis, version
     FROM usage_hourly`,
  );
  return new Map(
    result.rows.map((row) => [
      usageKey(row['instance_id'] ?? '', Number(row['hour_start'])),
      {
        runningSeconds: Number(row['running_seconds']),
        rxBytes: Number(row['rx_bytes']),
        txBytes: Number(row['tx_bytes']),
        rxPackets: Number(row['rx_packets']),
        txPackets: Number(row['tx_packets']),
        cpuMillis: Number(row['cpu_millis']),
        version: Number(row['version']),
      },
    ]),
  );
}

/** The last usage.hourly value queued per key: what the compacted topic ends with. */
async function lastQueued(): Promise<Map<string, UsageHourly>> {
  const result = await db.pool.query<{ key: string; payload: UsageHourly }>(
    'SELECT DISTINCT ON (key) key, payload FROM outbox WHERE topic = $1 ORDER BY key, id DESC',
    [meter.usageTopic],
  );
  return new Map(result.rows.map((row) => [row.key, row.payload]));
}

const modes: [string, CommitMode][] = [
  ['a commit per fetch', {}],
  // ~30 samples per 4 KiB fetch: a hold spans up to ~6 fetches, or 150 ms.
  ['coalescing fetches', { commitIntervalMs: 150, commitMaxRecords: 200 }],
];

describe('traffic consumer: two members, every instance on every partition', () => {
  it.each(modes)(
    'meters each instance-hour exactly (30 %% duplicates, samples waiting; %s)',
    async (_, mode) => {
      await setUp();
      memberMetrics.length = 0;
      const rand = random(20_250_101);
      const { sent, truth } = makeSamples(rand);
      await upsertInstances(
        db.pool,
        Array.from({ length: INSTANCES }, (_, i) => instanceRecord(`${run}-i-${i}`)),
      );
      await startMember(`${run}-a`, mode);
      await startMember(`${run}-b`, mode);
      // Both members hold partitions before anything is sent, so batches of the same hours overlap in time.
      const admin = kafka.admin();
      await admin.connect();
      const joined = await eventually(async () => {
        const { groups } = await admin.describeGroups([groupId]);
        return groups[0]?.state === 'Stable' && groups[0].members.length === 2;
      }, 60_000);
      await admin.disconnect();
      expect(joined).toBe(true);

      const started = Date.now();
      const half = Math.floor(sent.length / 2);
      await produce(sent.slice(0, half), rand);
      expect(await eventually(consumedAll, 60_000)).toBe(true);
      // The late-known instance's samples wait on every partition; its inventory now releases them concurrently.
      expect(await pendingCount()).toBeGreaterThan(0);
      await upsertInstances(db.pool, [instanceRecord(LATE_KNOWN)]);
      await produce(sent.slice(half), rand);
      const done = await eventually(async () => (await consumedAll()) && (await pendingCount()) === 0, 60_000);
      expect(done).toBe(true);
      await Promise.all(members.splice(0).map((member) => member.stop()));
      let retries = 0;
      for (const metrics of memberMetrics)
        for (const value of (await metrics.retries.get()).values) retries += value.value;
      console.info(
        `${sent.length} samples (${sent.length - [...truth.values()].reduce((n, t) => n + t.version, 0)} duplicates) ` +
          `of ${truth.size} instance-hours on ${PARTITIONS} partitions, 2 members: ${Date.now() - started} ms, ${retries} batch retries`,
      );

      expect(await usageRows()).toEqual(truth);
      const queued = await lastQueued();
      const stored = await usageRows();
      expect(new Map([...queued].map(([key, value]) => [key, value.version]))).toEqual(
        new Map([...stored].map(([key, value]) => [key, value.version])),
      );
    },
    120_000,
  );
});
