/**
 * Consume-and-decode throughput of the consumer runtime against raw kafkajs eachBatch, on the same
 * topic in the same run. Both decode every value (Avro through the registry, then zod). The runtime
 * runs its full path (offset reconciliation, pipeline, dead-letter check, commit) with an in-memory
 * commit, so the figure is the runtime's own overhead, not PostgreSQL's. Raw and runtime alternate for
 * BENCH_ROUNDS rounds (default 3), each reading the whole topic with a fresh group, and the figures are
 * the medians: on a shared machine one run of either is noise.
 */
import { randomUUID } from 'node:crypto';
import { createLogger } from '@tally/log';
import { stackUp, loadStackConfig, prepareTopicsAndSchemas, schemasDir } from '@tally/infra';
import {
  applyTopics,
  createIdempotentProducer,
  createKafka,
  createMetrics,
  createRegistry,
  registerSchemas,
  runConsumer,
  topics,
  typedTopic,
  valueCodec,
  type TopicSpec,
} from '@tally/kafka';
import { trafficSample, type TrafficSample } from '@tally/records';
import { map } from '@tally/stream';
import { eventually } from '@tally/testing';

const RECORDS = Number(process.env['BENCH_RECORDS'] ?? 300_000);
const PARTITIONS = 3;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);

export async function run(): Promise<void> {
  const log = createLogger('bench-consumer', 'warn');
  const endpoints = await stackUp(loadStackConfig(), log);
  await prepareTopicsAndSchemas(endpoints, log);
  const kafka = createKafka('bench-consumer', endpoints.kafkaBrokers, log);
  const registry = createRegistry(endpoints.schemaRegistryUrl);
  const spec: TopicSpec = { ...topics.trafficSamples, name: `bench.consumer.${randomUUID()}`, partitions: PARTITIONS };
  const admin = kafka.admin();
  await admin.connect();
  await applyTopics(admin, [spec]);
  await registerSchemas(registry, schemasDir, [spec]);
  const codec = valueCodec(registry, typedTopic(spec, trafficSample));

  process.stderr.write(`producing ${RECORDS} records to ${spec.name}\n`);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const sample: TrafficSample = {
    hypervisorId: 'hv-1',
    instanceId: 'i-0',
    interfaceId: 'eth0',
    windowStart: Date.UTC(2025, 0, 1),
    rxBytes: 1,
    txBytes: 2,
    rxPackets: 3,
    txPackets: 4,
    cpuSeconds: '0.5',
  };
  const encoded = await codec.encode(sample);
  for (let sent = 0; sent < RECORDS; sent += 10_000) {
    const messages = Array.from({ length: Math.min(10_000, RECORDS - sent) }, (_, i) => ({
      key: `i-${(sent + i) % 500}`,
      value: encoded,
    }));
    await producer.send({ topic: spec.name, messages });
    process.stderr.write(`  ${Math.min(RECORDS, sent + 10_000)}/${RECORDS}\r`);
  }
  await producer.disconnect();
  process.stderr.write('\n');

  const rawRounds: number[] = [];
  const ourRounds: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    rawRounds.push(await timeRaw(kafka, spec.name, codec.decode));
    ourRounds.push(await timeRuntime(kafka, spec.name, codec, log));
    process.stderr.write(
      `round ${round}/${ROUNDS}: raw ${rawRounds.at(-1)!.toFixed(2)} s, runtime ${ourRounds.at(-1)!.toFixed(2)} s\n`,
    );
  }
  const raw = median(rawRounds);
  const ours = median(ourRounds);
  await admin.deleteTopics({ topics: [spec.name] }).catch(() => undefined);
  await admin.disconnect();

  const rawRps = Math.round(RECORDS / raw);
  const oursRps = Math.round(RECORDS / ours);
  console.log(`raw kafkajs eachBatch + decode  ${(rawRps / 1000).toFixed(1)} k records/s (median ${raw.toFixed(2)} s)`);
  console.log(
    `consumer runtime                ${(oursRps / 1000).toFixed(1)} k records/s (median ${ours.toFixed(2)} s)`,
  );
  console.log(
    JSON.stringify({
      bench: 'consumer',
      records: RECORDS,
      partitions: PARTITIONS,
      rounds: ROUNDS,
      raw_rps: rawRps,
      runtime_rps: oursRps,
      ratio_vs_raw: Number((oursRps / rawRps).toFixed(3)),
    }),
  );
  process.exit(0);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

async function timeRaw(
  kafka: ReturnType<typeof createKafka>,
  topic: string,
  decode: (bytes: Buffer | null) => Promise<TrafficSample>,
): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-raw-${randomUUID()}`, maxBytesPerPartition: 1_048_576 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let started = 0;
  await consumer.run({
    eachBatch: async ({ batch }) => {
      started ||= performance.now();
      for (const message of batch.messages) {
        await decode(message.value);
        seen += 1;
      }
    },
  });
  await eventually(() => Promise.resolve(seen >= RECORDS), 300_000, 20);
  const seconds = (performance.now() - started) / 1000;
  await consumer.disconnect();
  return seconds;
}

async function timeRuntime(
  kafka: ReturnType<typeof createKafka>,
  topic: string,
  codec: ReturnType<typeof valueCodec<TrafficSample>>,
  log: ReturnType<typeof createLogger>,
): Promise<number> {
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const stored = new Map<number, string>();
  let seen = 0;
  let started = 0;
  const consumer = await runConsumer<TrafficSample, number>(
    {
      service: 'bench',
      groupId: `bench-runtime-${randomUUID()}`,
      topic,
      // The clock starts at the first decode, as raw's starts at its first batch, before its first decode.
      codec: {
        ...codec,
        decode: (bytes) => {
          started ||= performance.now();
          return codec.decode(bytes);
        },
      },
      maxBytesPerPartition: 1_048_576,
      pipeline: () => map((record) => record.value.txBytes),
      loadOffsets: () => Promise.resolve(new Map(stored)),
      commit: (results, offsets) => {
        stored.set(offsets.partition, offsets.to);
        seen += results.length;
        return Promise.resolve();
      },
    },
    { kafka, producer, log, metrics: createMetrics('bench') },
  );
  await eventually(() => Promise.resolve(seen >= RECORDS), 300_000, 20);
  const seconds = (performance.now() - started) / 1000;
  await consumer.stop();
  await producer.disconnect();
  return seconds;
}
