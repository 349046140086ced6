// Invoice PDFs: a pure renderer (no database) and the issuer's configuration. Callers load the invoice and account.
export { renderInvoicePdf } from './render.ts';
export { invoiceLayout, lineDescription, quantityText, type InvoiceLayout, type LayoutRow } from './invoice-layout.ts';
export {
  pdfInvoice,
  pdfInvoiceLine,
  pdfCustomer,
  type PdfInvoice,
  type PdfInvoiceLine,
  type PdfCustomer,
} from './invoice-input.ts';
export { issuerFromEnv, issuerEnv, issuerSchema, type Issuer } from './issuer.ts';
export { amountText } from './amount-text.ts';
export { localDate, addDays } from './local-date.ts';
