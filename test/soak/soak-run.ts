/**
 * The chaos soak, wired: a private broker, fresh topics, schema and groups; metering and billing supervised; agent
 * waves producing February 2025 for as long as the fault window lasts; the seeded faults one after another; then
 * catching up, billing on the real clock to finalize February, and the verdict.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { GroundTruthFile } from '@tally/agent';
import { parsePriceBookFile } from '@tally/billing';
import type { TestDatabase } from '@tally/db';
import { runDir, startPrivateBroker, type Endpoints, type PrivateBroker } from '@tally/infra';
import { createKafka, createRegistry } from '@tally/kafka';
import { createLogger, type Logger } from '@tally/log';
import { startTcpProxy, type ChildHandle, type TcpProxy } from '@tally/testing';
import type { Kafka } from 'kafkajs';
import {
  createBillingTopics,
  createPipelineTopics,
  finalizedInvoices,
  retryingUnknownTopic,
  Supervised,
} from '../src/index.ts';
import { countByKind, faultSchedule, type Fault, type FaultKind } from './fault-schedule.ts';
import { Poisoner } from './poison.ts';
import { createSoakDatabase } from './soak-database.ts';
import { applyFault, type FaultTargets } from './soak-faults.ts';
import { Processes, type SoakPlace } from './soak-processes.ts';
import { oracle, verdict, type SentWave, type Verdict } from './soak-verdict.ts';
import { waveFleet, waveOf, type FleetSize } from './waves.ts';

export interface SoakOptions {
  minutes: number;
  seed: number;
  size: FleetSize;
  /** Keep the work directory (logs, ground truth) and the database schema even when the soak passes. */
  keep: boolean;
}

export interface SoakReport {
  minutes: number;
  seed: number;
  faults: number;
  replays: number;
  lost: number;
  doubled: number;
  stalled_partitions: number;
  invoices_equal_oracle: boolean;
  ok: boolean;
  aborted: boolean;
  faults_by_kind: Partial<Record<FaultKind, number>>;
  faults_skipped: number;
  waves: number;
  samples_sent: number;
  samples_distinct: number;
  samples_counted: number;
  usage_hours: number;
  billing_usage_lost: number;
  billing_usage_doubled: number;
  invoices: number;
  invoices_expected: number;
  poison_injected: number;
  poison_dead_lettered: number;
  unexpected_dead_letters: number;
  late_records: number;
  billing_verify_ok: boolean;
  restarts: { metering: number; billing: number; agent: number };
  kills: { metering: number; billing: number; agent: number };
  caught_up: boolean;
  seconds: number;
  work_dir: string;
  problems: string[];
}

const PRICE_BOOK = new URL('../../services/billing/price-books/demo.yaml', import.meta.url);
/** While the data comes, billing lives on 28 February 2025 at noon: the month stays open. */
const BILLING_LIVE_NOW = Date.UTC(2025, 1, 28, 12);

type Phase = 'setup' | 'faults' | 'catching up' | 'finalizing' | 'verifying' | 'stopping';

