import { describe, expect, it } from 'vitest';
import type { Payment } from '@tally/records';
import { invoiceStatus, type InvoiceForStatus } from './invoice-status.ts';

const DAY = 86_400_000;
const finalizedAt = Date.parse('2025-04-03T00:00:00Z');
const invoice: InvoiceForStatus = { accountId: 'acct-1', number: 'TLY-2025-000042', finalizedAt, total: '12.30' };
const due = 14 * DAY;

function paid(amount: string | null, at: number, overrides: Partial<Payment> = {}): Payment {
  return {
    paymentId: `p-${at}`,
    accountId: 'acct-1',
    kind: 'invoice_paid',
    invoiceNumber: invoice.number,
    amount,
    at,
    ...overrides,
  };
}

describe('invoiceStatus', () => {
  it('is a draft until finalized', () => {
    expect(invoiceStatus({ ...invoice, number: null, finalizedAt: null }, [], finalizedAt, due)).toBe('draft');
    expect(invoiceStatus(invoice, [], finalizedAt - 1, due)).toBe('draft');
  });

  it('is finalized until due, then overdue', () => {
    expect(invoiceStatus(invoice, [], finalizedAt, due)).toBe('finalized');
    expect(invoiceStatus(invoice, [], finalizedAt + due - 1, due)).toBe('finalized');
    expect(invoiceStatus(invoice, [], finalizedAt + due, due)).toBe('overdue');
  });

  it('is paid once payments for its number cover the total', () => {
    const payments = [paid('10', finalizedAt + DAY), paid('2.30', finalizedAt + 20 * DAY)];
    expect(invoiceStatus(invoice, payments, finalizedAt + 2 * DAY, due)).toBe('finalized');
    expect(invoiceStatus(invoice, payments, finalizedAt + 15 * DAY, due)).toBe('overdue');
    expect(invoiceStatus(invoice, payments, finalizedAt + 20 * DAY, due)).toBe('paid');
    expect(invoiceStatus(invoice, [paid(null, finalizedAt)], finalizedAt, due)).toBe('paid');
  });

  it('ignores failed payments and payments for other invoices or accounts', () => {
    const payments = [
      paid('12.30', finalizedAt, { kind: 'payment_failed' }),
      paid('12.30', finalizedAt, { invoiceNumber: 'TLY-2025-000041' }),
      paid('12.30', finalizedAt, { accountId: 'acct-2' }),
    ];
    expect(invoiceStatus(invoice, payments, finalizedAt + due, due)).toBe('overdue');
  });

  it('treats a zero total as paid on finalization', () => {
    expect(invoiceStatus({ ...invoice, total: '0.00' }, [], finalizedAt + due, due)).toBe('paid');
  });
});
