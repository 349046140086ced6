import PDFDocument from 'pdfkit';
import { invoiceFonts } from './fonts.ts';
import { pdfCustomer, pdfInvoice, type PdfCustomer, type PdfInvoice } from './invoice-input.ts';
import { invoiceLayout, type InvoiceLayout } from './invoice-layout.ts';
import { issuerSchema, type Issuer } from './issuer.ts';

const MARGIN = 50;
const FONT = 'Body';
const BOLD = 'Body-Bold';
const SIZE = 9;
/** Columns of the lines table: description, quantity, amount (x and width, in points). */
const COLUMNS = { description: [MARGIN, 290], quantity: [345, 95], amount: [445, 100] } as const;
const FOOTER_SPACE = 30;

/**
 * Renders a finalized invoice as a PDF. Pure: no database, no clock, no file but the packaged font (fonts.ts); the same
 * invoice, account and issuer give the same bytes (the document's dates and id come from the invoice's finalization
 * time, the glyphs from the pinned font).
 *
 * @example
 * const pdf = await renderInvoicePdf(stored, account, issuerFromEnv());
 * await writeFile('INV-2026-000001.pdf', pdf);
 */
export async function renderInvoicePdf(invoice: PdfInvoice, account: PdfCustomer, issuer: Issuer): Promise<Buffer> {
  const checked = pdfInvoice.parse(invoice);
  const layout = invoiceLayout(checked, pdfCustomer.parse(account), issuerSchema.parse(issuer));
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    info: {
      Title: `Invoice ${checked.number}`,
      Author: issuer.name,
      Subject: `${checked.content.accountId} ${checked.content.month}`,
      Producer: 'Tally',
      Creator: 'Tally',
      CreationDate: checked.finalizedAt,
      ModDate: checked.finalizedAt,
    },
  });
  const fonts = invoiceFonts();
  // pdfkit takes a parsed fontkit font as well (it checks for `layout`); its types list only files and buffers.
  doc.registerFont(FONT, fonts.regular as unknown as PDFKit.Mixins.PDFFontSource);
  doc.registerFont(BOLD, fonts.bold as unknown as PDFKit.Mixins.PDFFontSource);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  draw(doc, layout);
  doc.end();
  return done;
}

function draw(doc: PDFKit.PDFDocument, layout: InvoiceLayout): void {
  const width = doc.page.width - 2 * MARGIN;
  doc.font(BOLD).fontSize(20).text(layout.title, MARGIN, MARGIN);
  const top = doc.y + 10;
  doc.font(FONT).fontSize(SIZE);
  doc.text(layout.issuer.join('\n'), MARGIN, top, { width: width / 2 - 10 });
  const afterIssuer = doc.y;
  doc.font(BOLD).text('Bill to', MARGIN + width / 2, top, { width: width / 2 });
  doc.font(FONT).text(layout.customer.join('\n'), { width: width / 2 });
  let y = Math.max(afterIssuer, doc.y) + 18;
  for (const [label, value] of layout.facts) {
    doc.font(BOLD).text(label, MARGIN, y, { width: 110 });
    doc.font(FONT).text(value, MARGIN + 115, y, { width: width - 115 });
    y = doc.y + 2;
  }
  y = tableHeader(doc, y + 14, layout.currency);
  const bottom = () => doc.page.height - MARGIN - FOOTER_SPACE;
  for (const row of layout.rows) {
    doc.font(FONT).fontSize(SIZE);
    const height = doc.heightOfString(row.description, { width: COLUMNS.description[1] });
    if (y + height > bottom()) {
      doc.addPage();
      y = tableHeader(doc, MARGIN, layout.currency);
      doc.font(FONT).fontSize(SIZE);
    }
    doc.text(row.description, COLUMNS.description[0], y, { width: COLUMNS.description[1] });
    oneLine(doc, FONT, row.quantity, COLUMNS.quantity, y, SIZE);
    oneLine(doc, FONT, row.amount, COLUMNS.amount, y, SIZE);
    y += height + 4;
  }
  if (y + 20 * layout.totals.length > bottom()) {
    doc.addPage();
    y = MARGIN;
  }
  doc
    .moveTo(COLUMNS.quantity[0], y)
    .lineTo(MARGIN + width, y)
    .stroke();
  y += 6;
  layout.totals.forEach(([label, amount], i) => {
    const last = i === layout.totals.length - 1;
    const size = last ? SIZE + 1.5 : SIZE;
    const face = last ? BOLD : FONT;
    oneLine(doc, face, label, [MARGIN, COLUMNS.amount[0] - MARGIN - 10], y, size);
    oneLine(doc, face, amount, COLUMNS.amount, y, size);
    y += doc.currentLineHeight(true) + 4;
  });
  footers(doc, layout.footer);
}

/**
 * Right-aligned text that never wraps: an amount split over two lines would read as two numbers. Text wider than its
 * column (a 30-digit amount) is set smaller until it fits, on the row's baseline: pdfkit places text by its top, so a
 * smaller size set at the row's top sat higher, and a PDF reader took it for a row of its own, apart from its
 * description.
 */
function oneLine(
  doc: PDFKit.PDFDocument,
  face: typeof FONT | typeof BOLD,
  text: string,
  [x, width]: readonly [number, number],
  y: number,
  size: number,
): void {
  doc.font(face).fontSize(size);
  const natural = doc.widthOfString(text);
  if (natural > width) doc.fontSize((size * width) / natural);
  const font = face === BOLD ? invoiceFonts().bold : invoiceFonts().regular;
  const baseline = y + (font.ascent / font.unitsPerEm) * size;
  doc.text(text, x, baseline, { width, align: 'right', lineBreak: false, baseline: 'alphabetic' });
  doc.fontSize(size);
}

function tableHeader(doc: PDFKit.PDFDocument, y: number, currency: string): number {
  doc.font(BOLD).fontSize(SIZE);
  doc.text('Description', COLUMNS.description[0], y, { width: COLUMNS.description[1] });
  doc.text('Quantity', COLUMNS.quantity[0], y, { width: COLUMNS.quantity[1], align: 'right' });
  doc.text(`Amount (${currency})`, COLUMNS.amount[0], y, { width: COLUMNS.amount[1], align: 'right' });
  const below = doc.y + 3;
  doc
    .moveTo(MARGIN, below)
    .lineTo(doc.page.width - MARGIN, below)
    .stroke();
  return below + 6;
}

/** "Page n of m" on every page, written once all pages exist (bufferPages). */
function footers(doc: PDFKit.PDFDocument, footer: string): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Writing inside the bottom margin would make pdfkit start a new page.
    const margin = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc
      .font(FONT)
      .fontSize(8)
      .text(`${footer} · page ${i + 1} of ${range.count}`, MARGIN, doc.page.height - MARGIN, {
        width: doc.page.width - 2 * MARGIN,
        align: 'center',
      });
    doc.page.margins.bottom = margin;
  }
}
