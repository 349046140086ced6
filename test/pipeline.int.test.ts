/**
 * The whole pipeline end to end, exact under faults: agent simulator → traffic.samples → metering → usage.hourly →
 * billing → finalized invoices, every service a child process on a broker of this test's own.
 *
 * A simulated fleet over part of February 2025 (a trial account with free credit, an EUR account in
 * Europe/Zurich) with duplicates, reordering and late data within grace; a price book with a mid-month price cut.
 * While the usage arrives, billing lives in February (its clock is shifted there), so the month stays open; once
 * metering has everything, billing is restarted on the real clock: the month ends, grace passes, it finalizes.
 *
 * 1. Faulted run: metering and billing SIGKILLed and restarted, the broker down while the agent sends, PostgreSQL
 *    connections of both dropped through a TCP proxy; services that give up are restarted.
 *    Then late data beyond grace: after February is finalized, a second, small agent run brings samples of its last
 *    hours (billing stopped meanwhile); they must come as adjustment lines on a March invoice.
 * 2. Fault-free run: the same seed (and id prefix) on new topics, a new schema and new groups, same two phases.
 * Then: (a) both runs' finalized invoices are byte-identical (hashes, numbers, content); (b) they equal an oracle
 * computed from the simulator's ground truth and the price book with billing's pure buildInvoice, and the trial
 * account's invoices equal hand arithmetic; (c) the faulted run's dead-letter topics and late topic hold nothing.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createFleet, prefixFleet, type GroundTruthFile } from '@tally/agent';
import { parsePriceBookFile } from '@tally/billing';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import { runDir, startPrivateBroker, type PrivateBroker } from '@tally/infra';
import { createKafka, createRegistry, deadLetterTopicOf } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { eventually, startNodeChild, startTcpProxy, type ChildHandle, type TcpProxy } from '@tally/testing';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  billingDeadLetterTopics,
  billingTopicEnv,
  createBillingTopics,
  expectedInvoices,
  finalizedInvoices,
  retryingUnknownTopic,
  type BillingTopics,
  type StoredInvoice,
} from './src/pipeline-billing.ts';
import {
  agentTopicEnv,
  createPipelineTopics,
  meteringTopicEnv,
  recordCount,
  type PipelineTopics,
} from './src/pipeline-topics.ts';
import { Supervised } from './src/supervised.ts';

// Size: 3 hypervisors × 4 instances, 3 accounts, 26 days of February 2025 by default; E2E_* change it.
const HYPERVISORS = Number(process.env['E2E_HYPERVISORS'] ?? 3);
const PER_HYPERVISOR = Number(process.env['E2E_INSTANCES_PER_HYPERVISOR'] ?? 4);
const ACCOUNTS = 3;
// This seed gives two trial accounts (acc-0000 in UTC, acc-0001 in EUR and Europe/Zurich, with a heavy g1.large
// whose egress reaches the paid tier) and a paying one in New York.
const SEED = 20250220;
const MONTH = '2025-02';
const PERIOD_FROM = Date.UTC(2025, 1, 2);
/** At least 14, so that the period spans the price cut; at most 26, so that it stays in February in every zone. */
const PERIOD_DAYS = Number(process.env['E2E_PERIOD_DAYS'] ?? 26);
const PERIOD_MINUTES = PERIOD_DAYS * 24 * 60;
const PRICE_CUT = Date.UTC(2025, 1, 15); // g1.large 1.25 → 0.99 USD (1.15 → 0.91 EUR)
/** While the usage arrives, billing's clock says this: the month is still open. */
/** Late beyond grace: after February is finalized, a second agent run brings these hours of 28 February. */
const LATE_FROM = Date.UTC(2025, 1, 28);
const LATE_HOURS = 3;
const NEXT_MONTH = '2025-03';
const BILLING_LIVE_NOW = Date.UTC(2025, 1, 28, 12);
// Longer than kafkajs' own send retries (~15 s in all), so that the agent's spool takes over.
const BROKER_DOWN_MS = 18_000;
const DB_DOWN_MS = 3_000;

