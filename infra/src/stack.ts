import type { Logger } from '@tally/log';
import { runningPid, stopDaemon, type Daemon } from './daemon.ts';
import { kafkaAnswers, kafkaDaemon, startKafka } from './kafka-broker.ts';
import { portHolder, portIsFree } from './ports.ts';
import { postgresDaemon, startEmbeddedPostgres } from './embedded-postgres.ts';
import { demoDaemon } from './demo-daemon.ts';
import { postgresAnswers } from './postgres.ts';
import { describeRegistryStorage, type RegistryStorage } from './registry-storage.ts';
import { registryAnswers, registryDaemon, startedStorage, startRegistry } from './schema-registry.ts';
import { endpointsOf, type Endpoints, type StackConfig } from './stack-config.ts';
import { waitUntil } from './wait-until.ts';

interface Component {
  name: string;
  /** Set when the environment names an external server: then we only check it answers. */
  external: boolean;
  daemon: Daemon | undefined;
  port: number | undefined;
  answers: () => Promise<boolean>;
  start: () => Promise<void>;
  hint: string;
  /** Said when a running server of ours is reused but was started differently from how we would start it now. */
  staleStart?: () => string | undefined;
}

function components(config: StackConfig, endpoints: Endpoints, log: Logger): Component[] {
  const registryStorage: RegistryStorage = {
    databaseUrl: endpoints.databaseUrl,
    dbSchema: config.TALLY_REGISTRY_DB_SCHEMA,
  };
  return [
    {
      name: 'PostgreSQL',
      external: config.DATABASE_URL !== undefined,
      daemon: postgresDaemon,
      port: config.TALLY_POSTGRES_PORT,
      answers: () => postgresAnswers(endpoints.databaseUrl),
      start: () =>
        startEmbeddedPostgres(log, config.TALLY_POSTGRES_PORT, new URL(endpoints.databaseUrl).pathname.slice(1)),
      hint:
        config.DATABASE_URL === undefined
          ? `see ${postgresDaemon.logFile}`
          : `is a server running at ${endpoints.databaseUrl.replace(/:[^:@/]*@/, ':***@')}? Unset DATABASE_URL to use the project's own`,
    },
    {
      name: 'Kafka broker',
      external: config.KAFKA_BROKERS !== undefined,
      daemon: kafkaDaemon,
      port: config.TALLY_KAFKA_PORT,
      answers: () => kafkaAnswers(endpoints.kafkaBrokers),
      start: () =>
        startKafka(
          log,
          config.TALLY_KAFKA_PORT,
          config.TALLY_KAFKA_CONTROLLER_PORT,
          kafkaDaemon,
          config.TALLY_KAFKA_VERSION,
        ),
      hint: `see ${kafkaDaemon.dir}/server.log and ${kafkaDaemon.logFile}`,
    },
    {
      name: 'schema registry',
      external: config.SCHEMA_REGISTRY_URL !== undefined,
      daemon: registryDaemon,
      port: config.TALLY_REGISTRY_PORT,
      answers: () => registryAnswers(endpoints.schemaRegistryUrl),
      start: () => startRegistry(log, config.TALLY_REGISTRY_PORT, registryStorage),
      hint: `see ${registryDaemon.logFile}`,
      staleStart: () => {
        if (runningPid(registryDaemon) === undefined) return undefined;
        const wanted = describeRegistryStorage(registryStorage);
        const actual = startedStorage(registryDaemon) ?? 'memory (lost at the next stop)';
        return actual === wanted
          ? undefined
          : `keeps its schemas in ${actual}, not ${wanted}: run ./pnpm stop, then ./pnpm stack up`;
      },
    },
  ];
}

async function answersNow(component: Component): Promise<boolean> {
  return component.answers().catch(() => false);
}

async function bringUp(component: Component, config: StackConfig, log: Logger): Promise<void> {
  if (await answersNow(component)) {
    log.info({ component: component.name }, `${component.name}: already running`);
    const stale = component.external ? undefined : component.staleStart?.();
    if (stale !== undefined) log.warn({ component: component.name }, `reused as it runs, but it ${stale}`);
    return;
  }
  if (!component.external && component.daemon && runningPid(component.daemon) === undefined) {
    if (component.port !== undefined && !(await portIsFree(component.port))) {
      throw new Error(`${component.name}: port ${component.port} is taken by ${await portHolder(component.port)}`);
    }
    log.info({ component: component.name, port: component.port }, `${component.name}: starting`);
    await component.start();
  }
  await waitUntil(component.name, component.answers, config.TALLY_STACK_TIMEOUT_MS, component.hint);
  log.info({ component: component.name }, `${component.name}: ready`);
}

/**
 * Brings the local stack up, idempotently: a server that already answers is reused, one we started
 * earlier that died is started again, a port held by a stranger is reported by name. PostgreSQL comes
 * first: the registry keeps its schemas there.
 */
export async function stackUp(config: StackConfig, log: Logger): Promise<Endpoints> {
  const endpoints = endpointsOf(config);
  const [postgres, ...servers] = components(config, endpoints, log);
  await bringUp(postgres!, config, log);
  await Promise.all(servers.map((component) => bringUp(component, config, log)));
  return endpoints;
}

/**
 * Stops a running `./pnpm start` first (SIGTERM: it stops its services cleanly, each within its own deadline), then
 * the servers this project started (the registry before the database it keeps its schemas in).
 */
export async function stackDown(log: Logger): Promise<void> {
  if (await stopDaemon(demoDaemon, 90_000)) log.info({ component: demoDaemon.name }, 'stopped its services');
  for (const d of [registryDaemon, kafkaDaemon, postgresDaemon]) {
    if (await stopDaemon(d)) log.info({ component: d.name }, 'stopped');
  }
}

export async function stackStatus(config: StackConfig, log: Logger): Promise<boolean> {
  const endpoints = endpointsOf(config);
  let allUp = true;
  for (const component of components(config, endpoints, log)) {
    const up = await answersNow(component);
    allUp &&= up;
    const pid = component.daemon ? runningPid(component.daemon) : undefined;
    log.info({ component: component.name, up, pid, external: component.external }, up ? 'up' : 'down');
  }
  return allUp;
}
