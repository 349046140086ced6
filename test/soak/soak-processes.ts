/**
 * The soak's child processes: metering and billing under supervision, agent simulator waves, CLI commands; every
 * one logs to a file of the soak's work directory and is tracked, so that a stop leaves nothing running.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodeChild, type ChildHandle } from '@tally/testing';
import {
  agentTopicEnv,
  billingTopicEnv,
  meteringTopicEnv,
  type BillingTopics,
  type PipelineTopics,
} from '../src/index.ts';
import type { FleetSize, Wave } from './waves.ts';

export const serviceMain = (service: string) =>
  fileURLToPath(new URL(`../../services/${service}/src/main.ts`, import.meta.url));

/** Where the soak's pipeline lives: its broker, database schema, topics and groups. */
export interface SoakPlace {
  run: string;
  brokers: string;
  registryUrl: string;
  /** What the services use: through the fault-injecting proxy. */
  serviceDatabaseUrl: string;
  /** What the soak and the CLI use: PostgreSQL directly. */
  databaseUrl: string;
  schema: string;
  pipeline: PipelineTopics;
  billing: BillingTopics;
  workDir: string;
}

export class Processes {
  private readonly children = new Set<ChildHandle>();
  private readonly place: SoakPlace;

  constructor(place: SoakPlace) {
    this.place = place;
  }

  /** The variables every process of this soak shares: services and CLI look at the same topics and groups. */
  get env(): Record<string, string> {
    const { place } = this;
    return {
      KAFKA_BROKERS: place.brokers,
      SCHEMA_REGISTRY_URL: place.registryUrl,
      DATABASE_URL: place.databaseUrl,
      DB_SCHEMA: place.schema,
      METERING_GROUP: `metering-${place.run}`,
      METERING_INVENTORY_GROUP: `metering-inventory-${place.run}`,
      BILLING_GROUP: `billing-${place.run}`,
      ...meteringTopicEnv(place.pipeline),
      ...billingTopicEnv(place.pipeline, place.billing),
      PRICES_TOPIC: place.billing.prices.name,
    };
  }

  metering(): ChildHandle {
    return this.start('metering', serviceMain('metering'), {
      ...this.env,
      DATABASE_URL: this.place.serviceDatabaseUrl,
      METERING_RETENTION_DAYS: '100000',
      METERING_METRICS_PORT: '0',
      METERING_SESSION_TIMEOUT_MS: '6000',
      METERING_PENDING_FLUSH_MS: '500',
      LOG_LEVEL: 'info',
    });
  }

  /** Billing with its clock shifted by `clockOffsetMs` (February while the data comes; 0 to finalize it). */
  billing(clockOffsetMs: number): ChildHandle {
    return this.start('billing', serviceMain('billing'), {
      ...this.env,
      DATABASE_URL: this.place.serviceDatabaseUrl,
      BILLING_GRACE_HOURS: '1',
      BILLING_CLOCK_OFFSET_MS: String(clockOffsetMs),
      BILLING_FINALIZE_INTERVAL_MS: '1000',
      BILLING_DRAFT_REFRESH_MS: '1000',
      BILLING_SESSION_TIMEOUT_MS: '6000',
      BILLING_METRICS_PORT: '0',
      LOG_LEVEL: 'info',
    });
  }

  agent(wave: Wave, size: FleetSize, truthFile: string): ChildHandle {
    return this.start(`agent-w${wave.index}`, serviceMain('agent'), {
      ...this.env,
      ...agentTopicEnv(this.place.pipeline),
      AGENT_MODE: 'simulate',
      AGENT_SEED: String(wave.seed),
      AGENT_ID_PREFIX: wave.prefix,
      AGENT_HYPERVISORS: String(size.hypervisors),
      AGENT_INSTANCES_PER_HYPERVISOR: String(size.instancesPerHypervisor),
      AGENT_ACCOUNTS: String(size.accounts),
      AGENT_PERIOD_FROM: new Date(wave.from).toISOString(),
      AGENT_PERIOD_MINUTES: String(wave.minutes),
      AGENT_DUPLICATE_FRACTION: '0.05',
      AGENT_REORDER_WINDOW: '200',
      // Late within grace: 1 % of the samples come three hours (of event time) late.
      AGENT_LATE_FRACTION: '0.01',
      AGENT_LATE_DELAY_MINUTES: '180',
      AGENT_BATCH_SIZE: '2000',
      AGENT_RETRY_MS: '300',
      AGENT_PROGRESS_MS: '5000',
      AGENT_SPOOL_DIR: join(this.place.workDir, `spool-w${wave.index}`),
      AGENT_GROUND_TRUTH_FILE: truthFile,
      LOG_LEVEL: 'info',
    });
  }

  /** Runs `tally <args>` to its end; stdout apart (JSON results), everything in the CLI's log file. */
  async cli(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; stdout: string }> {
    const child = spawn(process.execPath, [serviceMain('cli'), ...args], {
      env: { ...process.env, ...this.env, LOG_LEVEL: 'warn', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = createWriteStream(join(this.place.workDir, 'cli.log'), { flags: 'a' });
    log.write(`\n$ tally ${args.join(' ')}\n`);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const handle: ChildHandle = { process: child, exited, output: () => stdout };
    this.children.add(handle);
    child.once('close', () => log.end());
    const code = await exited;
    this.children.delete(handle);
    return { code, stdout };
  }

  /** SIGTERM to everything still running, SIGKILL after `graceMs`; resolves when all have exited. */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(
      [...this.children].map(async (child) => {
        if (child.process.exitCode !== null || child.process.signalCode !== null) return;
        child.process.kill('SIGTERM');
        const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
        await child.exited;
        clearTimeout(timer);
      }),
    );
    this.children.clear();
  }

  private start(name: string, entry: string, env: Record<string, string>): ChildHandle {
    const child = startNodeChild(entry, env);
    const log = createWriteStream(join(this.place.workDir, `${name}.log`), { flags: 'a' });
    child.process.stdout?.pipe(log, { end: false });
    child.process.stderr?.pipe(log, { end: false });
    this.children.add(child);
    child.process.once('close', () => log.end());
    void child.exited.then(() => this.children.delete(child));
    return child;
  }
}
