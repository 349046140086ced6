import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planOutboxBatch, type OutboxRow } from './outbox-plan.ts';

const row = (id: number, key: string, size: number | 'invalid'): OutboxRow => ({
  id: String(id),
  topic: 'usage.hourly.v1',
  key,
  message: size === 'invalid' ? { error: 'ValidationFailed: hourStart' } : { key, value: Buffer.alloc(size) },
});
const sizeOf = (_topic: string, message: { value: Buffer | string | null }) => ({
  bytes: (message.value as Buffer).length,
  budget: 100,
});

describe('planOutboxBatch', () => {
  it('parks what is too large or invalid and sends the rest, including later rows of the same key', () => {
    const plan = planOutboxBatch(
      [row(1, 'a', 10), row(2, 'b', 500), row(3, 'b', 20), row(4, 'c', 'invalid'), row(5, 'd', 100)],
      sizeOf,
    );
    expect(plan.send.map((r) => r.id)).toEqual(['1', '3', '5']);
    expect(plan.park).toEqual([
      {
        id: '2',
        topic: 'usage.hourly.v1',
        key: 'b',
        sizeBytes: 500,
        error: 'MessageTooLarge: 500 bytes, more than the 100 a send to usage.hourly.v1 may carry',
      },
      { id: '4', topic: 'usage.hourly.v1', key: 'c', sizeBytes: null, error: 'ValidationFailed: hourStart' },
    ]);
  });

  it('accounts for every row exactly once and keeps the order of what it sends', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom('a', 'b', 'c'),
            fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constant('invalid' as const)),
          ),
        ),
        (specs) => {
          const rows = specs.map(([key, size], i) => row(i, key, size));
          const plan = planOutboxBatch(rows, sizeOf);
          const ids = [...plan.send.map((r) => r.id), ...plan.park.map((r) => r.id)].map(Number).sort((x, y) => x - y);
          expect(ids).toEqual(rows.map((_, i) => i));
          expect(plan.send.map((r) => Number(r.id))).toEqual(
            [...plan.send.map((r) => Number(r.id))].sort((x, y) => x - y),
          );
          for (const sent of plan.send) expect((sent.message.value as Buffer).length).toBeLessThanOrEqual(100);
        },
      ),
    );
  });
});
