import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageBytes, sendBudget, splitBySize } from './message-size.ts';

describe('splitBySize', () => {
  it('keeps order, loses nothing, and keeps every chunk under the budget unless one item alone exceeds it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2_000 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 5_000 }),
        (sizes, budget) => {
          const items = sizes.map((size, index) => ({ size, index }));
          const chunks = splitBySize(items, (item) => item.size, budget);
          expect(chunks.flat()).toEqual(items);
          for (const chunk of chunks) {
            expect(chunk.length).toBeGreaterThan(0);
            const total = chunk.reduce((sum, item) => sum + item.size, 0);
            if (total > budget) {
              expect(chunk).toHaveLength(1);
              expect(chunk[0]!.size).toBeGreaterThan(budget);
            }
          }
          // Greedy: a chunk is closed only because the next item would not fit.
          for (let i = 0; i + 1 < chunks.length; i += 1) {
            const total = chunks[i]!.reduce((sum, item) => sum + item.size, 0);
            expect(total + chunks[i + 1]![0]!.size).toBeGreaterThan(budget);
          }
        },
      ),
    );
  });

  it('splits by bytes of real messages', () => {
    const message = { key: 'i-1', value: Buffer.alloc(100_000), headers: { 'tally.error.class': 'InvalidSample' } };
    const chunks = splitBySize(
      Array.from({ length: 30 }, () => message),
      messageBytes,
      sendBudget(1_048_588),
    );
    expect(chunks.map((chunk) => chunk.length)).toEqual([9, 9, 9, 3]);
  });
});

describe('messageBytes', () => {
  it('counts key, value and headers (strings in UTF-8, arrays of values) plus the record overhead', () => {
    expect(messageBytes({ key: null, value: null })).toBe(40);
    expect(messageBytes({ key: 'é', value: Buffer.alloc(10) })).toBe(40 + 2 + 10);
    expect(messageBytes({ key: null, value: null, headers: { ab: ['x', Buffer.alloc(3)] } })).toBe(
      40 + (10 + 2 + 1) + (10 + 2 + 3),
    );
  });

  it('leaves a margin under the limit', () => {
    expect(sendBudget(1_048_588)).toBe(943_668);
    expect(sendBudget(10)).toBe(0);
  });
});
