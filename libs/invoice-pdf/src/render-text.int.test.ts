/**
 * The rendered PDFs read back with poppler's pdftotext (a real PDF reader, not our own writer): number, every line's
 * description and amount, and the total, in currencies with 0, 2 and 3 decimals, and over several pages.
 * Integration project because it runs a system program (.ci/system-tools installs it); without it, it fails.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderInvoicePdf } from './render.ts';
import { expectInvoiceText } from './testing/invoice-text-check.ts';
import { pages, pdfText } from './testing/pdf-text.ts';
import { sampleCustomer, sampleInvoice, sampleIssuer } from './testing/sample-invoice.ts';

describe('invoice PDF text', () => {
  it.each(['JPY', 'USD', 'KWD'] as const)(
    '%s: number, lines, amounts in the minor unit and total',
    async (currency) => {
      const invoice = sampleInvoice(currency);
      const text = await pdfText(await renderInvoicePdf(invoice, sampleCustomer, sampleIssuer));
      expect(expectInvoiceText(text, invoice)).toBe(1);
      // 1234567 minor units, in each currency's own digits.
      const first = { JPY: '1,234,567', USD: '12,345.67', KWD: '1,234.567' }[currency];
      expect(text).toMatch(new RegExp(`compute\\.t0\\.large\\s+700\\.5 h\\s+${first.replace('.', '\\.')}\\n`));
      for (const expected of [
        'Acme Logistics GmbH',
        '8001 Zurich',
        'Tax ID: CHE-123.456.789 MWST',
        'Issue date',
        '2026-11-04',
        '2026-12-04',
        '2026-10-01 to 2026-10-31 (Europe/Zurich)',
      ]) {
        expect(text).toContain(expected);
      }
    },
  );

  it('prints names and addresses in Latin Extended, Greek and Cyrillic as written (embedded DejaVu Sans)', async () => {
    const customer = {
      ...sampleCustomer,
      name: 'Przedsiębiorstwo Łódź / ООО Москва / Ελλάδα',
      address: { ...sampleCustomer.address!, city: 'Kraków', country: 'PL' },
    };
    const text = await pdfText(await renderInvoicePdf(sampleInvoice('USD'), customer, sampleIssuer));
    expect(text).toContain('Przedsiębiorstwo Łódź / ООО Москва / Ελλάδα');
    expect(text).toContain('8001 Kraków');
  });

  it('a long invoice spans pages, repeats the table header, and numbers its pages', async () => {
    const invoice = sampleInvoice('USD', 150);
    const text = await pdfText(await renderInvoicePdf(invoice, sampleCustomer, sampleIssuer));
    const count = expectInvoiceText(text, invoice);
    expect(count).toBeGreaterThanOrEqual(3);
    const split = pages(text);
    split.forEach((page, i) => {
      expect(page).toMatch(/Description\s+Quantity\s+Amount \(USD\)/);
      expect(page).toContain(`page ${i + 1} of ${count}`);
    });
    // The total sits on the last page only.
    expect(split.filter((page) => page.includes('Total due (USD)'))).toHaveLength(1);
    expect(split.at(-1)).toContain('Total due (USD)');
  });
});

describe('invoice PDF text, amounts wider than their column', () => {
  it('an amount set smaller stays on its row, beside its description (fast-check found one read as a row of its own)', async () => {
    const wide = `1${'0'.repeat(32)}`;
    const base = sampleInvoice('JPY');
    const line = { kind: 'usage' as const, sku: 'a', unit: 'hour' as const, adjustsMonth: null, quantity: '0' };
    const invoice = {
      ...base,
      content: {
        ...base.content,
        lines: [
          { ...line, roundedAmount: wide },
          { ...line, roundedAmount: '0' },
        ],
        subtotal: wide,
        total: wide,
      },
    };
    const text = await pdfText(await renderInvoicePdf(invoice, sampleCustomer, sampleIssuer));
    expectInvoiceText(text, invoice);
    expect(text).toMatch(/Subtotal\s+100,000(,000){9}\n/);
  });
});

describe('invoice PDF text, any invoice', () => {
  it('reads back every line and the total exactly, whatever the currency, amounts, SKUs and length', async () => {
    const digitsOf = { JPY: 0, USD: 2, KWD: 3 } as const;
    const decimal = (minor: bigint, digits: number): string => {
      const text = (minor < 0n ? -minor : minor).toString().padStart(digits + 1, '0');
      const shown = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
      return minor < 0n ? `-${shown}` : shown;
    };
    const line = fc.record({
      kind: fc.constantFrom('usage' as const, 'adjustment' as const),
      sku: fc.stringMatching(/^[a-z][a-z0-9.]{0,24}$/),
      // Up to 33 integer digits (past the 30 of a decimal on the wire): wider than the column, set smaller.
      minor: fc.oneof(
        fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }),
        fc.bigInt({ min: -(10n ** 32n), max: 10n ** 32n }),
      ),
      quantity: fc.stringMatching(/^\d{1,6}(\.\d{1,30})?$/),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('JPY' as const, 'USD' as const, 'KWD' as const),
        fc.array(line, { minLength: 1, maxLength: 90 }),
        async (currency, drawn) => {
          const digits = digitsOf[currency];
          const lines = drawn.map((l) => ({
            kind: l.kind,
            sku: l.sku,
            unit: 'hour' as const,
            adjustsMonth: l.kind === 'adjustment' ? '2026-08' : null,
            quantity: l.quantity,
            roundedAmount: decimal(l.minor, digits),
          }));
          const sum = drawn.reduce((acc, l) => acc + l.minor, 0n);
          const base = sampleInvoice(currency);
          const invoice = {
            ...base,
            content: { ...base.content, lines, subtotal: decimal(sum, digits), total: decimal(sum, digits) },
          };
          const text = await pdfText(await renderInvoicePdf(invoice, sampleCustomer, sampleIssuer));
          expectInvoiceText(text, invoice);
        },
      ),
      { numRuns: 12 },
    );
  });
});
