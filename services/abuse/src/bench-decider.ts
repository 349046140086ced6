/**
 * Decider throughput on a private schema: ACCOUNTS accounts (one in ten a miner) x HOURS hours of usage and charges
 * stored as facts, then one decider pass. Prints one JSON line. Run: ./pnpm exec node services/abuse/src/bench-decider.ts
 */
import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase } from '@tally/db';
import { createLogger } from '@tally/log';
import { decidePass } from './adapters/decider.ts';
import { storeFacts, storeAccounts } from './adapters/fact-store.ts';
import { defaultPolicy } from './core/policy.ts';
import type { Fact } from './core/facts.ts';

const ACCOUNTS = Number(process.env.ACCOUNTS ?? 1000);
const HOURS = Number(process.env.HOURS ?? 24);
const db = await createTestDatabase(loadConfig(connectionEnv).DATABASE_URL);
const H0 = 495_000;
try {
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({
    accountId: `a-${i}`,
    name: 'x',
    email: `a${i}@example.com`,
    plan: i % 10 === 0 ? ('trial' as const) : ('paying' as const),
    freeCredit: '100',
    currency: 'USD',
    timeZone: 'UTC',
    createdAt: (H0 - 24) * 3_600_000,
    address: null,
    unsubscribed: false,
  }));
  await storeAccounts(db.pool, accounts);
  const facts: Fact[] = [];
  for (const a of accounts)
    for (let h = 0; h < HOURS; h++) {
      for (const inst of ['i1', 'i2'])
        facts.push({
          accountId: a.accountId,
          version: 1,
          event: {
            kind: 'usage',
            hour: H0 + h,
            instanceId: `${a.accountId}-${inst}`,
            instanceType: 's1.medium',
            runningSeconds: 3600,
            cpuSeconds: a.plan === 'trial' ? '7100' : '900',
          },
        });
      facts.push({ accountId: a.accountId, version: 1, event: { kind: 'charge', hour: H0 + h, hourTotal: '0.5' } });
    }
  let t = performance.now();
  for (let i = 0; i < facts.length; i += 5000) await storeFacts(db.pool, facts.slice(i, i + 5000));
  const storeMs = performance.now() - t;
  t = performance.now();
  const out = await decidePass({
    pool: db.pool,
    policy: defaultPolicy,
    outputs: { decisions: 'd', actions: 'a', notices: 'n' },
    streams: () => Promise.resolve([{ latestHour: H0 + HOURS + 2, caughtUp: true, clock: true }]),
    batchSize: 200,
    lockKey: 'bench',
    log: createLogger('bench', 'warn'),
  });
  const passMs = performance.now() - t;
  const outbox = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
  console.log(
    JSON.stringify({
      accounts: ACCOUNTS,
      hours: HOURS,
      facts: facts.length,
      storeMs: Math.round(storeMs),
      factsPerSecStored: Math.round((facts.length / storeMs) * 1000),
      passMs: Math.round(passMs),
      factsPerSecDecided: Math.round((facts.length / passMs) * 1000),
      effects: out.effects,
      outbox: outbox.rows[0]?.n,
    }),
  );
} finally {
  await db.drop();
}
process.exit(0);