/** Runs the soak; `say` gets the progress lines. Never throws for a pipeline failure: the report says it. */
export async function runSoak(
  options: SoakOptions,
  endpoints: Endpoints,
  log: Logger,
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<SoakReport> {
  const started = Date.now();
  const run = `soak${randomBytes(3).toString('hex')}`;
  const windowMs = Math.round(options.minutes * 60_000);
  const schedule = faultSchedule({ seed: options.seed, minutes: options.minutes });
  const problems: string[] = [];
  const sleep = (ms: number) => sleepFor(ms, undefined, { signal }).catch(() => undefined);
  const workDir = await mkdtemp(join(tmpdir(), `tally-${run}-`));
  // Whatever the soak waits for, a signal ends the wait: the finally below stops everything.
  const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  let phase: Phase = 'setup';
  let broker: PrivateBroker | undefined;
  let kafka: Kafka | undefined;
  let db: TestDatabase | undefined;
  let proxy: TcpProxy | undefined;
  let processes: Processes | undefined;
  let poisoner: Poisoner | undefined;
  let supervision: NodeJS.Timeout | undefined;
  let progress: NodeJS.Timeout | undefined;
  const done: { kind: FaultKind; applied: boolean }[] = [];
  const sent: SentWave[] = [];
  let currentAgent: ChildHandle | undefined;
  const killed = new Set<ChildHandle>();
  let agentKills = 0;
  let agentRestarts = 0;
  let replays = 0;
  let caughtUp = false;
  let result: Verdict | undefined;
  let services: { metering: Supervised; billing: Supervised } | undefined;
  let targets: FaultTargets | undefined;

  try {
    say(
      `soak ${run}: ${options.minutes} min, seed ${options.seed}, ${schedule.length} faults planned; logs in ${workDir}`,
    );
    broker = await startPrivateBroker(run, log);
    // kafkajs reports every refused connection while the broker is down: the soak's own client stays quiet.
    kafka = createKafka('soak', broker.brokers, createLogger('soak-kafka', 'fatal', process.stderr));
    const registry = createRegistry(endpoints.schemaRegistryUrl);
    const pipeline = await retryingUnknownTopic(() => createPipelineTopics(kafka!, registry, run));
    const billingTopics = await createBillingTopics(kafka, registry, run, pipeline);
    db = await createSoakDatabase(endpoints.databaseUrl, run);
    const pgUrl = new URL(db.databaseUrl);
    proxy = await startTcpProxy(pgUrl.hostname, Number(pgUrl.port || 5432));
    const viaProxy = new URL(db.databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const place: SoakPlace = {
      run,
      brokers: broker.brokers.join(','),
      registryUrl: endpoints.schemaRegistryUrl,
      serviceDatabaseUrl: viaProxy.toString(),
      databaseUrl: db.databaseUrl,
      schema: db.schema,
      pipeline,
      billing: billingTopics,
      workDir,
    };
    const procs = new Processes(place);
    processes = procs;
    const priceFile = new URL(PRICE_BOOK).pathname;
    const published = await procs.cli(['prices', 'publish', priceFile]);
    if (published.code !== 0) throw new Error(`tally prices publish exited ${published.code}; see ${workDir}/cli.log`);
    const prices = parsePriceBookFile(await readFile(priceFile, 'utf8'), 'demo.yaml');
    poisoner = new Poisoner(kafka, registry, { samples: pipeline.samples, usage: pipeline.usage }, options.seed);

    const liveBilling = () => procs.billing(BILLING_LIVE_NOW - Date.now());
    const metering = new Supervised('metering', () => procs.metering());
    const billing = new Supervised('billing', liveBilling);
    services = { metering, billing };
    supervision = setInterval(() => [metering, billing].forEach((s) => s.keepUp()), 1_000);
    const db0 = db;

    const counted = async () => {
      const r = await db0.pool.query<{ counted: string | null; outbox: string; pending: string }>(
        `SELECT (SELECT sum(version) FROM usage_hourly) AS counted, (SELECT count(*) FROM outbox) AS outbox,
                (SELECT count(*) FROM metering_pending) AS pending`,
      );
      const row = r.rows[0];
      return {
        counted: Number(row?.counted ?? 0),
        outbox: Number(row?.outbox ?? 0),
        pending: Number(row?.pending ?? 0),
      };
    };
    const distinctSent = () => sent.reduce((sum, w) => sum + w.truth.distinctSamples, 0);
    let lastCounted = 0;
    progress = setInterval(() => {
      void counted()
        .then((c) => (lastCounted = c.counted))
        .catch(() => undefined)
        .finally(() => {
          const s = Math.round((Date.now() - started) / 1000);
          say(
            `[${s}s] ${phase}: faults ${done.length}/${schedule.length} (${done.at(-1)?.kind ?? '-'}), ` +
              `waves ${sent.length}${currentAgent ? '+1' : ''}, samples counted ${lastCounted} of ${distinctSent()}+, ` +
              `broker ${targets?.brokerDown ? 'DOWN' : 'up'}, restarts metering ${metering.restarts} billing ` +
              `${billing.restarts} agent ${agentRestarts}`,
          );
        });
    }, 5_000);

    const windowStart = Date.now();
    const windowOver = () => Date.now() - windowStart >= windowMs || signal.aborted;

    // Agent waves: one after another until the window is over; at most one wave behind metering.
    const wavesDone = (async () => {
      for (let index = 0; !windowOver(); index += 1) {
        const behind = sent.slice(0, -1).reduce((sum, w) => sum + w.truth.distinctSamples, 0);
        while (!windowOver() && (await counted().catch(() => ({ counted: 0 }))).counted < behind) await sleep(1_000);
        if (windowOver() && index > 0) break;
        const wave = waveOf(run, options.seed, index, options.size);
        const truthFile = join(workDir, `truth-w${index}.json`);
        for (let attempt = 0; ; attempt += 1) {
          const agent = procs.agent(wave, options.size, truthFile);
          currentAgent = agent;
          const code = await agent.exited;
          currentAgent = undefined;
          if (code === 0) break;
          if (signal.aborted) return;
          if (attempt >= 30) throw new Error(`agent wave ${index} keeps failing; see ${workDir}/agent-w${index}.log`);
          if (killed.has(agent)) killed.delete(agent);
          else agentRestarts += 1;
        }
        sent.push({ wave, truth: JSON.parse(await readFile(truthFile, 'utf8')) as GroundTruthFile });
      }
    })();

    targets = {
      broker,
      proxy,
      metering,
      billing,
      poisoner,
      brokerDown: false,
      async killAgent() {
        const agent = currentAgent;
        if (agent === undefined || agent.process.exitCode !== null) return false;
        killed.add(agent);
        agent.process.kill('SIGKILL');
        await agent.exited;
        agentKills += 1;
        return true;
      },
      glitchTarget(nth) {
        const wave = sent.at(-1)?.wave ?? waveOf(run, options.seed, 0, options.size);
        const fleet = waveFleet(wave, options.size);
        const instance = fleet.instances[nth % fleet.instances.length]!;
        return {
          hypervisorId: instance.hypervisorId,
          instanceId: instance.record.instanceId,
          interfaceId: instance.interfaces[0] ?? 'eth0',
          periodFrom: fleet.period.from,
          periodTo: fleet.period.to,
        };
      },
      async replayBilling() {
        await stopWithin(billing, problems);
        let ok = false;
        // A member SIGKILLed moments ago stays in the group until its session times out: the replay refuses.
        for (let attempt = 0; attempt < 20 && !signal.aborted; attempt += 1) {
          const { code } = await procs.cli(['replay', 'billing', '--from', 'earliest', '--yes']);
          if (code === 0) {
            ok = true;
            break;
          }
          await sleep(3_000);
        }
        await billing.replace('billing started', liveBilling);
        if (ok) replays += 1;
        else problems.push(`tally replay billing did not succeed; see ${workDir}/cli.log`);
        return ok;
      },
    };

    phase = 'faults';
    for (const [nth, fault] of schedule.entries()) {
      await sleep(windowStart + fault.atMs - Date.now());
      if (signal.aborted) break;
      const outcome = await Promise.race([
        applyFault(fault, nth, targets).catch((error: unknown) => {
          problems.push(`${fault.kind} at ${fault.atMs} ms failed: ${String(error)}`);
          return { applied: false };
        }),
        aborted.then(() => ({ applied: false })),
      ]);
      done.push({ kind: fault.kind, applied: outcome.applied });
      log.info({ fault, outcome }, 'fault');
    }
    await sleep(windowStart + windowMs - Date.now());
    phase = 'catching up';
    await Promise.race([wavesDone, aborted]);
    if (signal.aborted) throw new Error('aborted');

    // Everything sent is counted and published: metering's totals, outbox and pending table.
    const distinct = distinctSent();
    caughtUp = await until(signal, 180_000 + windowMs / 10, async () => {
      const c = await counted();
      return c.counted === distinct && c.outbox === 0 && c.pending === 0;
    });
    if (!caughtUp) problems.push(`metering did not catch up: ${JSON.stringify(await counted())} of ${distinct}`);

    // The month ends: billing on the real clock, February plus grace long past, finalizes.
    phase = 'finalizing';
    await stopWithin(billing, problems);
    await billing.replace('billing started', () => procs.billing(0));
    const expected = oracle(sent, options.size, prices).size;
    const finalized = await until(signal, 240_000, async () => {
      const outbox = await db0.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
      return (await finalizedInvoices(db0.pool)).length >= expected && outbox.rows[0]?.n === '0';
    });
    if (!finalized) problems.push(`billing finalized ${(await finalizedInvoices(db0.pool)).length} of ${expected}`);

    phase = 'stopping';
    clearInterval(supervision);
    for (const service of [metering, billing]) await stopWithin(service, problems);
    phase = 'verifying';
    result = await verdict({
      db: db0.pool,
      kafka,
      place,
      processes: procs,
      waves: sent,
      size: options.size,
      prices,
      injected: poisoner.injected,
    });
  } catch (error) {
    problems.push(signal.aborted ? 'aborted by a signal' : String(error instanceof Error ? error.stack : error));
  } finally {
    phase = 'stopping';
    clearInterval(supervision);
    clearInterval(progress);
    await processes?.stopAll();
    await poisoner?.close().catch(() => undefined);
    await proxy?.close();
    await broker?.stop().catch((error: unknown) => problems.push(`broker stop: ${String(error)}`));
    await rm(join(runDir, 'private-kafka', run), { recursive: true, force: true });
  }

  const report = toReport();
  if (!options.keep && report.ok) {
    await db?.drop();
    await rm(workDir, { recursive: true, force: true });
  } else {
    await db?.pool.end();
    say(`kept ${workDir} and database ${run} (schema ${db?.schema ?? '-'})`);
  }
  return report;

  function toReport(): SoakReport {
    const v = result;
    const injected = poisoner?.injected ?? { samples: 0, usage: 0 };
    const deadLettered = v?.poisonDeadLettered ?? { samples: 0, usage: 0 };
    const applied = done.filter((f) => f.applied);
    const report: SoakReport = {
      minutes: options.minutes,
      seed: options.seed,
      faults: applied.length,
      replays,
      lost: v === undefined ? -1 : v.metering.lost + v.billingUsage.lost,
      doubled: v === undefined ? -1 : v.metering.doubled + v.billingUsage.doubled,
      stalled_partitions: v?.stalledPartitions ?? -1,
      invoices_equal_oracle: v?.invoicesEqualOracle ?? false,
      ok: false,
      aborted: signal.aborted,
      faults_by_kind: countByKind(applied),
      faults_skipped: done.length - applied.length,
      waves: sent.length,
      samples_sent: sent.reduce((sum, w) => sum + w.truth.sentSamples, 0),
      samples_distinct: v?.samplesDistinct ?? 0,
      samples_counted: v?.samplesCounted ?? 0,
      usage_hours: v?.metering.compared ?? 0,
      billing_usage_lost: v?.billingUsage.lost ?? -1,
      billing_usage_doubled: v?.billingUsage.doubled ?? -1,
      invoices: v?.invoices ?? 0,
      invoices_expected: v?.invoicesExpected ?? 0,
      poison_injected: injected.samples + injected.usage,
      poison_dead_lettered: deadLettered.samples + deadLettered.usage,
      unexpected_dead_letters: v?.unexpectedDeadLetters ?? -1,
      late_records: v?.lateRecords ?? -1,
      billing_verify_ok: v?.billingVerifyOk ?? false,
      restarts: {
        metering: services?.metering.restarts ?? 0,
        billing: services?.billing.restarts ?? 0,
        agent: agentRestarts,
      },
      kills: { metering: services?.metering.kills ?? 0, billing: services?.billing.kills ?? 0, agent: agentKills },
      caught_up: caughtUp,
      seconds: Math.round((Date.now() - started) / 1000),
      work_dir: workDir,
      problems: [
        ...problems,
        ...(v?.metering.examples.map((e) => `metering ${e}`) ?? []),
        ...(v?.billingUsage.examples.map((e) => `billing_usage ${e}`) ?? []),
        ...(v?.invoiceMismatches ?? []),
        ...(v?.statusProblems ?? []),
      ],
    };
    report.ok =
      v !== undefined &&
      !report.aborted &&
      problems.length === 0 &&
      report.lost === 0 &&
      report.doubled === 0 &&
      report.stalled_partitions === 0 &&
      report.invoices_equal_oracle &&
      report.billing_verify_ok &&
      report.unexpected_dead_letters === 0 &&
      report.late_records === 0 &&
      deadLettered.samples === injected.samples &&
      deadLettered.usage === injected.usage &&
      report.replays >= 1 &&
      report.samples_counted === report.samples_distinct;
    return report;
  }
}

/** How long a service may take to stop on SIGTERM before the soak SIGKILLs it and reports it. */
const STOP_DEADLINE_MS = 45_000;

/** Stops a supervised service cleanly (SIGTERM); one still running after the deadline is SIGKILLed and reported. */
async function stopWithin(service: Supervised, problems: string[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STOP_DEADLINE_MS)));
  const stopping = service.stop(`${service.name} started`);
  const code = await Promise.race([stopping, deadline]);
  clearTimeout(timer);
  if (code === 'late') {
    problems.push(`${service.name} did not stop within ${STOP_DEADLINE_MS / 1000} s of SIGTERM; SIGKILLed`);
    service.child.process.kill('SIGKILL');
    await stopping;
  } else if (code !== 0) {
    problems.push(`${service.name} exited ${code} on SIGTERM`);
  }
}

/** Polls `check` every second until it holds, the timeout passes or the signal aborts; errors count as not yet. */
async function until(signal: AbortSignal, timeoutMs: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !signal.aborted) {
    if (await check().catch(() => false)) return true;
    await sleepFor(1_000, undefined, { signal }).catch(() => undefined);
  }
  return false;
}

export type { Fault };
