/**
 * `tally replay` against the real broker and PostgreSQL, with a consumer on the real runtime (offsets stored with
 * its results, seek to them on assignment), standing in for metering's samples group: records produced with
 * explicit timestamps, a replay refused while the consumer is a live member, a dry run and a run without --yes
 * that change nothing, then a replay by ISO time that rewinds to the right offsets, after which the consumer
 * re-reads exactly from there while `--watch` reports progress until caught up.
 */
import { randomBytes } from 'node:crypto';
import { connectionEnv, loadConfig } from '@tally/config';
import { advanceOffset, createTestDatabase, inTransaction, loadOffsets, type TestDatabase } from '@tally/db';
import {
  applyTopics,
  createIdempotentProducer,
  createKafka,
  createMetrics,
  runConsumer,
  type RunningConsumer,
  type TopicSpec,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { map } from '@tally/stream';
import { eventually } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from './command.ts';
import { dispatch } from './dispatch.ts';
import { replay } from './replay.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('replay-test', 'warn');
const kafka = createKafka('replay-test', endpoints.KAFKA_BROKERS, log);
const run = `r${randomBytes(4).toString('hex')}`;
const samples: TopicSpec = { name: `test.${run}.samples`, partitions: 2, cleanupPolicy: 'delete', key: 'k' };
const instances: TopicSpec = { name: `test.${run}.instances`, partitions: 1, cleanupPolicy: 'compact', key: 'k' };
const group = `${run}-metering`;
const MINUTE = 60_000;
// Recent stamps: a delete topic's retention never removes them during the test.
const BASE = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * MINUTE;
const PER_PARTITION = 10;

let db: TestDatabase;
let env: NodeJS.ProcessEnv;

function io(): CommandIo & { out: (t: string) => void; text: () => string } {
  let text = '';
  return { out: (t) => (text += t), err: (t) => (text += t), env, text: () => text };
}

async function tally(...argv: string[]): Promise<{ code: number; text: string }> {
  const buffer = io();
  const code = await dispatch([replay], ['replay', ...argv], buffer);
  return { code, text: buffer.text() };
}

/** A consumer of the group on the real runtime; `seen` holds `partition:offset` of every record it committed. */
async function startConsumer(seen: string[]): Promise<RunningConsumer> {
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const consumer = await runConsumer(
    {
      service: 'replay-test',
      groupId: group,
      topic: samples.name,
      codec: { encode: () => Promise.resolve(Buffer.alloc(0)), decode: (b) => Promise.resolve(String(b)) },
      sessionTimeoutMs: 6_000,
      loadOffsets: (topic) => loadOffsets(db.pool, group, topic),
      pipeline: () => map((record: { partition: number; offset: string }) => `${record.partition}:${record.offset}`),
      commit: async (results, offsets) => {
        await inTransaction(db.pool, (client) =>
          advanceOffset(client, group, offsets.topic, offsets.partition, offsets.from, offsets.to),
        );
        seen.push(...results);
      },
    },
    { kafka, producer, log, metrics: createMetrics('replay-test') },
  );
  return {
    crashed: consumer.crashed,
    async stop() {
      await consumer.stop();
      await producer.disconnect();
    },
  };
}

async function storedOffsets(): Promise<string[]> {
  const offsets = await loadOffsets(db.pool, group, samples.name);
  return [0, 1].map((p) => offsets.get(p) ?? '-');
}

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  env = {
    ...process.env,
    DB_SCHEMA: db.schema,
    METERING_GROUP: group,
    METERING_SAMPLES_TOPIC: samples.name,
    METERING_INVENTORY_GROUP: `${run}-inventory`,
    METERING_INSTANCES_TOPIC: instances.name,
    LOG_LEVEL: 'error',
  };
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [samples, instances]);
  await admin.disconnect();
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  // Record i of each partition is stamped BASE + i minutes.
  for (const partition of [0, 1]) {
    await producer.send({
      topic: samples.name,
      acks: -1,
      messages: Array.from({ length: PER_PARTITION }, (_, i) => ({
        partition,
        key: `k${i}`,
        value: `v${i}`,
        timestamp: String(BASE + i * MINUTE),
      })),
    });
  }
  await producer.disconnect();
}, 60_000);

