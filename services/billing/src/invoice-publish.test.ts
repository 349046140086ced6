import { invoice as invoiceSchema } from '@tally/records';
import { describe, expect, it } from 'vitest';
import { buildInvoice } from './build-invoice.ts';
import { invoiceHash } from './invoice-hash.ts';
import { invoiceRecord } from './invoice-publish.ts';
import { PriceBook } from './price-book.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';

describe('invoiceRecord', () => {
  it('carries the rounded lines, totals, hash, number and due date of the finalized invoice, and validates', () => {
    const draft = buildInvoice({
      account: account(),
      month: '2025-03',
      prices: PriceBook.from([entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('0.0104'))]),
      usage: [usage({ hourStart: at('2025-03-02T08:00:00Z'), runningSeconds: 1800 })],
      creditAvailable: '0',
    });
    const finalizedAt = at('2025-04-04T00:00:00Z');
    const record = invoiceRecord(draft, 'regular', 'tally', 'INV-2025-000001', finalizedAt, 14 * 86_400_000);
    expect(invoiceSchema.parse(record)).toEqual(record);
    expect(record.dueAt).toBe(at('2025-04-18T00:00:00Z'));
    expect(record.contentHash).toBe(invoiceHash(draft));
    expect(record.total).toBe(draft.total);
    expect(record.lines.map((l) => l.amount)).toEqual(draft.lines.map((l) => l.roundedAmount));
  });
});
