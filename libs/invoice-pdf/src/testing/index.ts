// Test helpers for invoice PDFs (not for production code): read a PDF's text, check it against a stored invoice.
export { pdfText, pages } from './pdf-text.ts';
export { expectInvoiceText } from './invoice-text-check.ts';
export { sampleInvoice, sampleIssuer, sampleCustomer } from './sample-invoice.ts';
