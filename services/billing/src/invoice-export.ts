import type { FinalizedInvoice } from './invoice-table.ts';

const CSV_COLUMNS = [
  'invoice_number',
  'account_id',
  'month',
  'currency',
  'line',
  'kind',
  'sku',
  'adjusts_month',
  'quantity',
  'unit',
  'amount',
  'invoice_total',
] as const;

/**
 * One CSV cell. A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage return) as a
 * formula, and account ids and SKUs come from upstream systems: such a cell gets a leading `'` (OWASP's advice). A
 * plain decimal such as a credit's `-1.00` cannot be a formula and stays a number.
 *
 * @example
 * csvField('=HYPERLINK("http://x")'); // `"'=HYPERLINK(""http://x"")"`
 * csvField('-1.00'); // '-1.00'
 */
export function csvField(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const safe = /^[=+\-@\t\r]/.test(text) && !/^[-+]?\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * Finance's CSV: one row per invoice line (usage, adjustment, credit), amounts rounded to the minor unit as on the
 * invoice. The `amount`s of an invoice's rows add up to its `invoice_total`, repeated on each row for checking.
 *
 * @example
 * invoiceCsv(invoices); // 'invoice_number,account_id,...\nINV-2025-000001,acct-1,2025-03,USD,1,usage,compute.s1.small,,2.5,hour,0.03,4.57\n'
 */
export function invoiceCsv(invoices: readonly FinalizedInvoice[]): string {
  const rows: string[] = [CSV_COLUMNS.join(',')];
  for (const { number, content } of invoices) {
    content.lines.forEach((line, i) => {
      rows.push(
        [
          number,
          content.accountId,
          content.month,
          content.currency,
          i + 1,
          line.kind,
          line.sku,
          line.adjustsMonth,
          line.quantity,
          line.unit,
          line.roundedAmount,
          content.total,
        ]
          .map(csvField)
          .join(','),
      );
    });
  }
  return `${rows.join('\n')}\n`;
}

/** Finance's JSON: the invoice documents with their numbers and content hashes, by number. */
export function invoicesJson(invoices: readonly FinalizedInvoice[]): string {
  return `${JSON.stringify(
    invoices.map((i) => ({
      number: i.number,
      issuer: i.issuer,
      accountId: i.accountId,
      month: i.month,
      finalizedAt: i.finalizedAt.toISOString(),
      contentHash: i.contentHash,
      invoice: i.content,
    })),
    null,
    2,
  )}\n`;
}
