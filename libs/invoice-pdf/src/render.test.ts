import { describe, expect, it } from 'vitest';
import { renderInvoicePdf } from './render.ts';
import { sampleCustomer, sampleInvoice, sampleIssuer } from './testing/sample-invoice.ts';

describe('renderInvoicePdf', () => {
  it('gives the same bytes for the same invoice (dates and document id come from the finalization time)', async () => {
    const invoice = sampleInvoice('KWD', 40);
    const first = await renderInvoicePdf(invoice, sampleCustomer, sampleIssuer);
    // Another document in between: the fonts are shared between documents (fonts.ts), their subsets must not be.
    await renderInvoicePdf(sampleInvoice('USD', 7), { ...sampleCustomer, name: 'Ωmega Łódź' }, sampleIssuer);
    const second = await renderInvoicePdf(structuredClone(invoice), { ...sampleCustomer }, { ...sampleIssuer });
    expect(first.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(second.equals(first)).toBe(true);
    // What the invoice says changes the bytes: the check above is not comparing constants.
    const later = await renderInvoicePdf(
      { ...invoice, finalizedAt: new Date(invoice.finalizedAt.getTime() + 1000) },
      sampleCustomer,
      sampleIssuer,
    );
    expect(later.equals(first)).toBe(false);
  });

  it('refuses an invoice document that is not one (a bad jsonb row), naming the field', async () => {
    const invoice = sampleInvoice('USD');
    const broken = { ...invoice, content: { ...invoice.content, total: '12,00' } };
    await expect(renderInvoicePdf(broken, sampleCustomer, sampleIssuer)).rejects.toThrow(/total/);
  });
});
