/**
 * Billing's finalizer and metering's lag, with the real services as child processes on the local stack.
 *
 * The agent simulator sends six hours of February 2025 and metering meters them; metering stops; the simulator sends
 * the next six hours, which stay in traffic.samples unmetered. Billing starts on the real clock: February plus grace
 * is long past, and billing has read every usage record there is (its outbox and lag are clean), so the old gate
 * would have finalized without the second six hours, to bill them later as adjustments although they were on time.
 * The watermark gate must wait instead. Then a producer starts sending samples without pause (a live instance, this
 * hour), metering comes back, and billing must finalize while that load goes on: invoices equal to the oracle over
 * all twelve hours (nothing billed late), and the producer still running when they are.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createFleet, prefixFleet, type GroundTruthFile } from '@tally/agent';
import { parsePriceBookFile } from '@tally/billing';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { createIdempotentProducer, createKafka, createRegistry, typedTopic, valueCodec } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { instance, trafficSample } from '@tally/records';
import { eventually, startNodeChild, type ChildHandle } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  billingTopicEnv,
  createBillingTopics,
  expectedInvoices,
  finalizedInvoices,
  retryingUnknownTopic,
} from './src/pipeline-billing.ts';
import { agentTopicEnv, createPipelineTopics, meteringTopicEnv, type PipelineTopics } from './src/pipeline-topics.ts';

const SEED = 20250301;
const HYPERVISORS = 2;
const PER_HYPERVISOR = 2;
const ACCOUNTS = 2;
const MONTH = '2025-02';
const FIRST_FROM = Date.UTC(2025, 1, 2);
const HOURS = 6;
const SECOND_FROM = FIRST_FROM + HOURS * 3_600_000;

const endpoints = loadConfig(connectionEnv);
const log = createLogger('finalize-watermark-e2e', 'warn');
const kafka = createKafka('finalize-watermark-e2e', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const main = (service: string) => fileURLToPath(new URL(`../services/${service}/src/main.ts`, import.meta.url));
const run = `fw${randomBytes(4).toString('hex')}`;
const prefix = `${run}-`;
const meteringGroup = `metering-${run}`;

const PRICE_BOOK = `
entries:
  - sku: compute.s1.small
    unit: hour
    effectiveFrom: 2025-01-01T00:00:00Z
    prices:
      USD: { kind: per_unit, unitPrice: '0.0104' }
      EUR: { kind: per_unit, unitPrice: '0.0096' }
  - sku: compute.s1.medium
    unit: hour
    effectiveFrom: 2025-01-01T00:00:00Z
    prices:
      USD: { kind: per_unit, unitPrice: '0.0208' }
      EUR: { kind: per_unit, unitPrice: '0.0192' }
  - sku: compute.g1.large
    unit: hour
    effectiveFrom: 2025-01-01T00:00:00Z
    prices:
      USD: { kind: per_unit, unitPrice: '1.25' }
      EUR: { kind: per_unit, unitPrice: '1.15' }
  - sku: egress.gb
    unit: gb
    effectiveFrom: 2025-01-01T00:00:00Z
    prices:
      USD: { kind: graduated, tiers: [{ upTo: '100', unitPrice: '0' }, { upTo: null, unitPrice: '0.09' }] }
      EUR: { kind: graduated, tiers: [{ upTo: '100', unitPrice: '0' }, { upTo: null, unitPrice: '0.083' }] }
`;

let db: TestDatabase;
let pipeline: PipelineTopics;
let workDir: string;
const children: ChildHandle[] = [];
const stopLoad = new AbortController();

beforeAll(async () => {
  pipeline = await retryingUnknownTopic(() => createPipelineTopics(kafka, registry, run));
  db = await createTestDatabase(endpoints.DATABASE_URL);
  workDir = await mkdtemp(join(tmpdir(), 'tally-finalize-watermark-'));
}, 60_000);
afterAll(async () => {
  stopLoad.abort();
  for (const child of children) child.process.kill('SIGKILL');
  await db?.drop();
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

function track(child: ChildHandle): ChildHandle {
  children.push(child);
  return child;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls `check` until it holds, the timeout passes, or one of `children` exits (failing at once, not minutes later). */
async function until(
  alive: readonly ChildHandle[],
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  return eventually(
    async () => {
      const exited = alive.find((c) => c.process.exitCode !== null || c.process.signalCode !== null);
      if (exited !== undefined) throw new Error(`a service exited:\n${exited.output()}`);
      return check();
    },
    timeoutMs,
    300,
  );
}

/** SIGTERM once the child has said it started; its exit code. */
async function stop(child: ChildHandle, marker: string): Promise<number | null> {
  await eventually(() => Promise.resolve(child.output().includes(marker)), 60_000);
  child.process.kill('SIGTERM');
  return child.exited;
}

