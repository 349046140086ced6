import { randomUUID } from 'node:crypto';
import { SchemaType } from '@kafkajs/confluent-schema-registry';
import { createLogger } from '@tally/log';
import type { TrafficSample } from '@tally/records';
import type { Consumer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from './client.ts';
import { SchemaRegistryUnavailableError, valueCodec } from './codec.ts';
import { createRegistry } from './registry.ts';
import { testEndpoints } from './test-env.ts';
import { typedTopics } from './topics.ts';
import { classifyError, isPoison } from './errors.ts';

const endpoints = testEndpoints();
const log = createLogger('codec-test', 'warn');
const kafka = createKafka('codec-test', endpoints.KAFKA_BROKERS, log);
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const consumers: Consumer[] = [];
afterAll(async () => Promise.all(consumers.map((consumer) => consumer.disconnect())));

function sample(instanceId: string, windowStart: number): TrafficSample {
  return {
    hypervisorId: 'hv-1',
    instanceId,
    interfaceId: 'eth0',
    windowStart,
    rxBytes: 1200,
    txBytes: 3_000_000_000,
    rxPackets: 10,
    txPackets: 2_000_000,
    cpuSeconds: '12.345',
  };
}

describe('Avro values through the real broker and registry', () => {
  it('round-trips typed samples produced and consumed on traffic.samples', async () => {
    const codec = valueCodec(registry, typedTopics.trafficSamples);
    const instanceId = `i-${randomUUID()}`;
    const sent = [
      sample(instanceId, 1_700_000_010_000 - (1_700_000_010_000 % 30_000)),
      sample(instanceId, 1_700_000_040_000 - (1_700_000_040_000 % 30_000)),
    ];
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic: typedTopics.trafficSamples.spec.name,
      messages: await Promise.all(sent.map(async (value) => ({ key: instanceId, value: await codec.encode(value) }))),
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `codec-test-${randomUUID()}` });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic: typedTopics.trafficSamples.spec.name, fromBeginning: true });
    const received: TrafficSample[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.key?.toString() !== instanceId) return;
            received.push(await codec.decode(message.value));
            if (received.length === sent.length) resolve();
          },
        })
        .catch(reject);
    });
    expect(received).toEqual(sent);
  });

  it('round-trips the flattened pricing model of the prices topic', async () => {
    const codec = valueCodec(registry, typedTopics.prices);
    const entry = {
      sku: 'egress.gb',
      currency: 'USD',
      effectiveFrom: Date.UTC(2026, 0, 1),
      unit: 'gb' as const,
      model: {
        kind: 'graduated' as const,
        tiers: [
          { upTo: '100', unitPrice: '0', flatFee: '0' },
          { upTo: null, unitPrice: '0.01', flatFee: '0' },
        ],
      },
    };
    expect(await codec.decode(await codec.encode(entry))).toEqual(entry);
  });

  it('classifies garbage, unknown schema ids and invalid values as poison', async () => {
    const codec = valueCodec(registry, typedTopics.trafficSamples);
    const garbage = codec.decode(Buffer.from('not avro at all'));
    await expect(garbage).rejects.toSatisfy(isPoison);
    await expect(garbage).rejects.toMatchObject({ errorClass: 'NotAvro' });

    const unknownId = Buffer.from([0, 0x7f, 0xff, 0xff, 0x00, 0x02]);
    await expect(codec.decode(unknownId)).rejects.toMatchObject({ errorClass: 'UnknownSchemaId' });

    const latest = await registry.getLatestSchemaId('traffic.samples.v1-value');
    const negative = await registry.encode(latest, { ...sample('i-x', 0), rxBytes: -5 });
    await expect(codec.decode(negative)).rejects.toMatchObject({ errorClass: 'ValidationFailed' });
  });
});

describe('unknown schema ids', () => {
  const unknownId = (id: number) =>
    Buffer.from([0, (id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff, 2]);

  it('are transient when the registry URL has a wrong path (a 404 without error code 40403)', async () => {
    const wrongPath = endpoints.SCHEMA_REGISTRY_URL.replace(/\/apis\/ccompat\/v7$/, '/apis/wrong');
    expect(wrongPath).not.toBe(endpoints.SCHEMA_REGISTRY_URL);
    const codec = valueCodec(createRegistry(wrongPath), typedTopics.trafficSamples);
    const decoded = codec.decode(unknownId(0x7fffff01));
    await expect(decoded).rejects.toBeInstanceOf(SchemaRegistryUnavailableError);
    await expect(decoded).rejects.toThrow(/40403/);
    expect(classifyError(await decoded.catch((error: unknown) => error))).toMatchObject({ kind: 'transient' });
  });

  it('are transient when the registry does not answer', async () => {
    const codec = valueCodec(createRegistry('http://127.0.0.1:9/apis/ccompat/v7'), typedTopics.trafficSamples);
    const error = await codec.decode(unknownId(1)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaRegistryUnavailableError);
    expect(String(error)).toMatch(/127\.0\.0\.1:9/);
    expect(classifyError(error)).toMatchObject({ kind: 'transient' });
  });

  it('stall instead of dead-lettering once more than the burst limit arrive within the window', async () => {
    const codec = valueCodec(registry, typedTopics.trafficSamples, {
      guard: { burstLimit: 2, windowMs: 60_000, quietMs: 300_000 },
      log: createLogger('codec-test', 'silent'),
    });
    const outcomes = [];
    for (const id of [0x7fffff10, 0x7fffff11, 0x7fffff12, 0x7fffff10]) {
      const error = await codec.decode(unknownId(id)).catch((caught: unknown) => caught);
      outcomes.push(classifyError(error).kind);
    }
    expect(outcomes).toEqual(['deterministic', 'deterministic', 'transient', 'transient']);
  });
});

describe('schema registry compatibility', () => {
  it('rejects a BACKWARD-incompatible change and accepts a compatible one', async () => {
    const subject = `compat-test-${randomUUID()}-value`;
    const v1 = { type: 'record', name: 'Probe', namespace: 'dev.tally.test', fields: [{ name: 'a', type: 'string' }] };
    await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(v1) }, { subject });
    const compatible = { ...v1, fields: [...v1.fields, { name: 'b', type: 'long', default: 0 }] };
    await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(compatible) }, { subject });
    // A new field without a default cannot be read from old data: BACKWARD forbids it.
    const incompatible = { ...v1, fields: [...v1.fields, { name: 'c', type: 'long' }] };
    await expect(
      registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(incompatible) }, { subject }),
    ).rejects.toThrow();
  });
});
