/**
 * What the host agent's integration tests share: a samples topic of their own (LogAppendTime, so the clock-skew
 * metric has broker stamps), a collector of what the agent published, the agent started as a real process from a
 * YAML configuration, libvirt-style domain XML, and its metrics read over HTTP.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerSchemas, topics, typedTopic, valueCodec, type SchemaRegistry, type TopicSpec } from '@tally/kafka';
import { trafficSample, type TrafficSample } from '@tally/records';
import { boundedOutput, startNodeChild, type ChildHandle } from '@tally/testing';
import type { Kafka } from 'kafkajs';
import { stringify } from 'yaml';
import { domainStatusXml, type TestDomain } from './domain-xml.ts';

export { domainStatusXml, type TestDomain };

const schemasDir = fileURLToPath(new URL('../../../../../schemas', import.meta.url));
const agentMain = fileURLToPath(new URL('../../main.ts', import.meta.url));

/** A one-partition copy of traffic.samples whose records the broker stamps (LogAppendTime). */
export async function createSamplesTopic(kafka: Kafka, registry: SchemaRegistry, name: string): Promise<TopicSpec> {
  const spec: TopicSpec = { ...topics.trafficSamples, name, partitions: 1 };
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: name,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
  await registerSchemas(registry, schemasDir, [spec]);
  return spec;
}

export async function deleteTopic(kafka: Kafka, name: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [name] }).catch(() => undefined);
  await admin.disconnect();
}

/** Everything published to a topic since `start`, decoded with the registry, in offset order. */
export interface SampleCollector {
  readonly samples: TrafficSample[];
  stop(): Promise<void>;
}

export async function collectSamples(
  kafka: Kafka,
  registry: SchemaRegistry,
  spec: TopicSpec,
): Promise<SampleCollector> {
  const codec = valueCodec(registry, typedTopic(spec, trafficSample));
  const consumer = kafka.consumer({ groupId: `agent-test-${randomUUID()}` });
  const samples: TrafficSample[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: spec.name, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      samples.push(await codec.decode(message.value));
    },
  });
  return { samples, stop: () => consumer.disconnect() };
}

/** A TCP port nothing listens on right now (for the health server, or as a broker that refuses connections). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function writeDomains(dir: string, domains: readonly TestDomain[]): Promise<void> {
  for (const domain of domains) await writeFile(join(dir, `${domain.name}.xml`), domainStatusXml(domain));
}

export interface AgentProcess {
  readonly child: ChildHandle;
  readonly healthPort: number;
}

/**
 * Starts `node services/agent/src/main.ts` in host mode with `config` written as its YAML file, or, given
 * `executable`, the single executable with `--config <file>`.
 */
export async function startHostAgent(
  workDir: string,
  name: string,
  config: Record<string, unknown>,
  executable?: string,
): Promise<AgentProcess> {
  const healthPort = await freePort();
  const file = join(workDir, `${name}.yaml`);
  await writeFile(file, stringify({ ...config, health: { host: '127.0.0.1', port: healthPort } }));
  // The environment overrides the file, and the test runner's has KAFKA_BROKERS: pass the file's on.
  const brokers = (config['kafka'] as { brokers?: string[] } | undefined)?.brokers;
  const env = { LOG_LEVEL: 'info', ...(brokers === undefined ? {} : { KAFKA_BROKERS: brokers.join(',') }) };
  const child =
    executable === undefined
      ? startNodeChild(agentMain, { ...env, AGENT_MODE: 'host', AGENT_CONFIG: file })
      : startChild(executable, ['--config', file], env);
  return { child, healthPort };
}

function startChild(command: string, args: readonly string[], env: NodeJS.ProcessEnv): ChildHandle {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = boundedOutput();
  child.stdout.on('data', (chunk: Buffer) => output.append(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => output.append(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { process: child, exited, output: () => output.text() };
}

/** A metric's value (the sum over its label sets) from the agent's /metrics; undefined if absent or unreachable. */
export async function metricValue(port: number, name: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const values = text
      .split('\n')
      .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      .map((line) => Number(line.slice(line.lastIndexOf(' ') + 1)));
    return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
  } catch {
    return undefined;
  }
}

/** Sums of the four counters and the CPU seconds (as micro-seconds, exactly) of some samples. */
export function totals(samples: readonly TrafficSample[]) {
  const sum = { rxBytes: 0, txBytes: 0, rxPackets: 0, txPackets: 0, cpuMicros: 0n, windows: samples.length };
  for (const sample of samples) {
    sum.rxBytes += sample.rxBytes;
    sum.txBytes += sample.txBytes;
    sum.rxPackets += sample.rxPackets;
    sum.txPackets += sample.txPackets;
    const [whole = '0', fraction = ''] = sample.cpuSeconds.split('.');
    sum.cpuMicros += BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0').slice(0, 6));
  }
  return sum;
}
