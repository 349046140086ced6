// `pnpm bench metering`: samples per second through the metering process (Kafka + PostgreSQL on this host)
// and its peak memory, at 1k, 10k and 100k instances. Per size: fresh topics and schema; the agent simulator
// (a child process) produces the samples first; then one metering process (a child) consumes them from the
// beginning. Throughput = samples / time from metering's first committed batch to its last; the outbox (the
// usage.hourly values) is drained before the process is stopped, and that time is reported too. Peak memory is
// the metering process's own maxRSS, which it logs on SIGTERM. Then, with metering still running and caught up,
// samples are produced at a fixed rate (BENCH_METERING_LATENCY_RATE per second, default 20,000, for
// BENCH_METERING_LATENCY_SECONDS, default 15; 0 skips it) and `p99LatencyMs` is the 99th percentile of the time
// from a sample's send to the first usage.hourly value that counts it (see metering/latency.ts).
// BENCH_METERING_SIZES=1000,10000 picks the fleet sizes; BENCH_METERING_NODE_OPTIONS is the metering process's
// NODE_OPTIONS. The last line is a JSON object with the figures.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GroundTruthFile } from '@tally/agent';
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase } from '@tally/db';
import { agentTopicEnv, createPipelineTopics, meteringTopicEnv } from '@tally/e2e';
import { createKafka, createRegistry } from '@tally/kafka';
import { createLogger } from '@tally/log';
import { eventually, startNodeChild } from '@tally/testing';
import { measureLatency, type LatencyFigures } from './metering/latency.ts';

interface Size {
  readonly instances: number;
  readonly hypervisors: number;
  readonly minutes: number;
}

// The period shrinks as the fleet grows, so each run meters roughly 150k–300k samples and takes well under a
// minute; with fewer windows per instance-hour, the larger fleets also write far more usage rows per sample.
const SIZES: readonly Size[] = [
  { instances: 1_000, hypervisors: 10, minutes: 60 },
  { instances: 10_000, hypervisors: 100, minutes: 10 },
  { instances: 100_000, hypervisors: 1_000, minutes: 1 },
];

const agentMain = fileURLToPath(new URL('../../services/agent/src/main.ts', import.meta.url));
// BENCH_METERING_MAIN runs another metering entry (an older version checked out beside it) for an A/B comparison.
const meteringMain =
  process.env['BENCH_METERING_MAIN'] ?? fileURLToPath(new URL('../../services/metering/src/main.ts', import.meta.url));

interface Figures {
  instances: number;
  minutes: number;
  samples: number;
  usageRows: number;
  producedSeconds: number;
  meteredSeconds: number;
  samplesPerSecond: number;
  outboxDrainedSeconds: number;
  peakRssMiB: number;
  p99LatencyMs: number | null;
  latency: LatencyFigures | undefined;
}

const LATENCY_RATE = Number(process.env['BENCH_METERING_LATENCY_RATE'] ?? 20_000);
const LATENCY_SECONDS = Number(process.env['BENCH_METERING_LATENCY_SECONDS'] ?? 15);

