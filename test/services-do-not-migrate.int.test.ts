/**
 * Services do not migrate at start-up (migrations are the owner's, `tally db migrate`): started on an empty schema,
 * even as a role that could create tables (the owner here), metering and billing stop with an error that names the
 * missing migrations and the command, and leave the schema empty.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { connectionEnv, loadConfig } from '@tally/config';
import { createPool, quoteIdentifier } from '@tally/db';
import { startNodeChild } from '@tally/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const endpoints = loadConfig(connectionEnv);
const schema = `unmigrated_${randomBytes(4).toString('hex')}`;
const owner = createPool(endpoints.DATABASE_URL, { max: 1 });
const main = (service: string) => fileURLToPath(new URL(`../services/${service}/src/main.ts`, import.meta.url));

beforeAll(async () => {
  await owner.query(`CREATE SCHEMA ${quoteIdentifier(schema)}`);
});
afterAll(async () => {
  await owner.query(`DROP SCHEMA ${quoteIdentifier(schema)} CASCADE`);
  await owner.end();
});

describe('services on an unmigrated schema', () => {
  it.each(['metering', 'billing'])(
    '%s stops, names the migrations and the command, creates nothing',
    async (service) => {
      const child = startNodeChild(main(service), {
        DATABASE_URL: endpoints.DATABASE_URL,
        DB_SCHEMA: schema,
        LOG_LEVEL: 'info',
        METERING_METRICS_PORT: '0',
        BILLING_METRICS_PORT: '0',
      });
      expect(await child.exited, child.output()).not.toBe(0);
      expect(child.output()).toContain(`schema ${schema} lacks migrations 0001_consumer-offsets`);
      expect(child.output()).toContain(`./pnpm tally db migrate --schema ${schema}`);
      const tables = await owner.query('SELECT 1 FROM pg_tables WHERE schemaname = $1', [schema]);
      expect(tables.rowCount).toBe(0);
    },
  );
});
