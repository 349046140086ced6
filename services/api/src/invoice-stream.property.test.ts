import { invoiceCsv, invoicesJson, type FinalizedInvoice } from '@tally/billing/runtime';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { testInvoice } from './test-seed.ts';
import { exportChunks } from './invoice-stream.ts';

const cell = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('=1+1', '-1.00', 'a,"b"', '\n', '@x'));
const invoice = fc
  .record({
    n: fc.integer({ min: 1, max: 999_999 }),
    account: cell,
    amounts: fc.array(
      fc.integer({ min: -10_000, max: 10_000 }).map((c) => (c / 100).toFixed(2)),
      { maxLength: 3 },
    ),
  })
  .map(({ n, account, amounts }): FinalizedInvoice => ({
    accountId: account,
    month: '2026-10',
    issuer: 'tally',
    number: `INV-2026-${String(n).padStart(6, '0')}`,
    contentHash: 'h',
    finalizedAt: new Date('2026-11-04T00:00:00Z'),
    content: testInvoice(account, '2026-10', 'CHF', amounts),
  }));

async function* pages<T>(items: readonly T[], sizes: readonly number[]): AsyncGenerator<T[]> {
  let at = 0;
  for (let i = 0; at < items.length; i += 1) {
    const size = sizes.length === 0 ? 1 : sizes[i % sizes.length]!;
    await Promise.resolve(); // a page arrives later, as from the database
    yield items.slice(at, at + size);
    at += size;
  }
}

async function text(chunks: AsyncIterable<string>): Promise<string> {
  let out = '';
  for await (const chunk of chunks) out += chunk;
  return out;
}

describe('exportChunks', () => {
  it('joins to exactly the CLI export, however the invoices are paged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(invoice, { maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }),
        async (invoices, sizes) => {
          const csv = await text(exportChunks(pages(invoices, sizes), 'csv'));
          const json = await text(exportChunks(pages(invoices, sizes), 'json'));
          expect(csv).toBe(invoiceCsv(invoices));
          expect(json).toBe(invoicesJson(invoices));
        },
      ),
    );
  });
});
