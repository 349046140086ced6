import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, inTransaction, type PoolClient, type TestDatabase } from '@tally/db';
import { usageKey } from '@tally/records';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromUsageHourly, type InstanceHour } from './instance-hour.ts';
import { ConcurrentWriteError, loadStates, loadStatesByPrefix, upsertStates } from './usage-store.ts';

/** The store's concurrency contract, step by step on two real connections (no timing luck involved). */

const endpoints = loadConfig(connectionEnv);
const HOUR = Date.UTC(2025, 0, 1, 10);
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
});
afterAll(() => db.drop());

/** A state of `instanceId` with the given slots of eth0 counted, one byte each. */
function state(instanceId: string, slots: number[], version: number): InstanceHour {
  return fromUsageHourly({
    instanceId,
    accountId: 'acc',
    instanceType: 's1.small',
    hourStart: HOUR,
    runningSeconds: slots.length * 30,
    rxBytes: slots.length,
    txBytes: 0,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds: '0',
    counted: [{ interfaceId: 'eth0', slots }],
    version,
  });
}

/** An open transaction on its own connection, ended by `commit` or `rollback`. */
async function begin(): Promise<{ client: PoolClient; commit: () => Promise<void>; rollback: () => Promise<void> }> {
  const client = await db.pool.connect();
  await client.query('BEGIN');
  const end = async (sql: string) => {
    await client.query(sql);
    client.release();
  };
  return { client, commit: () => end('COMMIT'), rollback: () => end('ROLLBACK') };
}

describe('usage store under concurrency', () => {
  it('makes a second reader of a locked instance-hour wait, then read the first writer’s result', async () => {
    const id = 'lock-i';
    const key = usageKey(id, HOUR);
    await inTransaction(db.pool, (client) => upsertStates(client, [state(id, [0], 1)], new Map()));

    const first = await begin();
    const loaded = await loadStates(first.client, [key]);
    expect(loaded.get(key)?.version).toBe(1);
    let secondRead: Map<string, InstanceHour> | undefined;
    const second = inTransaction(db.pool, async (client) => {
      secondRead = await loadStates(client, [key]);
      const before = secondRead.get(key)!;
      return upsertStates(client, [state(id, [0, 1, 2], before.version + 1)], secondRead);
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(secondRead).toBeUndefined(); // still waiting for the row lock
    await upsertStates(first.client, [state(id, [0, 1], 2)], loaded);
    await first.commit();
    await second;
    expect(secondRead?.get(key)?.version).toBe(2);
    expect((await loadStatesByPrefix(db.pool, id)).map((s) => s.version)).toEqual([3]);
  });

  it('fails, writing nothing, when another transaction inserted the same new instance-hour first', async () => {
    const id = 'insert-i';
    const key = usageKey(id, HOUR);
    const other = usageKey('insert-j', HOUR);
    const first = await begin();
    const second = await begin();
    // Both see neither row: nothing to lock yet.
    const firstLoaded = await loadStates(first.client, [key]);
    const secondLoaded = await loadStates(second.client, [key, other]);
    expect(firstLoaded.size + secondLoaded.size).toBe(0);
    await upsertStates(first.client, [state(id, [0, 1], 2)], firstLoaded);
    // The second insert waits for the first transaction; once it commits, the row exists and is left alone.
    // Settled into a value at once: it may reject before first.commit() resolves, and an
    // unobserved rejection in that gap fails the whole run.
    const secondOutcome = upsertStates(
      second.client,
      [state('insert-j', [5], 1), state(id, [7], 1)],
      secondLoaded,
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    await first.commit();
    const secondError = await secondOutcome;
    expect(secondError).toBeInstanceOf(ConcurrentWriteError);
    expect(secondError).toMatchObject({ retryable: true });
    await second.rollback();
    const stored = await loadStatesByPrefix(db.pool, 'insert-');
    expect(stored.map((s) => [s.instanceId, s.version, s.rxBytes])).toEqual([[id, 2, 2]]);
  });

  it('fails when a loaded row changed version meanwhile (a writer that took no lock)', async () => {
    const id = 'cas-i';
    const key = usageKey(id, HOUR);
    await inTransaction(db.pool, (client) => upsertStates(client, [state(id, [0], 1)], new Map()));
    const loaded = await loadStates(db.pool, [key]); // outside a transaction: the lock ends at once
    await inTransaction(db.pool, (client) => upsertStates(client, [state(id, [0, 9], 2)], loaded));
    await expect(
      inTransaction(db.pool, (client) => upsertStates(client, [state(id, [0, 3], 2)], loaded)),
    ).rejects.toBeInstanceOf(ConcurrentWriteError);
    expect((await loadStatesByPrefix(db.pool, id)).map((s) => s.rxBytes)).toEqual([2]);
  });
});
