/**
 * `tally status` on the real broker and PostgreSQL, for a metering group with known positions: lag per partition
 * from the offsets stored in PostgreSQL (and Kafka's committed ones beside them), a partition stalled for an hour,
 * the outbox backlog with a parked row, dead letters and late samples of the last 24 h by record timestamp, and
 * billing's hourly backlog (a stale mark, a parked one with its reason, an hour waiting for its price).
 */
import { randomBytes } from 'node:crypto';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import {
  applyTopics,
  createIdempotentProducer,
  createKafka,
  deadLetterTopicOf,
  topics,
  type TopicSpec,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from './dispatch.ts';
import { status } from './status.ts';
import type { StatusReport } from './status-report.ts';

const endpoints = loadConfig(connectionEnv);
const kafka = createKafka('status-test', endpoints.KAFKA_BROKERS, createLogger('status-test', 'warn'));
const run = randomBytes(4).toString('hex');
const samples: TopicSpec = { ...topics.trafficSamples, name: `test.st${run}.samples`, partitions: 3 };
const late: TopicSpec = { ...topics.lateSamples, name: `test.st${run}.late`, partitions: 1 };
const dlq: TopicSpec = { name: deadLetterTopicOf(samples.name), partitions: 1, cleanupPolicy: 'delete', key: 'k' };
const group = `metering-st${run}`;
const DAY = 86_400_000;

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [samples, late, dlq]);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const values = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
  await producer.send({ topic: samples.name, acks: -1, messages: values(10).map((m) => ({ ...m, partition: 0 })) });
  await producer.send({ topic: samples.name, acks: -1, messages: values(4).map((m) => ({ ...m, partition: 1 })) });
  // Dead letters and late samples: two old ones (two days ago, by record timestamp), then recent ones.
  const old = String(Date.now() - 2 * DAY);
  await producer.send({ topic: dlq.name, acks: -1, messages: values(2).map((m) => ({ ...m, timestamp: old })) });
  await producer.send({ topic: dlq.name, acks: -1, messages: values(3) });
  await producer.send({ topic: late.name, acks: -1, messages: values(1).map((m) => ({ ...m, timestamp: old })) });
  await producer.send({ topic: late.name, acks: -1, messages: values(2) });
  await producer.disconnect();
  // Kafka's committed offsets lag the stored ones by one batch at most; here partition 0 is at 5.
  await admin.setOffsets({ groupId: group, topic: samples.name, partitions: [{ partition: 0, offset: '5' }] });
  await admin.disconnect();

  // Stored in PostgreSQL: partition 0 at 6 and unchanged for an hour (stalled); partition 1 caught up just now.
  await db.pool.query(
    `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset, updated_at) VALUES
       ($1, $2, 0, 6, now() - interval '1 hour'), ($1, $2, 1, 4, now())`,
    [group, samples.name],
  );
  // Outbox: three rows waiting (the oldest 10 minutes), one parked.
  await db.pool.query(
    `INSERT INTO outbox (topic, key, payload, created_at) VALUES
       ('usage', 'a', '{}', now() - interval '10 minutes'), ('usage', 'b', '{}', now()), ('usage', 'c', '{}', now())`,
  );
  await db.pool.query(
    `INSERT INTO outbox (topic, key, payload, created_at, parked_at, error) VALUES ('usage', 'd', '{}', now(), now(), 'too large')`,
  );
  // Billing: one account's hours waiting for the stale pass (marked 5 minutes ago), one parked with its reason, and
  // one account-hour waiting for its price.
  await db.pool.query(
    `INSERT INTO billing_hourly_stale (account_id, from_hour, to_hour, first_marked_at) VALUES
       ('acc-stale', 0, 3600000, now() - interval '5 minutes'), ('acc-parked', 0, 3600000, now())`,
  );
  await db.pool.query(
    `UPDATE billing_hourly_stale SET parked_seq = seq, parked_reason = 'RangeError: unknown time zone', parked_at = now()
     WHERE account_id = 'acc-parked'`,
  );
  await db.pool.query(
    `INSERT INTO billing_pending_hours (account_id, hour_start, reason) VALUES ('acc-new', 0, 'no price in force')`,
  );
}, 60_000);

afterAll(async () => {
  await db.drop();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [samples.name, late.name, dlq.name] }).catch(() => undefined);
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.disconnect();
});

async function tally(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await dispatch([status], ['status', ...argv], {
    out: (t) => (out += t),
    err: (t) => (out += t),
    env: {
      ...process.env,
      DB_SCHEMA: db.schema,
      METERING_GROUP: group,
      METERING_SAMPLES_TOPIC: samples.name,
      METERING_LATE_TOPIC: late.name,
      ...env,
    },
  });
  return { code, out };
}

