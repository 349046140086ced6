import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from './pool.ts';
import { advanceOffset, loadOffsets, OffsetConflictError, storeOffsets } from './offset-store.ts';
import { createTestDatabase, type TestDatabase } from './test-database.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase(process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test');
});
afterAll(() => db.drop());

describe('offset store', () => {
  it('stores and overwrites next offsets per group, topic and partition', async () => {
    await storeOffsets(db.pool, 'g', 't', [
      { partition: 0, nextOffset: '5' },
      { partition: 1, nextOffset: '9007199254740993' },
    ]);
    await storeOffsets(db.pool, 'g', 't', [{ partition: 0, nextOffset: '7' }]);
    await storeOffsets(db.pool, 'other', 't', [{ partition: 0, nextOffset: '1' }]);
    expect(await loadOffsets(db.pool, 'g', 't')).toEqual(
      new Map([
        [0, '7'],
        [1, '9007199254740993'],
      ]),
    );
  });

  it('keeps nothing of a rolled-back transaction', async () => {
    await expect(
      inTransaction(db.pool, async (client) => {
        await storeOffsets(client, 'rollback', 't', [{ partition: 0, nextOffset: '42' }]);
        throw new Error('results failed to write');
      }),
    ).rejects.toThrow('results failed to write');
    expect(await loadOffsets(db.pool, 'rollback', 't')).toEqual(new Map());
  });
});

describe('advanceOffset', () => {
  it('advances from the expected offset and refuses a stale one', async () => {
    await advanceOffset(db.pool, 'fence', 't', 0, undefined, '10');
    await expect(advanceOffset(db.pool, 'fence', 't', 0, undefined, '12')).rejects.toThrow(OffsetConflictError);
    await advanceOffset(db.pool, 'fence', 't', 0, '10', '20');
    await expect(advanceOffset(db.pool, 'fence', 't', 0, '10', '25')).rejects.toThrow(OffsetConflictError);
    expect(await loadOffsets(db.pool, 'fence', 't')).toEqual(new Map([[0, '20']]));
  });
});
