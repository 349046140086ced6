import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  applyTopics,
  createIdempotentProducer,
  createKafka,
  createMetrics,
  createRegistry,
  deadLetterTopicOf,
  memoryRedriveLedger,
  messageBytes,
  readToEnd,
  redriveDeadLetters,
  registerSchemas,
  runConsumer,
  sendDeadLetters,
  poison,
  sendSized,
  topics,
  typedTopic,
  valueCodec,
  type ConsumerDeps,
  type RunningConsumer,
  type TopicSpec,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { trafficSample, type Instance, type TrafficSample } from '@tally/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertInstances } from './inventory-store.ts';
import { trafficConsumerSpec } from './traffic-consumer.ts';
import { MAX_BYTES_PER_WINDOW_100G } from './validate-sample.ts';

/**
 * A glitching agent: one fetch's worth (1 MiB, the consumer's maxBytesPerPartition) of samples of which nine in ten
 * report more than 100 Gbit/s. Their dead letters, with reason and origin headers, are far more than the broker's
 * default max.message.bytes in one send; they must all arrive (in several sends), the valid samples be counted
 * exactly, and the partition's stored offset reach the end.
 */

const endpoints = loadConfig(connectionEnv);
const log = createLogger('invalid-flood-test', 'error');
const kafka = createKafka('invalid-flood-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const run = `fl${randomBytes(4).toString('hex')}`;
const FIRST_HOUR = Date.UTC(2025, 0, 1, 0);
const INSTANCES = 50;
const SAMPLES = 7_000;

let db: TestDatabase;
let samplesTopic: TopicSpec;
let producer: ConsumerDeps['producer'];
let member: RunningConsumer | undefined;

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  samplesTopic = { ...topics.trafficSamples, name: `test.${run}.samples`, partitions: 1 };
  const admin = kafka.admin();
  await admin.connect();
  // Both with the broker's default max.message.bytes.
  await applyTopics(admin, [
    samplesTopic,
    { name: deadLetterTopicOf(samplesTopic.name), partitions: 1, cleanupPolicy: 'delete', key: 'original key' },
  ]);
  await admin.disconnect();
  await registerSchemas(registry, schemasDir, [samplesTopic]);
  producer = createIdempotentProducer(kafka);
  await producer.connect();
});

afterAll(async () => {
  await member?.stop();
  await producer.disconnect();
  await db.drop();
});

function instanceId(n: number): string {
  return `${run}-instance-${String(n).padStart(4, '0')}-of-a-glitching-hypervisor`;
}

function instanceRecord(id: string): Instance {
  return {
    instanceId: id,
    accountId: `${run}-acc`,
    instanceType: 's1.small',
    zone: 'z1',
    state: 'running',
    createdAt: FIRST_HOUR - 86_400_000,
    updatedAt: FIRST_HOUR - 86_400_000,
  };
}

/** Sample i: every tenth is valid; the others claim one byte more than 100 Gbit/s carries in 30 s. */
function sample(i: number): TrafficSample {
  const valid = i % 10 === 0;
  return {
    hypervisorId: `${run}-hv-glitching`,
    instanceId: instanceId(i % INSTANCES),
    interfaceId: 'eth0',
    // Distinct (instance, interface, window) for every i: the valid ones are never duplicates.
    windowStart: FIRST_HOUR + Math.floor(i / INSTANCES) * 30_000,
    rxBytes: valid ? 1_000 + i : MAX_BYTES_PER_WINDOW_100G + 1,
    txBytes: 7,
    rxPackets: 1,
    txPackets: 1,
    cpuSeconds: '0.25',
  };
}