describe('tally status', () => {
  it('shows lag per partition, a stalled partition, the outbox backlog, dead letters and late samples', async () => {
    const json = await tally(['--json', '--stall-after', '600']);
    expect(json.code, json.out).toBe(0);
    const report = JSON.parse(json.out) as StatusReport;
    const metering = report.groups.find((g) => g.group === group)!;
    expect(metering).toMatchObject({ service: 'metering', topic: samples.name });
    expect(metering.partitions.map((p) => [p.partition, p.end, p.stored, p.committed, p.lag, p.stalled])).toEqual([
      [0, '10', '6', '5', '4', true],
      [1, '4', '4', null, '0', false],
      [2, '0', null, null, '0', false],
    ]);
    expect(metering.partitions[0]!.storedAgeSeconds).toBeGreaterThan(3500);
    // The billing groups read their own topics (maybe absent here): they are listed all the same.
    expect(report.groups.map((g) => g.service)).toEqual([
      'metering',
      'metering',
      'billing',
      'billing',
      'billing',
      'billing',
    ]);

    expect(report.outboxes).toHaveLength(1); // both services use DB_SCHEMA: one outbox, counted once
    expect(report.outboxes[0]).toMatchObject({ service: 'metering+billing', schema: db.schema, rows: 3, parked: 1 });
    expect(report.outboxes[0]!.oldestAgeSeconds).toBeGreaterThan(590);
    expect(report.deadLetters24h.find((t) => t.topic === dlq.name)).toEqual({ topic: dlq.name, records: 3 });
    expect(report.lateSamples24h).toEqual([{ topic: late.name, records: 2 }]);
    expect(report.lastFinalized).toEqual({ month: null, invoices: 0 });
    expect(report.billing).toMatchObject({
      staleAccounts: 1,
      parked: [{ accountId: 'acc-parked', reason: 'RangeError: unknown time zone' }],
      pendingHours: 1,
    });
    expect(report.billing.oldestStaleAgeSeconds).toBeGreaterThan(290);

    const text = await tally([]);
    expect(text.code).toBe(0);
    expect(text.out).toContain(`metering ${group} on ${samples.name}: lag 4, STALLED partitions 0`);
    expect(text.out).toContain('3 rows, oldest 10m, 1 parked');
    expect(text.out).toContain(`  ${dlq.name}: 3`);
    expect(text.out).toContain('last finalized month: none yet');
    expect(text.out).toContain(
      'billing hourly values: 1 accounts to recompute (oldest mark 5m), 1 parked, 1 account-hours waiting for an account or a price',
    );
    expect(text.out).toMatch(/ {2}PARKED acc-parked since \S+: RangeError: unknown time zone/);

    // A shorter threshold than the hour: still stalled; a longer one: not.
    const patient = JSON.parse((await tally(['--json', '--stall-after', '7200'])).out) as StatusReport;
    expect(patient.groups.find((g) => g.group === group)!.partitions[0]!.stalled).toBe(false);
  }, 60_000);

  it("lists abuse's groups once abuse has stored an offset, and a group whose topic is absent as a problem", async () => {
    const abuseGroup = `${run}-abuse`;
    const withAbuse = async () => {
      const { out } = await tally(['--json'], {
        ABUSE_GROUP: abuseGroup,
        ABUSE_USAGE_TOPIC: samples.name,
        ABUSE_INVOICES_TOPIC: `${samples.name}.absent`,
      });
      return (JSON.parse(out) as StatusReport).groups.filter((g) => g.service === 'abuse');
    };
    expect(await withAbuse()).toEqual([]);
    await db.pool.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition, next_offset) VALUES ($1, $2, 0, 10)`,
      [`${abuseGroup}-usage`, samples.name],
    );
    const shown = await withAbuse();
    expect(shown.map((g) => g.group)).toEqual([
      `${abuseGroup}-accounts`,
      `${abuseGroup}-usage`,
      `${abuseGroup}-billing-hourly`,
      `${abuseGroup}-payments`,
      `${abuseGroup}-invoices`,
    ]);
    expect(shown[1]!.partitions.map((p) => [p.partition, p.stored, p.lag])).toEqual([
      [0, '10', '0'],
      [1, null, '4'],
      [2, null, '0'],
    ]);
    expect(shown[4]!.problem).toBe(`topic ${samples.name}.absent does not exist`);
  }, 60_000);
});
