import { connectionEnv, loadConfig } from '@tally/config';
import { createTestDatabase, OffsetConflictError, type TestDatabase } from '@tally/db';
import { map, sideOutput, stepper, toArray } from '@tally/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValueCodec } from './codec.ts';
import type { ConsumedRecord } from './consumed-record.ts';
import type { DeadLetter } from './dead-letter.ts';
import { transactionalConsumerSpec } from './transactional-consumer.ts';

const endpoints = loadConfig(connectionEnv);
/** Never called: these tests hand decoded records to the spec directly. */
const codec = {
  encode: () => Promise.reject(new Error('not used')),
  decode: () => Promise.reject(new Error('not used')),
} as unknown as ValueCodec<number>;

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(endpoints.DATABASE_URL);
  await db.pool.query('CREATE TABLE items (value integer NOT NULL)');
});
afterAll(() => db.drop());

const base = { service: 'test', topic: 'numbers', codec, sessionTimeoutMs: 7_000 } as const;

function record(value: number, offset: number): ConsumedRecord<number> {
  const raw = { topic: 'numbers', partition: 0, offset: String(offset), key: null, value: null };
  return { topic: 'numbers', partition: 0, offset: String(offset), key: null, timestamp: '0', value, raw };
}

async function items(): Promise<number[]> {
  const result = await db.pool.query<{ value: number }>('SELECT value FROM items ORDER BY value');
  return result.rows.map((row) => row.value);
}

describe('transactionalConsumerSpec', () => {
  it('commits the results and the next offset together, fenced on the offset the batch started from', async () => {
    const groupId = 'g-commit';
    const seen: string[] = [];
    const spec = transactionalConsumerSpec({
      ...base,
      groupId,
      pool: db.pool,
      apply: async (client, values: number[]) => {
        await client.query('INSERT INTO items (value) SELECT unnest($1::int[])', [values]);
        return values.length;
      },
      committed: (count, offsets) => seen.push(`${count}@${offsets.to}`),
    });
    expect(spec.sessionTimeoutMs).toBe(7_000);
    expect(spec.groupId).toBe(groupId);

    // The default pipeline passes the decoded values on.
    const run = stepper(spec.pipeline({ deadLetters: sideOutput<DeadLetter>() }), toArray<number>());
    run.step([record(1, 0), record(2, 1)]);
    const values = run.complete();
    expect(values).toEqual([1, 2]);

    await spec.commit(values, { topic: 'numbers', partition: 0, from: undefined, to: '2' });
    expect(await spec.loadOffsets('numbers')).toEqual(new Map([[0, '2']]));
    expect(await items()).toEqual([1, 2]);
    expect(seen).toEqual(['2@2']);

    // A batch that starts from an offset no longer stored (another member moved on) writes nothing.
    await expect(spec.commit([3], { topic: 'numbers', partition: 0, from: '0', to: '3' })).rejects.toBeInstanceOf(
      OffsetConflictError,
    );
    expect(await items()).toEqual([1, 2]);
    expect(await spec.loadOffsets('numbers')).toEqual(new Map([[0, '2']]));
    expect(seen).toEqual(['2@2']);
  });

  it('rolls back results and offset when apply fails, and keeps the given pipeline', async () => {
    await db.pool.query('TRUNCATE items');
    const groupId = 'g-fail';
    let fail = true;
    const spec = transactionalConsumerSpec({
      ...base,
      groupId,
      pool: db.pool,
      pipeline: () => map((input: ConsumedRecord<number>) => input),
      apply: async (client, values: ConsumedRecord<number>[]) => {
        await client.query('INSERT INTO items (value) SELECT unnest($1::int[])', [values.map((r) => r.value)]);
        if (fail) throw new Error('database said no');
      },
    });
    const batch = [record(5, 0)];
    await expect(spec.commit(batch, { topic: 'numbers', partition: 1, from: undefined, to: '1' })).rejects.toThrow(
      'database said no',
    );
    expect(await items()).toEqual([]);
    expect(await spec.loadOffsets('numbers')).toEqual(new Map());

    fail = false;
    await spec.commit(batch, { topic: 'numbers', partition: 1, from: undefined, to: '1' });
    expect(await items()).toEqual([5]);
    expect(await spec.loadOffsets('numbers')).toEqual(new Map([[1, '1']]));
  });
});