describe('a fetch full of invalid samples', () => {
  it('dead-letters every invalid one in sends under the limit, counts the valid ones, and moves the offset to the end', async () => {
    await upsertInstances(
      db.pool,
      Array.from({ length: INSTANCES }, (_, n) => instanceRecord(instanceId(n))),
    );
    const codec = valueCodec(registry, typedTopic(samplesTopic, trafficSample));
    const samples = Array.from({ length: SAMPLES }, (_, i) => sample(i));
    const messages = await Promise.all(
      samples.map(async (s) => ({
        topic: samplesTopic.name,
        message: { key: s.instanceId, value: await codec.encode(s) },
      })),
    );
    const producedBytes = messages.reduce((sum, m) => sum + messageBytes(m.message), 0);
    expect(producedBytes).toBeGreaterThan(1_048_576);
    expect(await sendSized(producer, messages)).toEqual([]);
    const valid = samples.filter((_, i) => i % 10 === 0);
    const invalid = SAMPLES - valid.length;

    const groupId = `metering-${run}`;
    const started = Date.now();
    member = await runConsumer(
      trafficConsumerSpec({
        service: 'metering',
        groupId,
        topic: samplesTopic.name,
        codec,
        pool: db.pool,
        producer,
        clock: Date.now,
        meter: {
          validation: { maxFutureSkewMs: 60_000, retentionMs: 100_000 * 86_400_000 },
          limits: { maxPending: 100_000, maxWaitMs: 86_400_000 },
          usageTopic: `test.${run}.usage`,
          lateTopic: `test.${run}.late`,
        },
        maxBytesPerPartition: 1_048_576,
        sessionTimeoutMs: 10_000,
        log,
      }),
      { kafka, producer, log, metrics: createMetrics('metering') },
    );

    const storedOffset = async () =>
      (
        await db.pool.query<{ next_offset: string }>(
          'SELECT next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2 AND partition = 0',
          [groupId, samplesTopic.name],
        )
      ).rows[0]?.next_offset;
    let offset: string | undefined;
    for (const deadline = Date.now() + 45_000; Date.now() < deadline; await sleep(250)) {
      offset = await storedOffset();
      if (offset === String(SAMPLES)) break;
    }
    const elapsed = Date.now() - started;
    await member.stop();
    member = undefined;
    expect(offset).toBe(String(SAMPLES));

    const usage = await db.pool.query<{ versions: string; rx: string; instances: string }>(
      'SELECT sum(version) AS versions, sum(rx_bytes) AS rx, count(DISTINCT instance_id) AS instances FROM usage_hourly',
    );
    expect(Number(usage.rows[0]?.versions)).toBe(valid.length);
    expect(Number(usage.rows[0]?.rx)).toBe(valid.reduce((sum, s) => sum + s.rxBytes, 0));

    const letters = await readToEnd(kafka, deadLetterTopicOf(samplesTopic.name));
    const header = (i: number, name: string) => letters[i]!.message.headers?.[name]?.toString();
    expect(letters).toHaveLength(invalid);
    expect(new Set(letters.map((_, i) => header(i, 'tally.error.class')))).toEqual(new Set(['InvalidSample']));
    // Every invalid offset exactly once, with its original bytes.
    const offsets = letters.map((_, i) => Number(header(i, 'tally.source.offset'))).sort((a, b) => a - b);
    expect(offsets).toEqual(samples.flatMap((_, i) => (i % 10 === 0 ? [] : [i])));
    expect(letters.every((letter, i) => letter.message.value?.equals(messages[offsets[i]!]!.message.value))).toBe(true);
    // What made one send impossible: the letters together are well over the broker's limit.
    const letterBytes = letters.reduce(
      (sum, { message }) =>
        sum + messageBytes({ key: message.key, value: message.value, headers: message.headers ?? {} }),
      0,
    );
    expect(letterBytes).toBeGreaterThan(DEFAULT_MAX_MESSAGE_BYTES);

    // A record too large for any send still leaves a trace: its dead letter goes without the value and says so.
    const huge = {
      topic: samplesTopic.name,
      partition: 0,
      offset: '999999',
      key: Buffer.from('huge'),
      value: Buffer.alloc(2_000_000, 1),
    };
    await sendDeadLetters(
      producer,
      [{ record: huge, error: poison('ValidationFailed', 'far too large') }],
      'metering',
      new Date(),
    );
    const [truncated] = await readToEnd(kafka, deadLetterTopicOf(samplesTopic.name), new Map([[0, String(invalid)]]));
    expect(truncated!.message.value).toEqual(Buffer.alloc(0));
    expect(truncated!.message.headers?.['tally.value.truncated']?.toString()).toBe('2000000');
    expect(truncated!.message.headers?.['tally.source.offset']?.toString()).toBe('999999');

    // Re-driving all 6,300 letters (3 MiB) back to the source topic also goes in sends under the limit; the
    // truncated one, with nothing to re-drive, is left.
    const redriven = await redriveDeadLetters(kafka, samplesTopic.name, memoryRedriveLedger());
    expect(redriven).toHaveLength(invalid);
    const admin = kafka.admin();
    await admin.connect();
    const [end] = await admin.fetchTopicOffsets(samplesTopic.name);
    await admin.disconnect();
    expect(end?.high).toBe(String(SAMPLES + invalid));

    console.info(
      `${SAMPLES} samples (${(producedBytes / 1_048_576).toFixed(2)} MiB), ${invalid} dead letters ` +
        `(${(letterBytes / 1_048_576).toFixed(2)} MiB) and ${valid.length} counted in ${elapsed} ms`,
    );
  }, 90_000);
});
