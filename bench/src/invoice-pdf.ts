/**
 * Invoice PDF rendering, in process (no database): milliseconds per PDF and its size for invoices of 3, 150 and
 * 1000 lines (BENCH_PDF_RUNS renders each, default 50). Rendering is CPU only, so this is what one API or CLI
 * process spends per PDF besides loading the invoice. The last line is a JSON object with the figures.
 */
import { renderInvoicePdf } from '@tally/invoice-pdf';
import { sampleCustomer, sampleInvoice, sampleIssuer } from '@tally/invoice-pdf/testing/sample';

const RUNS = Number(process.env['BENCH_PDF_RUNS'] ?? 50);

export async function run(): Promise<void> {
  const figures: Record<string, { msPerPdf: number; pdfsPerSecond: number; bytes: number; pages: number }> = {};
  for (const lines of [3, 150, 1000]) {
    const invoice = sampleInvoice('USD', lines);
    const first = await renderInvoicePdf(invoice, sampleCustomer, sampleIssuer); // warm-up
    const start = performance.now();
    for (let i = 0; i < RUNS; i++) await renderInvoicePdf(invoice, sampleCustomer, sampleIssuer);
    const ms = (performance.now() - start) / RUNS;
    const pages = (first.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;
    figures[`lines${lines}`] = {
      msPerPdf: +ms.toFixed(2),
      pdfsPerSecond: Math.round(1000 / ms),
      bytes: first.length,
      pages,
    };
    console.log(`${lines} lines: ${ms.toFixed(2)} ms per PDF, ${first.length} bytes, ${pages} pages`);
  }
  console.log(JSON.stringify({ bench: 'invoice-pdf', runs: RUNS, ...figures }));
}
