import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GroundTruthFile, HourTotals } from '@tally/agent';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { connectionEnv, loadConfig } from '@tally/config';
import { runDir, startPrivateBroker, type PrivateBroker } from '@tally/infra';
import { createKafka, createRegistry, deadLetterTopicOf } from '@tally/kafka';
import type { Kafka } from 'kafkajs';
import { createLogger } from '@tally/log';
import { usageKey } from '@tally/records';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentTopicEnv,
  createPipelineTopics,
  latestUsage,
  meteringTopicEnv,
  recordCount,
  type PipelineTopics,
} from './src/pipeline-topics.ts';

// Size of the run: a day of 200 instances by default; E2E_* shrink it for a quick local loop.
const HYPERVISORS = Number(process.env['E2E_HYPERVISORS'] ?? 10);
const PER_HYPERVISOR = Number(process.env['E2E_INSTANCES_PER_HYPERVISOR'] ?? 20);
const PERIOD_MINUTES = Number(process.env['E2E_PERIOD_MINUTES'] ?? 24 * 60);
const KILLS = Number(process.env['E2E_KILLS'] ?? 4);
const BATCH_SIZE = 2_000;

const endpoints = loadConfig(connectionEnv);
const log = createLogger('metering-e2e', 'warn');
/** How long the broker is down while the agent produces: a real outage, on a broker of this test's own. */
const BROKER_DOWN_MS = Number(process.env['E2E_BROKER_DOWN_MS'] ?? 15_000);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const meteringMain = fileURLToPath(new URL('../services/metering/src/main.ts', import.meta.url));
const agentMain = fileURLToPath(new URL('../services/agent/src/main.ts', import.meta.url));
const run = `m${randomBytes(4).toString('hex')}`;
const prefix = `${run}-`;
const children: ChildHandle[] = [];

let db: TestDatabase;
let specs: PipelineTopics;
let workDir: string;
let broker: PrivateBroker;
let kafka: Kafka;
beforeAll(async () => {
  broker = await startPrivateBroker(`metering-${run}`, log);
  kafka = createKafka('metering-e2e', broker.brokers, log);
  db = await createTestDatabase(endpoints.DATABASE_URL);
  specs = await createPipelineTopics(kafka, registry, run);
  workDir = await mkdtemp(join(tmpdir(), 'tally-e2e-'));
});
afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  await broker.stop();
  await rm(join(runDir, 'private-kafka', `metering-${run}`), { recursive: true, force: true });
  await db.drop();
  await rm(workDir, { recursive: true, force: true });
});

function startMetering(): ChildHandle {
  const child = startNodeChild(meteringMain, {
    ...meteringTopicEnv(specs),
    KAFKA_BROKERS: broker.brokers.join(','),
    DB_SCHEMA: db.schema,
    METERING_GROUP: `metering-${run}`,
    METERING_INVENTORY_GROUP: `metering-inventory-${run}`,
    // The simulated day lies in the past: keep its hours open.
    METERING_RETENTION_DAYS: '100000',
    METERING_METRICS_PORT: '0',
    METERING_SESSION_TIMEOUT_MS: '6000',
    METERING_PENDING_FLUSH_MS: '500',
    LOG_LEVEL: 'info',
  });
  children.push(child);
  return child;
}

function startAgent(truthFile: string): ChildHandle {
  const from = Date.UTC(2025, 0, 1);
  const child = startNodeChild(agentMain, {
    ...agentTopicEnv(specs),
    KAFKA_BROKERS: broker.brokers.join(','),
    AGENT_MODE: 'simulate',
    AGENT_SEED: '20250101',
    AGENT_ID_PREFIX: prefix,
    AGENT_HYPERVISORS: String(HYPERVISORS),
    AGENT_INSTANCES_PER_HYPERVISOR: String(PER_HYPERVISOR),
    AGENT_PERIOD_FROM: new Date(from).toISOString(),
    AGENT_PERIOD_MINUTES: String(PERIOD_MINUTES),
    AGENT_DUPLICATE_FRACTION: '0.05',
    AGENT_REORDER_WINDOW: '200',
    // An event-time outage (held, then sent in a burst) over a fifth of the period...
    AGENT_OUTAGE_FROM: new Date(from + PERIOD_MINUTES * 24_000).toISOString(),
    AGENT_OUTAGE_TO: new Date(from + PERIOD_MINUTES * 36_000).toISOString(),
    // ...and the broker itself goes away for a while (see the test): sends fail, the spool fills and drains.
    AGENT_BATCH_SIZE: String(BATCH_SIZE),
    AGENT_RETRY_MS: '300',
    AGENT_SPOOL_DIR: join(workDir, 'spool'),
    AGENT_GROUND_TRUTH_FILE: truthFile,
    LOG_LEVEL: 'info',
  });
  children.push(child);
  return child;
}

interface Progress {
  counted: number;
  outbox: number;
  pending: number;
}

async function progress(): Promise<Progress> {
  const result = await db.pool.query<{ counted: string | null; outbox: string; pending: string }>(
    `SELECT (SELECT sum(version) FROM usage_hourly WHERE starts_with(instance_id, $1)) AS counted,
            (SELECT count(*) FROM outbox) AS outbox,
            (SELECT count(*) FROM metering_pending) AS pending`,
    [prefix],
  );
  const row = result.rows[0];
  return { counted: Number(row?.counted ?? 0), outbox: Number(row?.outbox ?? 0), pending: Number(row?.pending ?? 0) };
}

