import { describe, expect, it } from 'vitest';
import { pdfCustomer, pdfInvoice } from './invoice-input.ts';
import { invoiceLayout, lineDescription, quantityText } from './invoice-layout.ts';
import { addDays, localDate } from './local-date.ts';
import { sampleCustomer, sampleInvoice, sampleIssuer } from './testing/sample-invoice.ts';

const layoutOf = (invoice = sampleInvoice('USD'), customer = sampleCustomer) =>
  invoiceLayout(pdfInvoice.parse(invoice), pdfCustomer.parse(customer), sampleIssuer);

describe('invoiceLayout', () => {
  it("dates the invoice in the account's time zone: issued the local day of finalization, due after the terms", () => {
    const facts = new Map(layoutOf().facts);
    // Finalized 2026-11-03T23:30Z, which is already the 4th in Zurich.
    expect(facts.get('Issue date')).toBe('2026-11-04');
    expect(facts.get('Due date')).toBe('2026-12-04');
    expect(facts.get('Period')).toBe('2026-10-01 to 2026-10-31 (Europe/Zurich)');
    expect(facts.get('Invoice number')).toBe('INV-2026-000003');
  });

  it('puts usage and adjustments in the table, credit between subtotal and total', () => {
    const layout = layoutOf();
    expect(layout.rows.map((r) => r.description)).toEqual([
      'compute.t0.large',
      'compute.t1.large',
      'compute.t2.large',
      'Adjustment 2026-09: egress.gb',
    ]);
    expect(layout.rows.map((r) => r.amount)).toEqual(['12,345.67', '12,355.68', '12,365.69', '-5.05']);
    expect(layout.totals).toEqual([
      ['Subtotal', '37,061.99'],
      ['Credit applied', '-10.00'],
      ['Total due (USD)', '37,051.99'],
    ]);
  });

  it('prints the customer address, and none for an account without one (a record from before addresses)', () => {
    expect(layoutOf().customer).toEqual([
      'Acme Logistics GmbH',
      'Bahnhofstrasse 1',
      'Floor 4',
      '8001 Zurich',
      'ZH, CH',
      'billing@acme.example',
    ]);
    const { address: _, ...old } = sampleCustomer;
    expect(layoutOf(sampleInvoice('USD'), old).customer).toEqual(['Acme Logistics GmbH', 'billing@acme.example']);
  });
});

describe('lineDescription', () => {
  const line = { sku: null, unit: null, adjustsMonth: null, quantity: null, roundedAmount: '0' } as const;
  it('names each kind of line', () => {
    expect(lineDescription({ ...line, kind: 'usage', sku: 'compute.s1.small' })).toBe('compute.s1.small');
    expect(lineDescription({ ...line, kind: 'adjustment', sku: 'egress.gb', adjustsMonth: '2026-08' })).toBe(
      'Adjustment 2026-08: egress.gb',
    );
    expect(lineDescription({ ...line, kind: 'credit' })).toBe('Credit applied');
    expect(lineDescription({ ...line, kind: 'carried_forward' })).toBe('Negative balance carried to credit');
  });
});

describe('quantityText', () => {
  it('shows short quantities exactly and long ones rounded to 6 decimals, marked', () => {
    expect(quantityText('2.5', 'hour')).toBe('2.5 h');
    expect(quantityText('12', 'gb')).toBe('12 GB');
    expect(quantityText('1.8333333333333333333333', 'hour')).toBe('~1.833333 h');
    expect(quantityText('0.0000005', 'gb')).toBe('~0.000001 GB');
    expect(quantityText('-2.9999999', 'hour')).toBe('~-3 h');
    expect(quantityText(null, null)).toBe('');
  });
});

describe('localDate / addDays', () => {
  it('takes the calendar day of the zone, across DST and month ends', () => {
    expect(localDate(Date.UTC(2026, 9, 31, 23, 30), 'Europe/Zurich')).toBe('2026-11-01');
    expect(localDate(Date.UTC(2026, 2, 1, 4), 'America/New_York')).toBe('2026-02-28');
    expect(addDays('2026-12-20', 30)).toBe('2027-01-19');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });
});
