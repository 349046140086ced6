/**
 * The accounts schema's evolution (address, unsubscribed) against the real registry (Apicurio, Confluent API): on a
 * subject of its own holding the schema as it was before, BACKWARD accepts the evolved file and rejects a new field
 * without a default; `verifySchemas` (what `tally topics verify` runs) reports the evolved file as differing until it
 * is registered, then as matching; a record written with the old schema decodes with the defaults, a new one whole.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import { account, type Account } from '@tally/records';
import { describe, expect, it } from 'vitest';
import { topics, valueSubject } from './catalog.ts';
import { valueCodec } from './codec.ts';
import { createRegistry, registerSchemas } from './registry.ts';
import { verifySchemas } from './schema-check.ts';
import { testEndpoints } from './test-env.ts';
import { typedTopic } from './typed-topic.ts';

const endpoints = testEndpoints();
const registry = createRegistry(endpoints.SCHEMA_REGISTRY_URL);
const schemasDir = fileURLToPath(new URL('../../../schemas', import.meta.url));

interface AvroRecord {
  type: 'record';
  name: string;
  fields: { name: string; type: unknown; default?: unknown }[];
}

describe('accounts schema evolution', () => {
  it('is BACKWARD compatible, verified as a difference until registered, and old records decode with defaults', async () => {
    const spec = { ...topics.accounts, name: `test.${randomUUID()}.accounts` };
    const subject = valueSubject(spec.name);
    const evolved = JSON.parse(await readFile(`${schemasDir}/${spec.valueSchema}`, 'utf8')) as AvroRecord;
    const added = ['address', 'unsubscribed'];
    expect(evolved.fields.filter((f) => added.includes(f.name)).map((f) => f.default)).toEqual([null, false]);
    const before: AvroRecord = { ...evolved, fields: evolved.fields.filter((f) => !added.includes(f.name)) };
    const avro = (schema: AvroRecord) => ({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }) as const;
    const { id: beforeId } = await registry.register(avro(before), { subject, compatibility: COMPATIBILITY.BACKWARD });

    // What `tally topics verify` sees on a registry that has not been given the evolved file yet.
    const stale = await verifySchemas(endpoints.SCHEMA_REGISTRY_URL, schemasDir, [spec]);
    expect(stale.differences).toEqual([expect.objectContaining({ subject, setting: 'schema' })]);

    // The check is live: a new field without a default cannot read old records, and is refused.
    const noDefault: AvroRecord = { ...before, fields: [...before.fields, { name: 'unsubscribed', type: 'boolean' }] };
    await expect(registry.register(avro(noDefault), { subject })).rejects.toThrow();

    const written: Omit<Account, 'address' | 'unsubscribed'> = {
      accountId: 'acct-old',
      name: 'Old Customer',
      email: 'old@example.com',
      plan: 'paying',
      freeCredit: '1.50',
      currency: 'CHF',
      timeZone: 'Europe/Zurich',
      createdAt: Date.UTC(2024, 0, 1),
    };
    const oldBytes = await registry.encode(beforeId, written);

    const ids = await registerSchemas(registry, schemasDir, [spec]);
    expect(ids.get(spec.name)).not.toBe(beforeId);
    const fresh = await verifySchemas(endpoints.SCHEMA_REGISTRY_URL, schemasDir, [spec]);
    expect(fresh).toEqual({ missing: [], differences: [], matching: [subject] });

    const codec = valueCodec(registry, typedTopic(spec, account));
    expect(await codec.decode(oldBytes)).toEqual({ ...written, address: null, unsubscribed: false });
    const now: Account = {
      ...written,
      accountId: 'acct-new',
      address: {
        line1: 'Bahnhofstrasse 1',
        line2: '',
        city: 'Zurich',
        postalCode: '8001',
        region: 'ZH',
        country: 'CH',
      },
      unsubscribed: true,
    };
    const newBytes = await codec.encode(now);
    expect(newBytes.readUInt32BE(1)).toBe(ids.get(spec.name));
    expect(await codec.decode(newBytes)).toEqual(now);
  });
});