afterAll(async () => {
  await db.drop();
});

// Between the records stamped at minute 4 and 5: the first record at or after it is offset 5 on each partition.
const FROM = new Date(BASE + 4.5 * MINUTE).toISOString();

describe('tally replay', () => {
  it('refuses while the group has a live member, and changes nothing', async () => {
    const seen: string[] = [];
    const consumer = await startConsumer(seen);
    try {
      expect(await eventually(async () => (await storedOffsets()).join() === '10,10', 30_000)).toBe(true);
      const refused = await tally('metering', '--from', FROM, '--yes');
      expect(refused.code).toBe(2);
      expect(refused.text).toMatch(/refusing to replay: consumer groups have live members/);
      expect(refused.text).toContain(group);
      expect(await storedOffsets()).toEqual(['10', '10']);
    } finally {
      await consumer.stop();
    }
    expect(seen).toHaveLength(2 * PER_PARTITION);
  }, 60_000);

  it('prints the plan for --dry-run and without --yes, and changes nothing', async () => {
    const dry = await tally('metering', '--from', FROM, '--dry-run');
    expect(dry.code, dry.text).toBe(0);
    expect(dry.text).toMatch(
      new RegExp(`${group}\\s+${samples.name.replaceAll('.', '\\.')}\\s+0\\s+10\\s+→\\s+5\\s+5\\s+5`),
    );
    expect(dry.text).toMatch(/nothing stored: reads from the start anyway/); // the inventory group
    expect(dry.text).toMatch(/2 partitions move back, 10 records to re-read/);
    expect(dry.text).toMatch(/dry run: nothing changed/);
    expect(dry.text).not.toMatch(/older than metering's retention/);
    const earliest = await tally('metering', '--from', 'earliest', '--dry-run');
    expect(earliest.text).toMatch(/2 partitions move back, 20 records to re-read/);
    expect(earliest.text).toMatch(/note: this re-reads samples older than metering's retention/);
    const unconfirmed = await tally('metering', '--from', FROM);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.text).toMatch(/refusing without --yes: not a terminal/);
    expect(await storedOffsets()).toEqual(['10', '10']);
  });

  it('rejects a time without an offset and an unknown group', async () => {
    const local = await tally('metering', '--from', '2026-01-01T00:04:30');
    expect(local.code).toBe(2);
    expect(local.text).toMatch(/--from must be earliest or an ISO date-time with offset/);
    const unknown = await tally('--group', 'nope', '--from', 'earliest');
    expect(unknown.code).toBe(2);
    expect(unknown.text).toMatch(/unknown consumer group nope/);
  });

  it('rewinds to the offsets of an ISO time; the consumer then re-reads exactly from there, watched to the end', async () => {
    const applied = tally('metering', '--from', FROM, '--yes', '--watch', '--interval', '0.2');
    expect(await eventually(async () => (await storedOffsets()).join() === '5,5', 30_000)).toBe(true);
    const seen: string[] = [];
    const consumer = await startConsumer(seen);
    try {
      const { code, text } = await applied;
      expect(code, text).toBe(0);
      expect(text).toMatch(/replayed: 2 partitions rewound/);
      expect(text).toMatch(new RegExp(`${group} ${samples.name.replaceAll('.', '\\.')}\\[0\\]  5/5 \\(100%\\)`));
      expect(text).toMatch(/total 10\/10 \(100%\), [\d.]+ records\/s, caught up/);
      expect(await eventually(() => Promise.resolve(seen.length >= 10), 10_000)).toBe(true);
      const expected = [0, 1].flatMap((p) => Array.from({ length: 5 }, (_, i) => `${p}:${5 + i}`));
      expect([...seen].sort()).toEqual(expected.sort());
    } finally {
      await consumer.stop();
    }
  }, 60_000);
});
