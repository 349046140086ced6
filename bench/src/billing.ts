/**
 * Billing throughput over real Kafka and PostgreSQL (local stack):
 * 1. usage records per second through hourly billing: the billing process (child) consumes usage.hourly from a fresh
 *    topic, upserts usage, recomputes and enqueues BillingHourly, marks drafts, stores offsets; nothing is due yet.
 * 2. the time to finalize one month for BENCH_ACCOUNTS accounts (default 10 000): draft refresh of what is still
 *    marked, then numbering, storing and enqueueing every invoice for the invoices topic (finalizeDue, in process).
 * 3. the peak memory of a draft refresh for one large account: BENCH_BIG_INSTANCES instances (default 500) running
 *    every hour of BENCH_BIG_MONTHS months (default 12), written straight into billing_usage; the refresh plans
 *    one account at a time and streams each month, so its peak stays far below the account's usage.
 * 4. a month rebuilt from empty tables (billing/rebuild.ts): BENCH_REBUILD_INSTANCES instances (default 200) ×
 *    BENCH_REBUILD_HOURS hours (default 720), consumed, stale hours recomputed, drafted and finalized;
 *    `rebuild_month_10k_s` is that time for 10 000 instances × 720 h, scaled linearly unless run at that size
 *    (`rebuild_extrapolated`). BENCH_REBUILD_INSTANCES=0 skips it.
 *    BENCH_REBUILD_ONLY=1 runs this phase alone.
 * BENCH_CHILD_NODE_OPTIONS is passed to the billing processes as NODE_OPTIONS (e.g. "--cpu-prof --cpu-prof-dir=…").
 * The last line is a JSON object with the figures.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { finalizeDue, refreshAllDirtyDrafts } from '@tally/billing/runtime';
import { createTestDatabase } from '@tally/db';
import { loadStackConfig, prepareTopicsAndSchemas, schemasDir, stackUp } from '@tally/infra';
import {
  applyTopics,
  createIdempotentProducer,
  createKafka,
  createRegistry,
  deadLetterTopicOf,
  registerSchemas,
  topics,
  typedTopics,
  valueCodec,
  type TopicSpec,
  type TypedTopic,
} from '@tally/kafka';
import { createLogger } from '@tally/log';
import { usageKey, type Account, type PriceEntry, type UsageHourly } from '@tally/records';
import { eventually } from '@tally/testing';
import { startBenchBilling } from './billing/billing-child.ts';
import { rebuildJson, rebuildLine, rebuildMonth, rebuildSize, type RebuildFigures } from './billing/rebuild.ts';

const ACCOUNTS = Number(process.env['BENCH_ACCOUNTS'] ?? 10_000);
const HOURS = Number(process.env['BENCH_HOURS'] ?? 12);
const INSTANCES_PER_ACCOUNT = Number(process.env['BENCH_INSTANCES_PER_ACCOUNT'] ?? 2);
const HOUR = 3_600_000;
const START = Date.UTC(2025, 2, 3);
const BIG_INSTANCES = Number(process.env['BENCH_BIG_INSTANCES'] ?? 500);
const BIG_MONTHS = Number(process.env['BENCH_BIG_MONTHS'] ?? 12);
const billingMain = fileURLToPath(new URL('../../services/billing/src/main.ts', import.meta.url));
const childEnv: NodeJS.ProcessEnv =
  process.env['BENCH_CHILD_NODE_OPTIONS'] === undefined
    ? {}
    : { NODE_OPTIONS: process.env['BENCH_CHILD_NODE_OPTIONS'] };
const skipRebuild = process.env['BENCH_REBUILD_INSTANCES'] === '0';

export async function run(): Promise<void> {
  const log = createLogger('bench-billing', 'warn');
  const endpoints = await stackUp(loadStackConfig(), log);
  await prepareTopicsAndSchemas(endpoints, log);
  const kafka = createKafka('bench-billing', endpoints.kafkaBrokers, log);
  const registry = createRegistry(endpoints.schemaRegistryUrl);
  const run = `bench.billing.${randomUUID().slice(0, 8)}`;
  const named = (spec: TopicSpec, suffix: string): TopicSpec => ({ ...spec, name: `${run}.${suffix}` });
  const specs = {
    usage: named(topics.usageHourly, 'usage'),
    prices: named(topics.prices, 'prices'),
    accounts: named(topics.accounts, 'accounts'),
    payments: named(topics.payments, 'payments'),
    hourly: named(topics.billingHourly, 'billing-hourly'),
  };
  const consumed = [specs.usage, specs.prices, specs.accounts, specs.payments];
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [
    ...Object.values(specs),
    ...consumed.map((s): TopicSpec => ({
      name: deadLetterTopicOf(s.name),
      partitions: 1,
      cleanupPolicy: 'delete',
      key: 'k',
    })),
  ]);
  await registerSchemas(registry, schemasDir, Object.values(specs));

  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const produce = async <T>(typed: TypedTopic<T>, spec: TopicSpec, records: Iterable<{ key: string; value: T }>) => {
    const codec = valueCodec(registry, { ...typed, spec });
    let messages: { key: string; value: Buffer }[] = [];
    const flush = async () => {
      if (messages.length > 0) await producer.send({ topic: spec.name, acks: -1, messages });
      messages = [];
    };
    for (const r of records) {
      messages.push({ key: r.key, value: await codec.encode(r.value) });
      if (messages.length >= 5_000) await flush();
    }
    await flush();
  };
  const perUnit = (unitPrice: string) => ({ kind: 'per_unit' as const, unitPrice });
  const prices: PriceEntry[] = [
    {
      sku: 'compute.s1.small',
      currency: 'USD',
      effectiveFrom: Date.UTC(2020, 0, 1),
      unit: 'hour',
      model: perUnit('0.0104'),
    },
    {
      sku: 'compute.g1.large',
      currency: 'USD',
      effectiveFrom: Date.UTC(2020, 0, 1),
      unit: 'hour',
      model: perUnit('1.25'),
    },
    {
      sku: 'egress.gb',
      currency: 'USD',
      effectiveFrom: Date.UTC(2020, 0, 1),
      unit: 'gb',
      model: {
        kind: 'graduated',
        tiers: [
          { upTo: '100', unitPrice: '0', flatFee: '0' },
          { upTo: null, unitPrice: '0.09', flatFee: '0' },
        ],
      },
    },
  ];
  if (process.env['BENCH_REBUILD_ONLY'] === '1') {
    // Only the month rebuild (phase 4), e.g. to measure it at full size.
    const rebuild = await rebuildMonth({
      run,
      endpoints,
      admin,
      registry,
      produce,
      prices,
      billingMain,
      childEnv,
      log,
      ...rebuildSize(process.env),
    });
    await producer.disconnect();
    await admin
      .deleteTopics({
        topics: [...Object.values(specs).map((s) => s.name), ...consumed.map((s) => deadLetterTopicOf(s.name))],
      })
      .catch(() => undefined);
    await admin.disconnect();
    console.log(rebuildLine(rebuild));
    console.log(JSON.stringify({ bench: 'billing', ...rebuildJson(rebuild) }));
    process.exit(0);
  }
  const accountIds = Array.from({ length: ACCOUNTS }, (_, i) => `${run}-a${String(i).padStart(6, '0')}`);
  const zones = ['UTC', 'Europe/Zurich', 'America/New_York'];
  await produce(
    typedTopics.accounts,
    specs.accounts,
    accountIds.map((accountId, i) => {
      const value: Account = {
        accountId,
        name: accountId,
        email: `a${i}@example.com`,
        plan: i % 10 === 0 ? 'trial' : 'paying',
        freeCredit: i % 10 === 0 ? '5.00' : '0',
        currency: 'USD',
        timeZone: zones[i % zones.length]!,
        createdAt: Date.UTC(2020, 0, 1),
        address: null,
        unsubscribed: false,
      };
      return { key: accountId, value };
    }),
  );
  await produce(
    typedTopics.prices,
    specs.prices,
    prices.map((p) => ({ key: `${p.sku}|${p.currency}|${new Date(p.effectiveFrom).toISOString()}`, value: p })),
  );
  const records = ACCOUNTS * INSTANCES_PER_ACCOUNT * HOURS;
  process.stderr.write(`producing ${records} usage records (${ACCOUNTS} accounts, ${HOURS} h)\n`);
  function* usage(): Generator<{ key: string; value: UsageHourly }> {
    // Hour by hour, as metering writes them.
    for (let h = 0; h < HOURS; h += 1) {
      for (let a = 0; a < ACCOUNTS; a += 1) {
        for (let n = 0; n < INSTANCES_PER_ACCOUNT; n += 1) {
          const value: UsageHourly = {
            instanceId: `${accountIds[a]}-i${n}`,
            accountId: accountIds[a]!,
            instanceType: n === 0 ? 's1.small' : 'g1.large',
            hourStart: START + h * HOUR,
            runningSeconds: 3600,
            rxBytes: 1_000_000,
            txBytes: 2_000_000_000 + a,
            rxPackets: 0,
            txPackets: 0,
            cpuSeconds: '0',
            counted: [],
            version: 1,
          };
          yield { key: usageKey(value.instanceId, value.hourStart), value };
        }
      }
    }
  }
  await produce(typedTopics.usageHourly, specs.usage, usage());

  const db = await createTestDatabase(endpoints.databaseUrl);
  const group = `${run}-billing`;
  // Nothing is due during the throughput phase: the finalizer is timed separately.
  const { child, consumedUsage } = startBenchBilling({
    main: billingMain,
    endpoints,
    pool: db.pool,
    schema: db.schema,
    group,
    topics: specs,
    env: childEnv,
  });
  await eventually(async () => (await consumedUsage()) > 0, 120_000, 20);
  const started = performance.now();
  const done = await eventually(async () => (await consumedUsage()) >= records, 1_800_000, 100);
  const usageSeconds = (performance.now() - started) / 1000;
  if (!done) throw new Error(`billing did not consume the usage:\n${child.output()}`);
  child.process.kill('SIGTERM');
  await child.exited;
  const hourly = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM billing_hourly');

  const options = { adjustmentMonths: 3, batchSize: 500 };
  const refreshStarted = performance.now();
  await refreshAllDirtyDrafts(db.pool, options);
  const refreshSeconds = (performance.now() - refreshStarted) / 1000;
  const finalizeStarted = performance.now();
  const outcome = await finalizeDue(db.pool, {
    issuer: 'bench',
    numberPrefix: 'INV',
    graceMs: HOUR,
    adjustmentMonths: 3,
    batchSize: 500,
    clock: () => Date.now(),
    gate: ({ now }) => Promise.resolve(now), // the bench reads everything before finalizing
    // As the service does: each finalized invoice is enqueued to the invoices topic's outbox in its transaction.
    publish: { topic: `${run}.invoices`, duePeriodMs: 14 * 24 * HOUR },
    log,
  });
  const finalizeSeconds = (performance.now() - finalizeStarted) / 1000;
  await db.drop();

  const big = await bigAccountRefresh(endpoints.databaseUrl);

  const rebuild: RebuildFigures | undefined = skipRebuild
    ? undefined
    : await rebuildMonth({
        run,
        endpoints,
        admin,
        registry,
        produce,
        prices,
        billingMain,
        childEnv,
        log,
        ...rebuildSize(process.env),
      });
  await producer.disconnect();

  await admin
    .deleteTopics({
      topics: [...Object.values(specs).map((s) => s.name), ...consumed.map((s) => deadLetterTopicOf(s.name))],
    })
    .catch(() => undefined);
  await admin.disconnect();

  const usageRps = Math.round(records / usageSeconds);
  console.log(`hourly billing     ${usageRps} usage records/s (${records} records in ${usageSeconds.toFixed(1)} s)`);
  console.log(`draft refresh      ${ACCOUNTS} accounts in ${refreshSeconds.toFixed(1)} s (marks left after consuming)`);
  console.log(`finalization       ${outcome.finalized} invoices in ${finalizeSeconds.toFixed(1)} s`);
  console.log(
    `large account      ${BIG_INSTANCES} instances × ${BIG_MONTHS} months (${big.rows} usage rows): draft refresh ` +
      `in ${big.seconds.toFixed(1)} s, peak heap +${big.peakHeapMb.toFixed(0)} MB, peak RSS +${big.peakRssMb.toFixed(0)} MB ` +
      `(usage as stored: ${big.tableMb.toFixed(0)} MB)`,
  );
  if (rebuild !== undefined) console.log(rebuildLine(rebuild));
  console.log(
    JSON.stringify({
      bench: 'billing',
      accounts: ACCOUNTS,
      usage_records: records,
      usage_partitions: specs.usage.partitions,
      usage_rps: usageRps,
      billing_hourly_rows: Number(hourly.rows[0]?.n ?? 0),
      draft_refresh_s: Number(refreshSeconds.toFixed(2)),
      invoices_finalized: outcome.finalized,
      finalize_s: Number(finalizeSeconds.toFixed(2)),
      finalize_invoices_per_s: Math.round(outcome.finalized / finalizeSeconds),
      big_account_instances: BIG_INSTANCES,
      big_account_months: BIG_MONTHS,
      big_account_usage_rows: big.rows,
      big_account_drafts: big.drafts,
      big_account_refresh_s: Number(big.seconds.toFixed(2)),
      big_account_refresh_peak_heap_mb: Number(big.peakHeapMb.toFixed(1)),
      big_account_refresh_peak_rss_mb: Number(big.peakRssMb.toFixed(1)),
      ...(rebuild === undefined ? {} : rebuildJson(rebuild)),
    }),
  );
  process.exit(0);
}

/**
 * One account with BIG_INSTANCES instances running every hour of BIG_MONTHS months (nothing finalized, so every month
 * is an open draft), written into billing_usage by PostgreSQL itself; then one draft refresh, in process, with the
 * heap and RSS sampled every 5 ms. Peaks are above the level before the refresh.
 */
