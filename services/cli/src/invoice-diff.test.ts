import type { InvoiceDraft } from '@tally/billing';
import { describe, expect, it } from 'vitest';
import { invoiceDifferences } from './invoice-diff.ts';

const invoice: InvoiceDraft = {
  format: 'tally.invoice.v1',
  accountId: 'a',
  month: '2025-03',
  timeZone: 'UTC',
  currency: 'USD',
  periodStart: Date.UTC(2025, 2, 1),
  periodEnd: Date.UTC(2025, 3, 1),
  lines: [
    {
      kind: 'usage',
      sku: 'compute.g1.large',
      priceEntryKey: 'compute.g1.large|USD|2025-01-01T00:00:00.000Z',
      unit: 'hour',
      adjustsMonth: null,
      quantity: '10',
      amount: '12.5',
      roundedAmount: '12.50',
    },
  ],
  subtotal: '12.50',
  creditApplied: '0.00',
  total: '12.50',
  creditRemaining: '0',
};

describe('invoiceDifferences', () => {
  it('is empty for equal invoices', () => {
    expect(invoiceDifferences(invoice, structuredClone(invoice))).toEqual([]);
  });

  it('names each differing field and line value, and lines on one side only', () => {
    const line = invoice.lines[0]!;
    const rebuilt: InvoiceDraft = {
      ...invoice,
      total: '13.50',
      lines: [
        { ...line, quantity: '11', roundedAmount: '13.75' },
        { ...line, kind: 'adjustment', adjustsMonth: '2025-02', quantity: '1', roundedAmount: '1.25' },
      ],
    };
    const id = 'compute.g1.large compute.g1.large|USD|2025-01-01T00:00:00.000Z';
    expect(invoiceDifferences(invoice, rebuilt)).toEqual([
      { what: 'total', stored: '12.50', rebuilt: '13.50' },
      { what: `line usage ${id} - quantity`, stored: '10', rebuilt: '11' },
      { what: `line usage ${id} - roundedAmount`, stored: '12.50', rebuilt: '13.75' },
      { what: `line adjustment ${id} 2025-02`, stored: '(no such line)', rebuilt: '1 → 1.25' },
    ]);
  });
});
