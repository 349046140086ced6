/**
 * What the integration tests around `sum-consumer.ts` share: samples, producing them, reading the sums table and the
 * child's Prometheus metrics.
 */
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Pool } from '@tally/db';
import { trafficSample, type TrafficSample } from '@tally/records';
import { startNodeChild, type ChildHandle } from '@tally/testing';
import type { Kafka } from 'kafkajs';
import type { TopicSpec } from '../catalog.ts';
import { valueCodec, type ValueCodec } from '../codec.ts';
import { createIdempotentProducer } from '../producer.ts';
import type { SchemaRegistry } from '../registry.ts';
import { typedTopic } from '../typed-topic.ts';

export const sumConsumerEntry = fileURLToPath(new URL('./sum-consumer.ts', import.meta.url));

export function sample(instanceId: string, i: number, txBytes: number): TrafficSample {
  return {
    hypervisorId: 'hv',
    instanceId,
    interfaceId: 'eth0',
    windowStart: Date.UTC(2025, 0, 1) + i * 30_000,
    rxBytes: 0,
    txBytes,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds: '0',
  };
}

export function samplesCodec(registry: SchemaRegistry, spec: TopicSpec): ValueCodec<TrafficSample> {
  return valueCodec(registry, typedTopic(spec, trafficSample));
}

/** Produces the samples in order (keyed by instance), in sends of `perSend`; `pauseMs` between sends rolls segments. */
export async function produce(
  kafka: Kafka,
  codec: ValueCodec<TrafficSample>,
  topic: string,
  samples: readonly TrafficSample[],
  options: { perSend?: number; pauseMs?: number } = {},
): Promise<void> {
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const perSend = options.perSend ?? 1000;
  for (let start = 0; start < samples.length; start += perSend) {
    const messages = [];
    for (const value of samples.slice(start, start + perSend))
      messages.push({ key: value.instanceId, value: await codec.encode(value) });
    await producer.send({ topic, acks: -1, messages });
    if (options.pauseMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
  }
  await producer.disconnect();
}

export type Sums = Map<string, { total: number; records: number }>;

export async function readSums(pool: Pool): Promise<Sums> {
  const result = await pool.query<{ instance_id: string; total: string; records: string }>(
    'SELECT instance_id, total, records FROM sums',
  );
  return new Map(
    result.rows.map((row) => [row.instance_id, { total: Number(row.total), records: Number(row.records) }]),
  );
}

export async function recordsSummed(pool: Pool): Promise<number> {
  const result = await pool.query<{ n: string | null }>('SELECT sum(records) AS n FROM sums');
  return Number(result.rows[0]?.n ?? 0);
}

export async function storedOffsets(pool: Pool, group: string, topic: string): Promise<Map<number, string>> {
  const result = await pool.query<{ partition: number; next_offset: string }>(
    'SELECT partition, next_offset FROM consumer_offsets WHERE group_id = $1 AND topic = $2',
    [group, topic],
  );
  return new Map(result.rows.map((row) => [row.partition, row.next_offset]));
}

/** Whether the group's stored offsets reached `ends` (partition → log end) on every partition. */
export async function storedAtEnd(
  pool: Pool,
  group: string,
  topic: string,
  ends: Iterable<readonly [number, string]>,
): Promise<boolean> {
  const offsets = await storedOffsets(pool, group, topic);
  return [...ends].every(([partition, high]) => offsets.get(partition) === high);
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts sum-consumer.ts serving its metrics on a free port. */
export async function startSumConsumer(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildHandle; metric: (name: string, labels?: Record<string, string>) => Promise<number> }> {
  const port = await freePort();
  const child = startNodeChild(sumConsumerEntry, { ...env, METRICS_PORT: String(port) });
  /** The sum of a metric's samples whose labels include `labels` (0 when absent or not served yet). */
  const metric = async (name: string, labels: Record<string, string> = {}): Promise<number> => {
    const text = await fetch(`http://127.0.0.1:${port}/metrics`)
      .then((response) => response.text())
      .catch(() => '');
    let total = 0;
    for (const line of text.split('\n')) {
      const match = /^(\w+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
      if (match === null || match[1] !== name) continue;
      const labelText = match[2] ?? '';
      if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`)))
        total += Number(match[3]);
    }
    return total;
  };
  return { child, metric };
}
