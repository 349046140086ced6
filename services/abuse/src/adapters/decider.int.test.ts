/**
 * The decider on real PostgreSQL (no broker needed): facts wait for the watermark, versions never go back, a machine
 * that throws for one account holds back only that account.
 */
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, type TestDatabase } from '@tally/db';
import type { StreamProgress } from '@tally/fsm';
import { createLogger } from '@tally/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fact } from '../core/facts.ts';
import { defaultPolicy } from '../core/policy.ts';
import { decidePass } from './decider.ts';
import { storeAccounts, storeFacts } from './fact-store.ts';

const endpoints = loadConfig(connectionEnv);
const H0 = 495_000;
let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
});
afterAll(async () => db?.drop());

const trial = (accountId: string) => ({
  accountId,
  name: accountId,
  email: `${accountId}@example.com`,
  plan: 'trial' as const,
  freeCredit: '100',
  currency: 'USD',
  timeZone: 'UTC',
  createdAt: (H0 - 5) * 3_600_000,
  address: null,
  unsubscribed: false,
});

function minerHour(accountId: string, hour: number, version = 1, cpu = '7100'): Fact[] {
  return [
    {
      accountId,
      version,
      event: {
        kind: 'usage',
        hour,
        instanceId: `${accountId}-i`,
        instanceType: 's1.medium',
        runningSeconds: 3600,
        cpuSeconds: cpu,
      },
    },
    { accountId, version, event: { kind: 'charge', hour, hourTotal: '0.5' } },
  ];
}

const failed: string[] = [];
const pass = (streams: StreamProgress[]) =>
  decidePass({
    pool: db.pool,
    policy: defaultPolicy,
    outputs: { decisions: 'd', actions: 'a', notices: 'n' },
    streams: () => Promise.resolve(streams),
    batchSize: 10,
    lockKey: `test.${db.schema}`,
    log: createLogger('decider-test', 'fatal'),
    onAccountFailed: (accountId) => failed.push(accountId),
  });
const clock = (latestHour: number): StreamProgress => ({ latestHour, caughtUp: true, clock: true });
const status = async (accountId: string) =>
  (await db.pool.query<{ status: string }>('SELECT status FROM abuse_states WHERE account_id = $1', [accountId]))
    .rows[0]?.status;
const waiting = async (accountId: string) =>
  Number(
    (await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM abuse_events WHERE account_id = $1', [accountId]))
      .rows[0]?.n,
  );

describe('decidePass', () => {
  it('decides nothing while a stream is behind, and everything below the watermark once it is caught up', async () => {
    await storeAccounts(db.pool, [trial('m'), trial('broken')]);
    await storeFacts(
      db.pool,
      [0, 1, 2].flatMap((h) => minerHour('m', H0 + h)),
    );
    // An older version arriving after a newer one changes nothing.
    await storeFacts(db.pool, minerHour('m', H0 + 2, 0, '10'));

    const behind = await pass([clock(H0 + 10), { latestHour: H0 + 1, caughtUp: false, clock: false }]);
    expect(behind.mark).toBe(H0 + 1);
    expect(await status('m')).toBe('watch'); // hour 0 closed only
    expect(await waiting('m')).toBe(4);

    const caughtUp = await pass([clock(H0 + 10), { latestHour: H0 + 1, caughtUp: true, clock: false }]);
    expect(caughtUp.mark).toBe(H0 + 8);
    expect(await status('m')).toBe('suspended');
    expect(await waiting('m')).toBe(0);
    const outbox = await db.pool.query<{ topic: string; payload: { action?: string; status?: string } }>(
      "SELECT topic, payload FROM outbox WHERE key = 'm' ORDER BY id",
    );
    expect(outbox.rows.map((r) => `${r.topic}:${r.payload.action ?? r.payload.status}`)).toEqual([
      'd:watch',
      'a:suspend',
      'd:suspended',
    ]);
    // The watermark never moves back.
    expect((await pass([clock(H0 + 3)])).mark).toBe(H0 + 8);
  });

  it('a machine that throws holds back only its own account', async () => {
    await db.pool.query(
      `INSERT INTO abuse_states (account_id, state, open_hour, wake_hour, status, version)
       VALUES ('broken', '{"accountId":"broken","status":"good"}', $1, NULL, 'good', 0)`,
      [H0],
    );
    await storeFacts(db.pool, [...minerHour('broken', H0 + 9), ...[9, 10, 11].flatMap((h) => minerHour('m2', H0 + h))]);
    await storeAccounts(db.pool, [trial('m2')]);
    await pass([clock(H0 + 14)]);
    expect(failed).toContain('broken');
    expect(await waiting('broken')).toBe(2);
    expect(await status('m2')).toBe('suspended');
  });
});
