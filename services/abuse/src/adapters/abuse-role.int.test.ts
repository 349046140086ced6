/**
 * Abuse's tables under the roles that use them, as deployed (`tally db migrate` grants): the abuse role stores facts,
 * decides and enqueues; the operator records a clearance; the read-only role explains; nobody else may.
 */
import { randomBytes } from 'node:crypto';
import { connectionEnv, loadConfig } from '@tally/config';
import {
  advanceOffset,
  createPool,
  createTestDatabase,
  grantServiceRoles,
  quoteIdentifier,
  roleName,
  serviceRoles,
  type Pool,
  type ServiceRole,
  type TestDatabase,
} from '@tally/db';
import { createLogger } from '@tally/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { abuseClear } from '../../../cli/src/abuse-clear.ts';
import { abuseExplain } from '../../../cli/src/abuse-explain.ts';
import { defaultPolicy } from '../core/policy.ts';
import { decidePass } from './decider.ts';
import { recordProgress, storeAccounts, storeFacts } from './fact-store.ts';

const { DATABASE_URL } = loadConfig(connectionEnv);
const prefix = `t_${randomBytes(4).toString('hex')}`;
const H0 = 495_000;
const pools: Pool[] = [];
let db: TestDatabase;

function loginUrl(role: ServiceRole): string {
  const url = new URL(DATABASE_URL);
  url.username = `${roleName(prefix, role)}_login`;
  url.password = '';
  return url.toString();
}

async function login(role: ServiceRole): Promise<Pool> {
  await db.pool.query(
    `CREATE ROLE ${quoteIdentifier(`${roleName(prefix, role)}_login`)} LOGIN IN ROLE ${quoteIdentifier(roleName(prefix, role))}`,
  );
  const pool = createPool(loginUrl(role), { schema: db.schema, max: 1 });
  pools.push(pool);
  return pool;
}

beforeAll(async () => {
  db = await createTestDatabase(DATABASE_URL);
  await grantServiceRoles(db.pool, db.schema, prefix);
});

afterAll(async () => {
  for (const pool of pools) await pool.end();
  await db?.drop();
  const admin = createPool(DATABASE_URL, { max: 1 });
  try {
    for (const role of serviceRoles) {
      for (const name of [`${roleName(prefix, role)}_login`, roleName(prefix, role)]) {
        if ((await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rowCount === 0) continue;
        await admin.query(`DROP OWNED BY ${quoteIdentifier(name)}`);
        await admin.query(`DROP ROLE ${quoteIdentifier(name)}`);
      }
    }
  } finally {
    await admin.end();
  }
});

const io = (role: ServiceRole) => {
  const out: string[] = [];
  return {
    out,
    io: {
      out: (t: string) => void out.push(t),
      err: (t: string) => void out.push(t),
      env: { ...process.env, DATABASE_URL: loginUrl(role), ABUSE_DB_SCHEMA: db.schema },
    },
  };
};

describe('abuse under its roles', () => {
  it('abuse decides, the operator clears, the read-only role explains; billing may not touch abuse tables', async () => {
    const abuse = await login('abuse');
    await login('operator');
    await login('readonly');
    const billing = await login('billing');

    const accountId = 'acct-1';
    await storeAccounts(abuse, [
      {
        accountId,
        name: 'n',
        email: 'a@example.com',
        plan: 'trial',
        freeCredit: '100',
        currency: 'USD',
        timeZone: 'UTC',
        createdAt: (H0 - 3) * 3_600_000,
        address: null,
        unsubscribed: false,
      },
    ]);
    await storeFacts(
      abuse,
      [0, 1, 2].flatMap((h) => [
        {
          accountId,
          version: 1,
          event: {
            kind: 'usage' as const,
            hour: H0 + h,
            instanceId: 'i',
            instanceType: 's1.small',
            runningSeconds: 3600,
            cpuSeconds: '3590',
          },
        },
        { accountId, version: 1, event: { kind: 'charge' as const, hour: H0 + h, hourTotal: '1' } },
      ]),
    );
    await recordProgress(abuse, 'usage', 0, H0 + 2);
    const client = await abuse.connect();
    try {
      await advanceOffset(client, 'abuse-usage', 'usage', 0, undefined, '6');
    } finally {
      client.release();
    }
    const pass = (latestHour: number) =>
      decidePass({
        pool: abuse,
        policy: defaultPolicy,
        outputs: { decisions: 'd', actions: 'a', notices: 'n' },
        streams: () => Promise.resolve([{ latestHour, caughtUp: true, clock: true }]),
        batchSize: 10,
        lockKey: `test.${db.schema}`,
        log: createLogger('abuse-role-test', 'fatal'),
      });
    await pass(H0 + 6);
    expect((await abuse.query<{ status: string }>('SELECT status FROM abuse_states')).rows[0]?.status).toBe(
      'suspended',
    );

    const cleared = io('operator');
    expect(await abuseClear.run([accountId, '--reason', 'known researcher', '--by', 'ops'], cleared.io)).toBe(0);
    // The clearance is an event of the first open hour (the watermark, H0 + 4): it applies once that hour closes.
    await pass(H0 + 7);
    const explained = io('readonly');
    expect(await abuseExplain.run([accountId], explained.io)).toBe(0);
    expect(explained.out.join('')).toContain('suspended -> cleared  cleared by ops: known researcher');

    // The abuse role reads clearances but may not make them; billing may touch none of abuse's tables.
    const denied = async (pool: Pool, sql: string) =>
      pool.query(sql).then(
        () => 'ok',
        (error: { code?: string }) => error.code,
      );
    expect(
      await denied(
        abuse,
        "INSERT INTO abuse_clearances (account_id, hour, cleared_by, reason) VALUES ('x', 1, 'me', 'r')",
      ),
    ).toBe('42501');
    expect(await denied(billing, 'SELECT * FROM abuse_states')).toBe('42501');
    expect(await denied(abuse, 'TRUNCATE abuse_events')).toBe('42501');
  });
});