async function meterOnce(size: Size): Promise<Figures> {
  const env = loadConfig(connectionEnv);
  const log = createLogger('bench-metering', 'warn');
  const kafka = createKafka('bench-metering', env.KAFKA_BROKERS, log);
  const registry = createRegistry(env.SCHEMA_REGISTRY_URL);
  const run = `b${randomBytes(4).toString('hex')}`;
  const db = await createTestDatabase(env.DATABASE_URL);
  const specs = await createPipelineTopics(kafka, registry, run);
  const dir = await mkdtemp(join(tmpdir(), 'tally-bench-'));
  try {
    const truthFile = join(dir, 'truth.json');
    const producedAt = Date.now();
    const agent = startNodeChild(agentMain, {
      ...agentTopicEnv(specs),
      AGENT_ID_PREFIX: `${run}-`,
      AGENT_SEED: '7',
      AGENT_HYPERVISORS: String(size.hypervisors),
      AGENT_INSTANCES_PER_HYPERVISOR: String(size.instances / size.hypervisors),
      // The fleet dates account i i+1 days before the period: more than ~20k would predate 1970.
      AGENT_ACCOUNTS: String(Math.min(10_000, Math.ceil(size.instances / 4))),
      AGENT_PERIOD_FROM: '2025-01-01T00:00:00Z',
      AGENT_PERIOD_MINUTES: String(size.minutes),
      AGENT_BATCH_SIZE: '5000',
      AGENT_SPOOL_DIR: join(dir, 'spool'),
      AGENT_GROUND_TRUTH_FILE: truthFile,
      LOG_LEVEL: 'warn',
    });
    if ((await agent.exited) !== 0) throw new Error(`agent failed:\n${agent.output()}`);
    const producedSeconds = (Date.now() - producedAt) / 1000;
    const truth = JSON.parse(await readFile(truthFile, 'utf8')) as GroundTruthFile;
    const samples = truth.sentSamples;

    const group = `metering-${run}`;
    const metering = startNodeChild(meteringMain, {
      ...meteringTopicEnv(specs),
      DB_SCHEMA: db.schema,
      METERING_GROUP: group,
      METERING_INVENTORY_GROUP: `metering-inventory-${run}`,
      METERING_RETENTION_DAYS: '100000',
      METERING_METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      // BENCH_METERING_NODE_OPTIONS: Node flags of the metering process alone (a heap cap, --cpu-prof).
      ...(process.env['BENCH_METERING_NODE_OPTIONS'] === undefined
        ? {}
        : { NODE_OPTIONS: process.env['BENCH_METERING_NODE_OPTIONS'] }),
    });
    const committed = async (): Promise<number> => {
      const result = await db.pool.query<{ n: string | null }>(
        'SELECT sum(next_offset) AS n FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
        [group, specs.samples.name],
      );
      return Number(result.rows[0]?.n ?? 0);
    };
    let firstAt: number | undefined;
    let firstCount = 0;
    const done = await eventually(
      async () => {
        const n = await committed();
        if (firstAt === undefined && n > 0) {
          firstAt = Date.now();
          firstCount = n;
        }
        return n >= samples;
      },
      300_000,
      50,
    );
    const doneAt = Date.now();
    if (!done || firstAt === undefined) throw new Error(`metering did not finish:\n${metering.output()}`);
    const drained = await eventually(async () => {
      const result = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM outbox');
      return Number(result.rows[0]?.n) === 0;
    }, 300_000);
    const drainedAt = Date.now();
    if (!drained) throw new Error('outbox did not drain');
    const rows = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM usage_hourly');
    let latency: LatencyFigures | undefined;
    if (LATENCY_RATE > 0 && LATENCY_SECONDS > 0) {
      const ids = await db.pool.query<{ instance_id: string }>('SELECT instance_id FROM inventory ORDER BY 1');
      latency = await measureLatency({
        kafka,
        registry,
        samplesTopic: specs.samples,
        usageTopic: specs.usage,
        instanceIds: ids.rows.map((row) => row.instance_id),
        // A day after the throughput run's period: hours of their own.
        fromHour: Date.parse('2025-01-02T00:00:00Z'),
        samplesPerSecond: LATENCY_RATE,
        seconds: LATENCY_SECONDS,
        settleMs: 60_000,
      });
    }
    metering.process.kill('SIGTERM');
    if ((await metering.exited) !== 0) throw new Error(`metering did not stop cleanly:\n${metering.output()}`);
    const stopped = /"maxRssBytes":(\d+)/.exec(metering.output());
    // Throughput after the first batch: excludes process start and the consumer group join.
    const meteredSeconds = Math.max(0.001, (doneAt - firstAt) / 1000);
    return {
      instances: size.instances,
      minutes: size.minutes,
      samples,
      usageRows: Number(rows.rows[0]?.n),
      producedSeconds: round(producedSeconds),
      meteredSeconds: round(meteredSeconds),
      samplesPerSecond: Math.round((samples - firstCount) / meteredSeconds),
      outboxDrainedSeconds: round((drainedAt - firstAt) / 1000),
      peakRssMiB: stopped?.[1] === undefined ? Number.NaN : round(Number(stopped[1]) / 2 ** 20),
      p99LatencyMs: latency?.p99LatencyMs ?? null,
      latency,
    };
  } finally {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

export async function run(): Promise<void> {
  const only = process.env['BENCH_METERING_SIZES']?.split(',').map(Number);
  const results: Figures[] = [];
  for (const size of SIZES.filter((s) => only === undefined || only.includes(s.instances))) {
    const figures = await meterOnce(size);
    results.push(figures);
    console.log(
      `${figures.instances} instances × ${figures.minutes} min: ${figures.samples} samples, ${figures.usageRows} usage rows; ` +
        `metered in ${figures.meteredSeconds} s = ${figures.samplesPerSecond} samples/s; outbox drained after ` +
        `${figures.outboxDrainedSeconds} s; peak RSS ${figures.peakRssMiB} MiB (produced in ${figures.producedSeconds} s)`,
    );
    if (figures.latency !== undefined) {
      const { rate, produced, unmatched, p50LatencyMs, p99LatencyMs } = figures.latency;
      console.log(
        `  at ${rate} samples/s (${produced} samples): latency p50 ${p50LatencyMs ?? '-'} ms, p99 ${p99LatencyMs ?? '-'} ms` +
          (unmatched > 0 ? `, ${unmatched} never published within the wait` : ''),
      );
    }
  }
  console.log(JSON.stringify({ bench: 'metering', host: { cpus: (await import('node:os')).cpus().length }, results }));
}
