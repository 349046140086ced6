import type { InvoiceDraft, InvoiceLine } from '@tally/billing';

/** One way a stored invoice differs from its rebuild: which field or line, and both values. */
export interface InvoiceDifference {
  readonly what: string;
  readonly stored: string;
  readonly rebuilt: string;
}

const FIELDS = [
  'format',
  'accountId',
  'month',
  'timeZone',
  'currency',
  'periodStart',
  'periodEnd',
  'subtotal',
  'creditApplied',
  'total',
  'creditRemaining',
] as const;

const LINE_VALUES = ['unit', 'quantity', 'amount', 'roundedAmount'] as const;

function lineId(line: InvoiceLine): string {
  return [line.kind, line.sku ?? '-', line.priceEntryKey ?? '-', line.adjustsMonth ?? '-'].join(' ');
}

const text = (value: string | number | null | undefined): string =>
  value === undefined ? '(absent)' : value === null ? 'null' : String(value);

/**
 * Field by field and line by line (lines matched by kind, SKU, price entry and adjusted month): what differs between
 * a stored invoice and its rebuild. Empty when they are equal in every field this compares.
 *
 * @example
 * invoiceDifferences(stored, { ...stored, total: '10.00' }); // [{ what: 'total', stored: '9.00', rebuilt: '10.00' }]
 */
export function invoiceDifferences(stored: InvoiceDraft, rebuilt: InvoiceDraft): InvoiceDifference[] {
  const out: InvoiceDifference[] = [];
  for (const field of FIELDS) {
    if (text(stored[field]) !== text(rebuilt[field])) {
      out.push({ what: field, stored: text(stored[field]), rebuilt: text(rebuilt[field]) });
    }
  }
  const storedLines = new Map(stored.lines.map((line) => [lineId(line), line]));
  const rebuiltLines = new Map(rebuilt.lines.map((line) => [lineId(line), line]));
  for (const [id, line] of storedLines) {
    const other = rebuiltLines.get(id);
    if (other === undefined) {
      out.push({
        what: `line ${id}`,
        stored: `${text(line.quantity)} → ${line.roundedAmount}`,
        rebuilt: '(no such line)',
      });
      continue;
    }
    for (const value of LINE_VALUES) {
      if (text(line[value]) !== text(other[value])) {
        out.push({ what: `line ${id} ${value}`, stored: text(line[value]), rebuilt: text(other[value]) });
      }
    }
  }
  for (const [id, line] of rebuiltLines) {
    if (!storedLines.has(id)) {
      out.push({
        what: `line ${id}`,
        stored: '(no such line)',
        rebuilt: `${text(line.quantity)} → ${line.roundedAmount}`,
      });
    }
  }
  const order = (lines: readonly InvoiceLine[]) => lines.map(lineId).join('\n');
  if (out.length === 0 && order(stored.lines) !== order(rebuilt.lines)) {
    out.push({ what: 'line order', stored: order(stored.lines), rebuilt: order(rebuilt.lines) });
  }
  return out;
}