function fleet() {
  return prefixFleet(
    createFleet({
      seed: SEED,
      hypervisors: HYPERVISORS,
      instancesPerHypervisor: PER_HYPERVISOR,
      period: { from: FIRST_FROM, to: FIRST_FROM + HOURS * 3_600_000 },
      accounts: ACCOUNTS,
    }),
    prefix,
  );
}

async function runAgent(name: string, from: number): Promise<GroundTruthFile> {
  const truthFile = join(workDir, `truth-${name}.json`);
  const agent = track(
    startNodeChild(main('agent'), {
      ...agentTopicEnv(pipeline),
      AGENT_MODE: 'simulate',
      AGENT_SEED: String(SEED),
      AGENT_ID_PREFIX: prefix,
      AGENT_HYPERVISORS: String(HYPERVISORS),
      AGENT_INSTANCES_PER_HYPERVISOR: String(PER_HYPERVISOR),
      AGENT_ACCOUNTS: String(ACCOUNTS),
      AGENT_PERIOD_FROM: new Date(from).toISOString(),
      AGENT_PERIOD_MINUTES: String(HOURS * 60),
      AGENT_DUPLICATE_FRACTION: '0.05',
      AGENT_SPOOL_DIR: join(workDir, `spool-${name}`),
      AGENT_GROUND_TRUTH_FILE: truthFile,
    }),
  );
  expect(await agent.exited, agent.output()).toBe(0);
  return JSON.parse(await readFile(truthFile, 'utf8')) as GroundTruthFile;
}

function startMetering(): ChildHandle {
  return track(
    startNodeChild(main('metering'), {
      ...meteringTopicEnv(pipeline),
      DB_SCHEMA: db.schema,
      METERING_GROUP: meteringGroup,
      METERING_INVENTORY_GROUP: `metering-inventory-${run}`,
      METERING_RETENTION_DAYS: '100000',
      METERING_METRICS_PORT: '0',
      METERING_SESSION_TIMEOUT_MS: '6000',
      METERING_PENDING_FLUSH_MS: '500',
      LOG_LEVEL: 'info',
    }),
  );
}

/** Distinct samples metering has counted (one version each), with its outbox sent and nothing held. */
async function meteredAll(distinct: number): Promise<boolean> {
  const r = await db.pool.query<{ counted: string | null; outbox: string; pending: string }>(
    `SELECT (SELECT sum(version) FROM usage_hourly) AS counted, (SELECT count(*) FROM outbox) AS outbox,
            (SELECT count(*) FROM metering_pending) AS pending`,
  );
  const row = r.rows[0];
  return Number(row?.counted ?? 0) === distinct && row?.outbox === '0' && row.pending === '0';
}

