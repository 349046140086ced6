/**
 * `tally late list` and `tally late replay` against the real broker, registry and PostgreSQL: late records written
 * as metering writes them (Avro, keyed by instance), owners from metering's inventory table. The list groups by
 * account and hour with records, distinct samples and reasons; replay re-injects each original sample into
 * traffic.samples exactly once across runs (a first run for one account, a second for the rest, a third sends
 * nothing).
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
  readToEnd,
  registerSchemas,
  topics,
  typedTopic,
  typedTopics,
  valueCodec,
  type LateSample,
  type TopicSpec,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { sampleIdentity, trafficSample, type TrafficSample } from '@tally/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandIo } from './command.ts';
import { dispatch } from './dispatch.ts';
import { lateList } from './late-list.ts';
import { lateReplay } from './late-replay.ts';

const endpoints = loadConfig(connectionEnv);
const log = createLogger('late-test', 'warn');
const kafka = createKafka('late-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));
const run = `l${randomBytes(4).toString('hex')}`;
const lateSpec: TopicSpec = { ...topics.lateSamples, name: `test.${run}.late` };
const samplesSpec: TopicSpec = { ...topics.trafficSamples, name: `test.${run}.samples`, partitions: 2 };
// Ten days ago: older than metering's default retention (7 days), as late samples are.
const H10 = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 10 * 86_400_000;
const H11 = H10 + 3_600_000;
const TOO_OLD = 'older than retention';
const UNKNOWN = 'unknown instance: waited too long for inventory';

let db: TestDatabase;
let env: NodeJS.ProcessEnv;

function sample(instance: string, windowStart: number, txBytes: number): TrafficSample {
  return {
    hypervisorId: 'hv-1',
    instanceId: `${run}-${instance}`,
    interfaceId: 'eth0',
    windowStart,
    rxBytes: 1,
    txBytes,
    rxPackets: 2,
    txPackets: 3,
    cpuSeconds: '0.5',
  };
}

// The same sample is late twice (an agent resend): two records, one sample.
const late: LateSample[] = [
  { reason: TOO_OLD, detectedAt: H11 + 7 * 86_400_000, sample: sample('i1', H10, 100) },
  { reason: TOO_OLD, detectedAt: H11 + 7 * 86_400_000, sample: sample('i1', H10, 100) },
  { reason: TOO_OLD, detectedAt: H11 + 7 * 86_400_000, sample: sample('i1', H10 + 30_000, 200) },
  { reason: TOO_OLD, detectedAt: H11 + 7 * 86_400_000, sample: sample('i1', H11, 300) },
  { reason: TOO_OLD, detectedAt: H11 + 7 * 86_400_000, sample: sample('i2', H10, 400) },
  { reason: UNKNOWN, detectedAt: H10 + 900_000, sample: sample('i3', H10, 500) },
];

async function tally(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CommandIo = { out: (t) => (out += t), err: (t) => (err += t), env };
  const code = await dispatch([lateList, lateReplay], ['late', ...argv], io);
  return { code, out, err };
}

async function reinjected(): Promise<TrafficSample[]> {
  const codec = valueCodec(registry, typedTopic(samplesSpec, trafficSample));
  const records = await readToEnd(kafka, samplesSpec.name);
  return Promise.all(records.map(({ message }) => codec.decode(message.value)));
}

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  env = {
    ...process.env,
    DB_SCHEMA: db.schema,
    METERING_LATE_TOPIC: lateSpec.name,
    METERING_SAMPLES_TOPIC: samplesSpec.name,
    LOG_LEVEL: 'error',
  };
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [lateSpec, samplesSpec]);
  await admin.disconnect();
  await registerSchemas(registry, schemasDir, [lateSpec, samplesSpec]);
  // Metering's inventory knows i1 and i2; i3 never appeared.
  for (const [instance, account] of [
    ['i1', 'acc-a'],
    ['i2', 'acc-b'],
  ] as const) {
    const record = { instanceId: `${run}-${instance}`, accountId: `${run}-${account}`, updatedAt: H10 };
    await db.pool.query(`INSERT INTO inventory (instance_id, record, updated_at) VALUES ($1, $2, now())`, [
      record.instanceId,
      JSON.stringify(record),
    ]);
  }
  const codec = valueCodec(registry, { ...typedTopics.lateSamples, spec: lateSpec });
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const messages = [];
  for (const value of late) messages.push({ key: value.sample.instanceId, value: await codec.encode(value) });
  await producer.send({ topic: lateSpec.name, acks: -1, messages });
  await producer.disconnect();
}, 60_000);

afterAll(async () => {
  await db.drop();
});

describe('tally late', () => {
  it('lists late records by account and hour, with distinct samples and reasons', async () => {
    const { code, out } = await tally('list', '--json');
    expect(code).toBe(0);
    const listed = JSON.parse(out) as { undecodable: number; groups: unknown[] };
    expect(listed.undecodable).toBe(0);
    expect(listed.groups).toEqual([
      {
        accountId: `${run}-acc-a`,
        hourStart: new Date(H10).toISOString(),
        records: 3,
        samples: 2,
        replayed: 0,
        reasons: { [TOO_OLD]: 3 },
      },
      {
        accountId: `${run}-acc-a`,
        hourStart: new Date(H11).toISOString(),
        records: 1,
        samples: 1,
        replayed: 0,
        reasons: { [TOO_OLD]: 1 },
      },
      {
        accountId: `${run}-acc-b`,
        hourStart: new Date(H10).toISOString(),
        records: 1,
        samples: 1,
        replayed: 0,
        reasons: { [TOO_OLD]: 1 },
      },
      {
        accountId: null,
        hourStart: new Date(H10).toISOString(),
        records: 1,
        samples: 1,
        replayed: 0,
        reasons: { [UNKNOWN]: 1 },
      },
    ]);
    const filtered = await tally('list', '--account', `${run}-acc-a`, '--from', new Date(H11).toISOString());
    expect(filtered.out.trim().split('\n')).toEqual([
      'account\thour\trecords\tsamples\treplayed\treasons',
      `${run}-acc-a\t${new Date(H11).toISOString()}\t1\t1\t0\t1× ${TOO_OLD}`,
    ]);
  });

  it('re-injects each original sample exactly once across runs', async () => {
    const dry = await tally('replay', '--dry-run');
    expect(dry.out).toMatch(/6 late records chosen, 0 replayed before; 5 distinct samples to send/);
    // Nobody extended the retention in this environment: the operator is told.
    expect(dry.err).toMatch(/note: 5 of these samples are still older than METERING_RETENTION_DAYS=7/);
    const usual = env;
    env = { ...usual, METERING_RETENTION_DAYS: '30' };
    const extended = await tally('replay', '--dry-run');
    env = usual;
    expect(extended.out).toMatch(/5 distinct samples to send/);
    expect(extended.err).not.toMatch(/note:/);
    expect(await reinjected()).toEqual([]);

    const first = await tally('replay', '--account', `${run}-acc-a`);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/3 samples re-injected/);
    const afterFirst = await reinjected();
    expect(afterFirst.map(sampleIdentity).sort()).toEqual(
      [late[0]!, late[2]!, late[3]!].map((l) => sampleIdentity(l.sample)).sort(),
    );

    const second = await tally('replay');
    expect(second.out).toMatch(/6 late records chosen, 4 replayed before; 2 distinct samples to send/);
    const third = await tally('replay');
    expect(third.code).toBe(0);
    expect(third.out).toMatch(/6 late records chosen, 6 replayed before; 0 distinct samples to send/);

    // The original samples, counters and all, each once.
    const all = await reinjected();
    const byId = (s: TrafficSample[]) => [...s].sort((a, b) => (sampleIdentity(a) < sampleIdentity(b) ? -1 : 1));
    const originals = new Map(late.map((l) => [sampleIdentity(l.sample), l.sample]));
    expect(byId(all)).toEqual(byId([...originals.values()]));

    const listed = JSON.parse((await tally('list', '--json')).out) as {
      groups: { records: number; replayed: number }[];
    };
    expect(listed.groups.every((g) => g.replayed === g.records)).toBe(true);
  }, 60_000);
});