type Totals = HourTotals;

async function usageRows(): Promise<Map<string, Totals>> {
  const result = await db.pool.query<Record<string, string>>(
    `SELECT instance_id, (extract(epoch FROM hour_start) * 1000)::bigint AS hour_start, running_seconds, rx_bytes,
       tx_bytes, rx_packets, tx_packets, cpu_seconds::text AS cpu_seconds
     FROM usage_hourly WHERE starts_with(instance_id, $1)`,
    [prefix],
  );
  return new Map(
    result.rows.map((row) => {
      const totals: Totals = {
        instanceId: row['instance_id'] ?? '',
        hourStart: Number(row['hour_start']),
        runningSeconds: Number(row['running_seconds']),
        rxBytes: Number(row['rx_bytes']),
        txBytes: Number(row['tx_bytes']),
        rxPackets: Number(row['rx_packets']),
        txPackets: Number(row['tx_packets']),
        cpuSeconds: row['cpu_seconds'] ?? '',
      };
      return [usageKey(totals.instanceId, totals.hourStart), totals];
    }),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('agent → traffic.samples → metering → usage_hourly and usage.hourly', () => {
  it('equals the ground truth exactly despite duplicates, reordering, outages and SIGKILLs of metering', async () => {
    const truthFile = join(workDir, 'truth.json');
    let metering = startMetering();
    const agent = startAgent(truthFile);

    let kills = 0;
    let crashes = 0;
    let agentCode: number | null | undefined;
    void agent.exited.then((code) => (agentCode = code));
    // Like the supervisor of `pnpm start`: a metering process that gave up (its broker was gone) is started again.
    const keepMeteringUp = () => {
      if (metering.process.exitCode !== null || metering.process.signalCode !== null) {
        crashes += 1;
        metering = startMetering();
      }
    };
    const supervision = setInterval(keepMeteringUp, 500);
    try {
      // The broker goes away while the agent is sending samples: not before it has published the inventory, or
      // (on a loaded machine) the outage falls into its connect retries and the spool is never exercised.
      await eventually(
        () => Promise.resolve(agent.output().includes('accounts and inventory published')),
        180_000,
        100,
      );
      await sleep(1_000);
      await broker.restart(BROKER_DOWN_MS);
      for (; kills < KILLS; kills += 1) {
        await sleep(3_000 + Math.random() * 5_000);
        keepMeteringUp();
        metering.process.kill('SIGKILL');
        await metering.exited;
        metering = startMetering();
      }
      expect(await agent.exited, agent.output()).toBe(0);
    } finally {
      clearInterval(supervision);
    }
    keepMeteringUp();
    expect(agentCode).toBe(0);
    const truth = JSON.parse(await readFile(truthFile, 'utf8')) as GroundTruthFile;
    expect(truth.duplicates).toBeGreaterThan(0);
    console.info(
      `${HYPERVISORS * PER_HYPERVISOR} instances × ${PERIOD_MINUTES} min: ${truth.sentSamples} samples sent, ` +
        `${truth.distinctSamples} distinct, ${truth.hours.length} instance-hours; metering SIGKILLed ${kills} times, ` +
        `restarted ${crashes} times after giving up; broker down for ${BROKER_DOWN_MS} ms`,
    );

    const finished = await eventually(
      async () => {
        keepMeteringUp();
        const now = await progress();
        return now.counted === truth.distinctSamples && now.outbox === 0 && now.pending === 0;
      },
      240_000,
      1_000,
    );
    expect(
      finished,
      `after ${kills} kills: ${JSON.stringify(await progress())} of ${truth.distinctSamples}\n${metering.output()}`,
    ).toBe(true);
    // A signal during module loading would kill it before its handlers exist; stop it once it is up.
    await eventually(() => Promise.resolve(metering.output().includes('metering started')), 30_000);
    metering.process.kill('SIGTERM');
    expect(await metering.exited, metering.output()).toBe(0);

    const expected = new Map(truth.hours.map((hour) => [usageKey(hour.instanceId, hour.hourStart), hour]));
    expect(await usageRows()).toEqual(expected);

    const published = await latestUsage(kafka, registry, specs.usage, run);
    const fromTopic = new Map(
      [...published].map(([key, value]): [string, Totals] => [
        key,
        {
          instanceId: value.instanceId,
          hourStart: value.hourStart,
          runningSeconds: value.runningSeconds,
          rxBytes: value.rxBytes,
          txBytes: value.txBytes,
          rxPackets: value.rxPackets,
          txPackets: value.txPackets,
          cpuSeconds: value.cpuSeconds,
        },
      ]),
    );
    expect(fromTopic).toEqual(expected);
    // The latest value of each key is the highest version: the distinct samples of its hour.
    const versions = [...published.values()].reduce((sum, value) => sum + value.version, 0);
    expect(versions).toBe(truth.distinctSamples);

    // Good data: nothing dead-lettered, nothing late.
    expect(await recordCount(kafka, deadLetterTopicOf(specs.samples.name))).toBe(0);
    expect(await recordCount(kafka, specs.late.name)).toBe(0);
    expect(agent.output()).toContain('send failed; spooling');
    expect(agent.output()).toContain('spool drained');
  }, 900_000);
});