/** A counter of billing's metrics endpoint, summed over the label values that match. */
async function metric(port: number, name: string, labels = ''): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`)
    .then((response) => response.text())
    .catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.startsWith(name) && line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/**
 * Samples without pause for one live instance (known to the inventory), each for a new interface in a window a
 * minute ago, so metering publishes a new usage.hourly version every batch and billing always has something to read.
 */
async function continuousLoad(signal: AbortSignal): Promise<{ sent: () => number; done: Promise<void> }> {
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const liveId = `${prefix}live`;
  const accountId = fleet().accounts[0]!.accountId;
  const instances = valueCodec(registry, typedTopic(pipeline.instances, instance));
  const now = Date.now();
  await producer.send({
    topic: pipeline.instances.name,
    acks: -1,
    messages: [
      {
        key: liveId,
        value: await instances.encode({
          instanceId: liveId,
          accountId,
          instanceType: 's1.small',
          zone: 'z1',
          state: 'running',
          createdAt: now - 86_400_000,
          updatedAt: now - 86_400_000,
        }),
      },
    ],
  });
  const samples = valueCodec(registry, typedTopic(pipeline.samples, trafficSample));
  let sent = 0;
  const done = (async () => {
    try {
      for (let n = 0; !signal.aborted; n += 1) {
        // A window that has closed (metering refuses windows from the future).
        const windowStart = Math.floor(Date.now() / 30_000) * 30_000 - 60_000;
        const messages = await Promise.all(
          Array.from({ length: 4 }, async (_, i) => {
            const k = n * 4 + i;
            const value = await samples.encode({
              hypervisorId: 'hv-live',
              instanceId: liveId,
              interfaceId: `eth${k}`,
              windowStart,
              rxBytes: 1_000,
              txBytes: 2_000,
              rxPackets: 1,
              txPackets: 2,
              cpuSeconds: '0.500',
            });
            return { key: liveId, value };
          }),
        );
        await producer.send({ topic: pipeline.samples.name, acks: -1, messages });
        sent += messages.length;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await producer.disconnect();
    }
  })();
  return { sent: () => sent, done };
}

describe("billing's finalizer waits for metering's lag, and finalizes under continuous load", () => {
  it('does not finalize while samples from before the month fell due are unmetered; finalizes while agents keep sending', async () => {
    const billingTopics = await createBillingTopics(kafka, registry, run, pipeline);
    const priceBookFile = join(workDir, 'prices.yaml');
    await writeFile(priceBookFile, PRICE_BOOK);
    const { stdout } = await promisify(execFile)(process.execPath, [main('cli'), 'prices', 'publish', priceBookFile], {
      env: { ...process.env, PRICES_TOPIC: billingTopics.prices.name },
    });
    expect(stdout).toContain(`price entries published to ${billingTopics.prices.name}`);

    // Six hours, metered.
    let metering = startMetering();
    const first = await runAgent('first', FIRST_FROM);
    expect(await until([metering], () => meteredAll(first.distinctSamples), 120_000), metering.output()).toBe(true);
    expect(await stop(metering, 'metering started'), metering.output()).toBe(0);

    // The next six hours, in traffic.samples but not metered: metering is down.
    const second = await runAgent('second', SECOND_FROM);
    expect(second.distinctSamples).toBeGreaterThan(0);

    // Billing starts on the real clock: February + 1 h grace is long past.
    const metricsPort = await freePort();
    const billing = track(
      startNodeChild(main('billing'), {
        ...billingTopicEnv(pipeline, billingTopics, meteringGroup),
        DB_SCHEMA: db.schema,
        BILLING_GROUP: `billing-${run}`,
        BILLING_GRACE_HOURS: '1',
        BILLING_FINALIZE_INTERVAL_MS: '300',
        BILLING_DRAFT_REFRESH_MS: '300',
        BILLING_SESSION_TIMEOUT_MS: '6000',
        BILLING_METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'info',
      }),
    );
    const prices = parsePriceBookFile(PRICE_BOOK, 'prices.yaml');
    const firstOnly = expectedInvoices(fleet(), prices, MONTH, first.hours);
    const all = expectedInvoices(fleet(), prices, MONTH, [...first.hours, ...second.hours]);
    expect([...all.keys()].sort()).toEqual([...firstOnly.keys()].sort());

    // Billing has read every usage record and built its drafts; the old gate would finalize now. The new one waits
    // on metering, pass after pass.
    const drafts = async () =>
      Number(
        (await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM invoices WHERE month = $1`, [MONTH])).rows[0]
          ?.n ?? 0,
      );
    const waited = await until(
      [billing],
      async () =>
        (await drafts()) === firstOnly.size &&
        (await metric(metricsPort, 'tally_finalize_not_ready_total', 'reason="samples-unmetered"')) >= 10,
      120_000,
    );
    expect(waited, billing.output()).toBe(true);
    expect(await finalizedInvoices(db.pool)).toEqual([]);
    expect(billing.output()).toContain('"reason":"samples-unmetered"');

    // Agents never stop sending; metering comes back.
    const load = await continuousLoad(stopLoad.signal);
    await eventually(() => Promise.resolve(load.sent() > 100), 30_000, 100);
    metering = startMetering();
    const finalized = await until(
      [billing, metering],
      async () => (await finalizedInvoices(db.pool)).length >= all.size,
      180_000,
    );
    expect(finalized, `${billing.output()}\n${metering.output()}`).toBe(true);
    const sentAtFinalization = load.sent();
    // Still under load: the producer goes on, and metering still publishes usage for the live instance.
    expect(await eventually(() => Promise.resolve(load.sent() > sentAtFinalization + 40), 30_000, 100)).toBe(true);
    stopLoad.abort();
    await load.done;

    // Every invoice bills both six-hour stretches: the unmetered samples were waited for, none comes late.
    const invoices = await finalizedInvoices(db.pool);
    expect(invoices.map((i) => `${i.accountId}|${i.month}`)).toEqual([...all.keys()].sort());
    for (const invoice of invoices) {
      const want = all.get(`${invoice.accountId}|${invoice.month}`)!;
      expect(invoice.content, `${invoice.accountId} ${invoice.month}`).toEqual(want.invoice);
      expect(invoice.hash).toBe(want.hash);
    }
    const rounds = await db.pool.query<{ stage: string }>('SELECT stage FROM billing_finalize_watermarks');
    expect(rounds.rows.map((r) => r.stage)).toEqual(['done']);

    expect(await stop(billing, 'billing started'), billing.output()).toBe(0);
    expect(await stop(metering, 'metering started'), metering.output()).toBe(0);
  }, 420_000);
});
