import { invoiceCsv, invoicesJson, type FinalizedInvoice } from '@tally/billing/runtime';

/**
 * The CLI's export (`invoiceCsv` / `invoicesJson` of the whole month) as chunks, byte for byte, from pages of
 * invoices: the same functions render each invoice, and only the joins are done here.
 *
 * @example
 * (await Array.fromAsync(exportChunks(pages, 'csv'))).join('') === invoiceCsv(allInvoices); // true
 */
export async function* exportChunks(
  pages: AsyncIterable<readonly FinalizedInvoice[]>,
  format: 'json' | 'csv',
): AsyncGenerator<string> {
  if (format === 'csv') {
    // invoiceCsv([x]) is the header line and x's rows: keep the header once.
    yield invoiceCsv([]);
    for await (const page of pages) {
      const text = invoiceCsv(page);
      yield text.slice(text.indexOf('\n') + 1);
    }
    return;
  }
  // invoicesJson is JSON.stringify(array, null, 2) + '\n': each element indented by one level, joined by ",\n".
  let first = true;
  for await (const page of pages) {
    for (const invoice of page) {
      const element = invoicesJson([invoice]).slice(2, -3); // drop "[\n" and "\n]\n"
      yield first ? `[\n${element}` : `,\n${element}`;
      first = false;
    }
  }
  yield first ? invoicesJson([]) : '\n]\n';
}
