import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import type { Logger } from '@tally/log';
import { DEFAULT_KAFKA_VERSION, ensureKafkaArtifacts } from './artifacts.ts';
import { daemon, runningPid, startDaemon, type Daemon } from './daemon.ts';
import { ensureJava, javaCommand } from './java.ts';
import { run } from './run-command.ts';
import { repoRoot } from './paths.ts';

export const kafkaDaemon = daemon('kafka');

/** One KRaft node, broker and controller combined; internal topics with replication factor 1. */
function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'log.segment.bytes=67108864',
    '',
  ].join('\n');
}

const java = () => javaCommand();

/**
 * Starts a broker as `d` (default: the stack's); its data and logs live in the daemon's folder. Kafka 3.9 and 4.x
 * start the same way: KRaft with a static quorum, logging through slf4j to reload4j.
 */
export async function startKafka(
  log: Logger,
  port: number,
  controllerPort: number,
  d: Daemon = kafkaDaemon,
  version: string = process.env['TALLY_KAFKA_VERSION'] || DEFAULT_KAFKA_VERSION,
  /** Lines appended to server.properties (a later key wins) and arguments added to the storage format. */
  extra: { properties?: readonly string[]; formatArgs?: readonly string[] } = {},
): Promise<void> {
  await ensureJava();
  const kafkaLibs = await ensureKafkaArtifacts(log, version);
  const dataDir = join(d.dir, 'data');
  const config = join(d.dir, 'server.properties');
  mkdirSync(d.dir, { recursive: true });
  writeFileSync(config, serverProperties(port, controllerPort, dataDir) + (extra.properties ?? []).join('\n') + '\n');
  writeFileSync(join(d.dir, 'version'), version);
  const classpath = `${kafkaLibs}/*`;
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    log.info({ dataDir }, 'formatting Kafka storage');
    await run(java(), [
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId(),
      '-c',
      config,
      ...(extra.formatArgs ?? []),
    ]);
  }
  const log4j = join(repoRoot, 'infra', 'kafka', 'log4j.properties');
  startDaemon(d, java(), [
    '-Xms256m',
    '-Xmx1g',
    '-XX:+UseG1GC',
    `-Dlog4j.configuration=file:${log4j}`,
    `-Dkafka.logs.dir=${d.dir}`,
    '-cp',
    classpath,
    'kafka.Kafka',
    config,
  ]);
}

/** A KRaft cluster id is 16 random bytes in URL-safe base64 without padding. */
function clusterId(): string {
  return Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
}

export async function kafkaAnswers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'tally-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 2000,
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect();
  }
}

export function kafkaIsOurs(): boolean {
  return runningPid(kafkaDaemon) !== undefined;
}