async function bigAccountRefresh(databaseUrl: string) {
  const db = await createTestDatabase(databaseUrl);
  try {
    const accountId = 'big-account';
    const from = Date.UTC(2025, 0, 1);
    const to = Date.UTC(2025, BIG_MONTHS, 1);
    const account: Account = {
      accountId,
      name: 'Big',
      email: 'big@example.com',
      plan: 'paying',
      freeCredit: '0',
      currency: 'USD',
      timeZone: 'Europe/Zurich',
      createdAt: Date.UTC(2020, 0, 1),
      address: null,
      unsubscribed: false,
    };
    await db.pool.query(`INSERT INTO billing_accounts (account_id, currency, record) VALUES ($1, 'USD', $2)`, [
      accountId,
      JSON.stringify(account),
    ]);
    const since = Date.UTC(2020, 0, 1);
    for (const [sku, unit, model] of [
      ['compute.g1.large', 'hour', { kind: 'per_unit', unitPrice: '1.25' }],
      ['egress.gb', 'gb', { kind: 'per_unit', unitPrice: '0.09' }],
    ] as const) {
      const entry = { sku, currency: 'USD', effectiveFrom: since, unit, model };
      await db.pool.query(
        `INSERT INTO billing_prices (key, sku, currency, effective_from, entry) VALUES ($1, $2, 'USD', $3, $4)`,
        [`${sku}|USD|${new Date(since).toISOString()}`, sku, since, JSON.stringify(entry)],
      );
    }
    await db.pool.query(
      `INSERT INTO billing_usage (instance_id, hour_start, account_id, version, record)
       SELECT 'big-i' || i, h, $1, 1, jsonb_build_object(
         'instanceId', 'big-i' || i, 'accountId', $1::text, 'instanceType', 'g1.large', 'hourStart', h,
         'runningSeconds', 3600, 'rxBytes', 0, 'txBytes', 1000000 + i, 'rxPackets', 0, 'txPackets', 0,
         'cpuSeconds', '0', 'counted', '[]'::jsonb, 'version', 1)
       FROM generate_series(1, $2::int) AS i, generate_series($3::bigint, $4::bigint - 1, ${HOUR}) AS h`,
      [accountId, BIG_INSTANCES, from, to],
    );
    await db.pool.query('ANALYZE billing_usage');
    await db.pool.query(`INSERT INTO billing_dirty_accounts (account_id) VALUES ($1)`, [accountId]);
    const size = await db.pool.query<{ rows: string; bytes: string }>(
      `SELECT count(*) AS rows, pg_total_relation_size('billing_usage') AS bytes FROM billing_usage`,
    );

    (globalThis as { gc?: () => void }).gc?.();
    const base = process.memoryUsage();
    let peakHeap = base.heapUsed;
    let peakRss = base.rss;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    }, 5);
    const started = performance.now();
    await refreshAllDirtyDrafts(db.pool, { adjustmentMonths: 3, batchSize: 500 });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const drafts = await db.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM invoices WHERE status = 'draft' AND problem IS NULL`,
    );
    const mb = (bytes: number) => bytes / 1024 / 1024;
    return {
      rows: Number(size.rows[0]!.rows),
      tableMb: mb(Number(size.rows[0]!.bytes)),
      drafts: Number(drafts.rows[0]!.n),
      seconds,
      peakHeapMb: mb(peakHeap - base.heapUsed),
      peakRssMb: mb(peakRss - base.rss),
    };
  } finally {
    await db.drop();
  }
}