const endpoints = loadConfig(connectionEnv);
const log = createLogger('pipeline-e2e', 'warn');
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const main = (service: string) => fileURLToPath(new URL(`../services/${service}/src/main.ts`, import.meta.url));
const run = `p${randomBytes(4).toString('hex')}`;
// The same prefix in both runs: the invoices name the same accounts, so they can be identical to the byte.
const prefix = `${run}-`;
const children: ChildHandle[] = [];
const databases: TestDatabase[] = [];
const proxies: TcpProxy[] = [];

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
  - sku: compute.g1.large
    unit: hour
    effectiveFrom: ${new Date(PRICE_CUT).toISOString()}
    prices:
      USD: { kind: per_unit, unitPrice: '0.99' }
      EUR: { kind: per_unit, unitPrice: '0.91' }
  - sku: egress.gb
    unit: gb
    effectiveFrom: 2025-01-01T00:00:00Z
    prices:
      USD:
        kind: graduated
        tiers:
          - { upTo: '100', unitPrice: '0' }
          - { upTo: null, unitPrice: '0.09' }
      EUR:
        kind: graduated
        tiers:
          - { upTo: '100', unitPrice: '0' }
          - { upTo: null, unitPrice: '0.083' }
`;

let broker: PrivateBroker;
let kafka: Kafka;
let workDir: string;
let priceBookFile: string;

beforeAll(async () => {
  broker = await startPrivateBroker(`pipeline-${run}`, log);
  kafka = createKafka('pipeline-e2e', broker.brokers, log);
  workDir = await mkdtemp(join(tmpdir(), 'tally-pipeline-'));
  priceBookFile = join(workDir, 'prices.yaml');
  await writeFile(priceBookFile, PRICE_BOOK);
});
afterAll(async () => {
  for (const child of children) child.process.kill('SIGKILL');
  for (const proxy of proxies) await proxy.close();
  await broker.stop();
  await rm(join(runDir, 'private-kafka', `pipeline-${run}`), { recursive: true, force: true });
  for (const db of databases) await db.drop();
  await rm(workDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function track(child: ChildHandle): ChildHandle {
  children.push(child);
  return child;
}

/** DATABASE_URL with its host and port replaced by the proxy's. */
function viaProxy(proxy: TcpProxy): string {
  const url = new URL(endpoints.DATABASE_URL);
  url.hostname = '127.0.0.1';
  url.port = String(proxy.port);
  return url.toString();
}

interface RunResult {
  name: string;
  truth: GroundTruthFile;
  late: GroundTruthFile;
  /** Finalized before the late data came. */
  monthInvoices: StoredInvoice[];
  invoices: StoredInvoice[];
  pipeline: PipelineTopics;
  billing: BillingTopics;
  faults: string;
  seconds: number;
}

/** One whole pipeline run on fresh topics, a fresh schema and fresh groups; with faults or without. */
async function runPipeline(name: string, faulted: boolean): Promise<RunResult> {
  const started = Date.now();
  const id = `${run}${name}`;
  const pipeline = await retryingUnknownTopic(() => createPipelineTopics(kafka, registry, id));
  const billing = await createBillingTopics(kafka, registry, id, pipeline);
  const db = await createTestDatabase(endpoints.DATABASE_URL);
  databases.push(db);
  const proxy = await startTcpProxy(
    new URL(endpoints.DATABASE_URL).hostname,
    Number(new URL(endpoints.DATABASE_URL).port || 5432),
  );
  proxies.push(proxy);
  const databaseUrl = faulted ? viaProxy(proxy) : endpoints.DATABASE_URL;
  const brokers = broker.brokers.join(',');

  const { stdout } = await promisify(execFile)(process.execPath, [main('cli'), 'prices', 'publish', priceBookFile], {
    env: { ...process.env, KAFKA_BROKERS: brokers, PRICES_TOPIC: billing.prices.name },
  });
  expect(stdout).toContain(`price entries published to ${billing.prices.name}`);

  const startAgent = (phase: 'month' | 'late') => {
    const truthFile = join(workDir, `truth-${name}-${phase}.json`);
    const [from, minutes] = phase === 'month' ? [PERIOD_FROM, PERIOD_MINUTES] : [LATE_FROM, LATE_HOURS * 60];
    const child = track(
      startNodeChild(main('agent'), {
        ...agentTopicEnv(pipeline),
        KAFKA_BROKERS: brokers,
        AGENT_MODE: 'simulate',
        AGENT_SEED: String(SEED),
        AGENT_ID_PREFIX: prefix,
        AGENT_HYPERVISORS: String(HYPERVISORS),
        AGENT_INSTANCES_PER_HYPERVISOR: String(PER_HYPERVISOR),
        AGENT_ACCOUNTS: String(ACCOUNTS),
        AGENT_PERIOD_FROM: new Date(from).toISOString(),
        AGENT_PERIOD_MINUTES: String(minutes),
        AGENT_DUPLICATE_FRACTION: '0.05',
        AGENT_REORDER_WINDOW: '200',
        // Late within grace: 1% of the samples arrive three hours (of event time) late.
        AGENT_LATE_FRACTION: phase === 'month' ? '0.01' : '0',
        AGENT_LATE_DELAY_MINUTES: '180',
        AGENT_BATCH_SIZE: '2000',
        AGENT_RETRY_MS: '300',
        AGENT_PROGRESS_MS: '1000',
        AGENT_SPOOL_DIR: join(workDir, `spool-${name}-${phase}`),
        AGENT_GROUND_TRUTH_FILE: truthFile,
        LOG_LEVEL: 'info',
      }),
    );
    return { child, truth: async () => JSON.parse(await readFile(truthFile, 'utf8')) as GroundTruthFile };
  };
  const { child: agent, truth: monthTruth } = startAgent('month');
  // Its output is kept only in part: note the spool's use as it happens.
  const agentSaw = new Set<string>();
  let tail = '';
  agent.process.stdout?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4_000);
    for (const event of ['send failed; spooling', 'spool drained']) if (tail.includes(event)) agentSaw.add(event);
  });
  const metering = new Supervised('metering', () =>
    track(
      startNodeChild(main('metering'), {
        ...meteringTopicEnv(pipeline),
        KAFKA_BROKERS: brokers,
        DATABASE_URL: databaseUrl,
        DB_SCHEMA: db.schema,
        METERING_GROUP: `metering-${id}`,
        METERING_INVENTORY_GROUP: `metering-inventory-${id}`,
        METERING_RETENTION_DAYS: '100000',
        METERING_METRICS_PORT: '0',
        METERING_SESSION_TIMEOUT_MS: '6000',
        METERING_PENDING_FLUSH_MS: '500',
        LOG_LEVEL: 'info',
      }),
    ),
  );
  const billingEnv = (clockOffsetMs: () => number) => () =>
    track(
      startNodeChild(main('billing'), {
        ...billingTopicEnv(pipeline, billing, `metering-${id}`),
        KAFKA_BROKERS: brokers,
        DATABASE_URL: databaseUrl,
        DB_SCHEMA: db.schema,
        BILLING_GROUP: `billing-${id}`,
        BILLING_GRACE_HOURS: '1',
        BILLING_CLOCK_OFFSET_MS: String(clockOffsetMs()),
        BILLING_FINALIZE_INTERVAL_MS: '500',
        BILLING_DRAFT_REFRESH_MS: '500',
        BILLING_SESSION_TIMEOUT_MS: '6000',
        BILLING_METRICS_PORT: '0',
        LOG_LEVEL: 'info',
      }),
    );
  const billingService = new Supervised(
    'billing',
    billingEnv(() => BILLING_LIVE_NOW - Date.now()),
  );
  const services = [metering, billingService];
  const supervision = setInterval(() => services.forEach((s) => s.keepUp()), 500);
  let faults = 'none';
  const prices = parsePriceBookFile(PRICE_BOOK, 'prices.yaml');

  /** Waits until metering has counted `distinct` samples (one version per counted sample) and published them. */
  const meteringCounted = async (distinct: number) => {
    const progress = async () => {
      const r = await db.pool.query<{ counted: string | null; outbox: string; pending: string }>(
        `SELECT (SELECT sum(version) FROM usage_hourly) AS counted, (SELECT count(*) FROM outbox) AS outbox,
                (SELECT count(*) FROM metering_pending) AS pending`,
      );
      return r.rows[0];
    };
    const done = await eventually(
      async () => {
        const row = await progress();
        return Number(row?.counted ?? 0) === distinct && row?.outbox === '0' && row.pending === '0';
      },
      240_000,
      1_000,
    );
    expect(done, `metering: ${JSON.stringify(await progress())} of ${distinct}\n${metering.output()}`).toBe(true);
  };
  /** Waits until `count` invoices are finalized and billing's outbox is empty. */
  const finalizedCount = async (count: number) => {
    const done = await eventually(
      async () => {
        const invoices = await finalizedInvoices(db.pool);
        const outbox = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
        return invoices.length >= count && outbox.rows[0]?.n === '0';
      },
      240_000,
      1_000,
    );
    const got = (await finalizedInvoices(db.pool)).length;
    expect(done, `finalized ${got} of ${count}\n${billingService.output()}`).toBe(true);
  };

  try {
    await eventually(() => Promise.resolve(agent.output().includes('ground truth written')), 180_000, 100);
    if (faulted) {
      // The broker goes away once samples are flowing (the agent reports progress every second).
      await eventually(() => Promise.resolve(agent.output().includes('"msg":"progress"')), 60_000, 50);
      await broker.restart(BROKER_DOWN_MS);
      await sleep(2_000 + Math.random() * 2_000);
      await metering.kill();
      await sleep(2_000 + Math.random() * 2_000);
      await billingService.kill();
      await sleep(2_000 + Math.random() * 2_000);
      await proxy.refuse();
      await sleep(DB_DOWN_MS);
      await proxy.restore();
      await sleep(3_000 + Math.random() * 2_000);
      await metering.kill();
      await sleep(1_000 + Math.random() * 2_000);
      await billingService.kill();
    }
    expect(await agent.exited, agent.output()).toBe(0);
    if (faulted) {
      // Once more after the agent is done: billing and metering catching up lose their connections.
      await proxy.refuse();
      await sleep(DB_DOWN_MS);
      await proxy.restore();
    }
    const truth = await monthTruth();
    await meteringCounted(truth.distinctSamples);

    // The month ends: billing on the real clock, February plus grace long past, finalizes.
    const code = await billingService.replace(
      'billing started',
      billingEnv(() => 0),
    );
    expect(code, billingService.child.output()).toBe(0);
    await finalizedCount(expectedInvoices(fleet(), prices, MONTH, truth.hours).size);
    const monthInvoices = await finalizedInvoices(db.pool);

    // Late beyond grace: a second agent run brings samples of the finalized month's last hours (while billing is
    // stopped, so that it sees them all at once); they are billed as adjustments on a next-month invoice.
    expect(await billingService.stop('billing started'), billingService.child.output()).toBe(0);
    const lateAgent = startAgent('late');
    expect(await lateAgent.child.exited, lateAgent.child.output()).toBe(0);
    const late = await lateAgent.truth();
    await meteringCounted(truth.distinctSamples + late.distinctSamples);
    await billingService.replace(
      'billing started',
      billingEnv(() => 0),
    ); // stopped above: starts it again
    const lateHours = { nextMonth: NEXT_MONTH, hours: late.hours };
    await finalizedCount(expectedInvoices(fleet(), prices, MONTH, truth.hours, lateHours).size);

    clearInterval(supervision);
    expect(await metering.stop('metering started'), metering.child.output()).toBe(0);
    expect(await billingService.stop('billing started'), billingService.child.output()).toBe(0);
    if (faulted) {
      faults =
        `broker down ${BROKER_DOWN_MS} ms while the agent sent; PostgreSQL refused ${DB_DOWN_MS} ms twice; ` +
        `metering SIGKILLed ${metering.kills}×, restarted after giving up ${metering.restarts}×; ` +
        `billing SIGKILLed ${billingService.kills}×, restarted after giving up ${billingService.restarts}×`;
      expect([...agentSaw].sort()).toEqual(['send failed; spooling', 'spool drained']);
    }
    return {
      name,
      truth,
      late,
      monthInvoices,
      invoices: await finalizedInvoices(db.pool),
      pipeline,
      billing,
      faults,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    clearInterval(supervision);
  }
}

function fleet() {
  const from = PERIOD_FROM;
  return prefixFleet(
    createFleet({
      seed: SEED,
      hypervisors: HYPERVISORS,
      instancesPerHypervisor: PER_HYPERVISOR,
      period: { from, to: from + PERIOD_MINUTES * 60_000 },
      accounts: ACCOUNTS,
    }),
    prefix,
  );
}

const summary = (invoices: StoredInvoice[]) => invoices.map((i) => `${i.accountId} ${i.month} ${i.number} ${i.hash}`);

describe('agent → metering → billing under faults', () => {
  it('finalizes the same invoices, to the byte, as a fault-free run and as the oracle', async () => {
    const started = Date.now();
    const faulted = await runPipeline('f', true);
    const clean = await runPipeline('c', false);

    // (a) Byte-identical finalized invoices: same hash, same number, same content per account and month.
    expect(clean.truth.distinctSamples).toBe(faulted.truth.distinctSamples);
    expect(clean.late.distinctSamples).toBe(faulted.late.distinctSamples);
    expect(summary(faulted.invoices)).toEqual(summary(clean.invoices));
    expect(faulted.invoices.map((i) => i.content)).toEqual(clean.invoices.map((i) => i.content));

    // (b) The oracle: billing's pure core applied to the ground truth and the price book, no database involved.
    const prices = parsePriceBookFile(PRICE_BOOK, 'prices.yaml');
    const expectedMonth = expectedInvoices(fleet(), prices, MONTH, faulted.truth.hours);
    const expected = expectedInvoices(fleet(), prices, MONTH, faulted.truth.hours, {
      nextMonth: NEXT_MONTH,
      hours: faulted.late.hours,
    });
    expect(faulted.monthInvoices.map((i) => `${i.accountId}|${i.month}`)).toEqual([...expectedMonth.keys()].sort());
    expect(faulted.invoices.map((i) => `${i.accountId}|${i.month}`)).toEqual([...expected.keys()].sort());
    for (const invoice of faulted.invoices) {
      const want = expected.get(`${invoice.accountId}|${invoice.month}`)!;
      expect(invoice.content, `${invoice.accountId} ${invoice.month}`).toEqual(want.invoice);
      expect(invoice.hash, `${invoice.accountId} ${invoice.month}`).toBe(want.hash);
    }
    // The month's invoices did not change when the late data came (finalized invoices are immutable).
    expect(summary(faulted.invoices.filter((i) => i.month === MONTH))).toEqual(summary(faulted.monthInvoices));
    // Gapless numbers, in (month, account id) order.
    const byNumber = [...faulted.invoices].sort((x, y) => (x.number < y.number ? -1 : 1));
    expect(byNumber.map((i) => i.number)).toEqual(byNumber.map((_, n) => `INV-2025-${String(n + 1).padStart(6, '0')}`));
    expect(byNumber.map((i) => `${i.month}|${i.accountId}`)).toEqual(
      byNumber.map((i) => `${i.month}|${i.accountId}`).sort(),
    );
    // The EUR account in Europe/Zurich is among them; the late invoices carry only adjustment (and credit) lines.
    const eur = faulted.invoices.find((i) => i.content.currency === 'EUR' && i.month === MONTH);
    expect(eur?.content.timeZone).toBe('Europe/Zurich');
    const next = faulted.invoices.filter((i) => i.month === NEXT_MONTH);
    expect(next.length).toBeGreaterThan(0);
    for (const invoice of next) {
      expect(invoice.content.lines.every((l) => l.kind !== 'usage')).toBe(true);
      expect(invoice.content.lines.some((l) => l.kind === 'adjustment' && l.adjustsMonth === MONTH)).toBe(true);
    }

    // By hand: the trial account acc-0000 (UTC) runs one g1.large (the miner) for the whole period; it talks little.
    const hoursBefore = (PRICE_CUT - PERIOD_FROM) / 3_600_000; // 312 h × 1.25 = 390.00
    const hoursAfter = PERIOD_DAYS * 24 - hoursBefore; // 26 days: 312 h × 0.99 = 308.88
    const trial = faulted.invoices.find((i) => i.accountId === `${prefix}acc-0000` && i.month === MONTH)!;
    const compute = trial.content.lines.filter((l) => l.sku === 'compute.g1.large');
    expect(compute.map((l) => [l.quantity, l.roundedAmount])).toEqual([
      [String(hoursBefore), (hoursBefore * 1.25).toFixed(2)],
      [String(hoursAfter), ((hoursAfter * 99) / 100).toFixed(2)],
    ]);
    // Egress under the 100 GB free tier; 25.00 of free credit.
    expect(trial.content.lines.filter((l) => l.sku === 'egress.gb').map((l) => l.roundedAmount)).toEqual(['0.00']);
    const subtotalCents = hoursBefore * 125 + hoursAfter * 99;
    expect(trial.content.subtotal).toBe((subtotalCents / 100).toFixed(2));
    expect(trial.content.creditApplied).toBe('25.00');
    expect(trial.content.total).toBe(((subtotalCents - 2500) / 100).toFixed(2));
    // ...and its miner's 3 late hours: an adjustment of +3 h × 0.99 = 2.97 on the March invoice.
    const trialLate = faulted.invoices.find((i) => i.accountId === `${prefix}acc-0000` && i.month === NEXT_MONTH)!;
    const lateCompute = trialLate.content.lines.filter((l) => l.sku === 'compute.g1.large');
    expect(lateCompute.map((l) => [l.kind, l.adjustsMonth, l.quantity, l.roundedAmount])).toEqual([
      ['adjustment', MONTH, String(LATE_HOURS), ((LATE_HOURS * 99) / 100).toFixed(2)],
    ]);

    // (c) Nothing dead-lettered, nothing late, in the faulted run.
    const { pipeline, billing } = faulted;
    const deadLetters = [
      deadLetterTopicOf(pipeline.samples.name),
      deadLetterTopicOf(pipeline.instances.name),
      ...billingDeadLetterTopics(pipeline, billing),
    ];
    for (const topic of deadLetters) expect(await recordCount(kafka, topic), topic).toBe(0);
    expect(await recordCount(kafka, pipeline.late.name)).toBe(0);

    console.info(
      `pipeline e2e: ${HYPERVISORS * PER_HYPERVISOR} instances, ${ACCOUNTS} accounts × ${PERIOD_DAYS} days of ${MONTH}: ` +
        `${faulted.truth.sentSamples} samples sent (${faulted.truth.duplicates} duplicates), ` +
        `${faulted.truth.distinctSamples} distinct, ${faulted.truth.hours.length} instance-hours; ` +
        `late beyond grace: ${faulted.late.distinctSamples} distinct samples of ${LATE_HOURS} h after finalization; ` +
        `${faulted.invoices.length} finalized invoices (${next.length} of ${NEXT_MONTH} with adjustments) identical ` +
        `in both runs and to the oracle (acc-0000 ${MONTH} total ${trial.content.total} USD, EUR account ` +
        `${eur?.content.total ?? '?'} EUR); faulted run ${faulted.seconds.toFixed(0)} s (${faulted.faults}); ` +
        `fault-free run ${clean.seconds.toFixed(0)} s; total ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  }, 900_000);
});
