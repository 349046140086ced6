import { expect } from 'vitest';
import { amountText } from '../amount-text.ts';
import type { PdfInvoice } from '../invoice-input.ts';
import { lineDescription } from '../invoice-layout.ts';
import { pages } from './pdf-text.ts';

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Checks the text pdftotext read from an invoice PDF against the stored invoice: its number, every line's description
 * with its amount on the same row (amounts read back exactly: grouping removed, compared as the stored strings), and
 * the total. Returns the number of pages.
 */
export function expectInvoiceText(text: string, invoice: PdfInvoice): number {
  const { content } = invoice;
  expect(text).toContain(invoice.number);
  const rows = text.split('\n');
  let from = 0;
  for (const line of content.lines) {
    const description = lineDescription(line);
    const pattern = new RegExp(`^\\s*${escape(description)}\\s.*?\\s(-?[\\d,]+(?:\\.\\d+)?)\\s*$`);
    const at = rows.findIndex((row, i) => i >= from && pattern.test(row));
    expect(at, `a row "${description} ... ${line.roundedAmount}" after row ${from}`).toBeGreaterThanOrEqual(0);
    const shown = pattern.exec(rows[at]!)![1]!;
    expect(shown.replaceAll(',', '')).toBe(line.roundedAmount);
    expect(shown).toBe(amountText(line.roundedAmount, content.currency));
    from = at + 1; // in the invoice's order
  }
  const total = new RegExp(`Total due \\(${content.currency}\\)\\s+(-?[\\d,]+(?:\\.\\d+)?)\\s*$`, 'm').exec(text);
  expect(total?.[1]?.replaceAll(',', '')).toBe(content.total);
  return pages(text).length;
}
