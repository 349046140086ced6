import type { PostalAddress } from '@tally/records';
import { amountText } from './amount-text.ts';
import type { PdfInvoiceLine, pdfCustomer, pdfInvoice } from './invoice-input.ts';
import type { z } from 'zod';
import type { Issuer } from './issuer.ts';
import { addDays, localDate } from './local-date.ts';

/** One printed row of the lines table. */
export interface LayoutRow {
  readonly description: string;
  /** Quantity and unit, or '' for credit rows. */
  readonly quantity: string;
  /** Amount in the currency's minor unit, grouped. */
  readonly amount: string;
}

/** Everything the PDF prints, as text: the pure part of rendering, testable without a PDF. */
export interface InvoiceLayout {
  readonly title: string;
  readonly issuer: readonly string[];
  readonly customer: readonly string[];
  /** Label/value pairs: number, dates, period, account, currency. */
  readonly facts: readonly (readonly [string, string])[];
  readonly currency: string;
  readonly rows: readonly LayoutRow[];
  readonly totals: readonly (readonly [string, string])[];
  readonly footer: string;
}

/** Quantities carry up to 40 significant digits; more than this many fraction digits are shown rounded. */
const SHOWN_QUANTITY_DECIMALS = 6;
const UNIT_TEXT = { hour: 'h', gb: 'GB' } as const;

/**
 * What a line is called on the invoice.
 *
 * @example
 * lineDescription({ kind: 'usage', sku: 'compute.s1.small', ... }); // 'compute.s1.small'
 * lineDescription({ kind: 'adjustment', sku: 'egress', adjustsMonth: '2026-09', ... }); // 'Adjustment 2026-09: egress'
 */
export function lineDescription(line: PdfInvoiceLine): string {
  switch (line.kind) {
    case 'usage':
      return line.sku ?? 'Usage';
    case 'adjustment':
      return `Adjustment ${line.adjustsMonth ?? ''}: ${line.sku ?? ''}`;
    case 'credit':
      return 'Credit applied';
    case 'carried_forward':
      return 'Negative balance carried to credit';
  }
}

/**
 * A quantity as printed: exact when short, else rounded for reading (half up on the decimal text) and marked '~';
 * the amount beside it is always the exact billed one.
 *
 * @example
 * quantityText('2.5', 'hour'); // '2.5 h'
 * quantityText('1.8333333333333333333', 'hour'); // '~1.833333 h'
 */
export function quantityText(quantity: string | null, unit: PdfInvoiceLine['unit']): string {
  if (quantity === null) return '';
  const suffix = unit === null ? '' : ` ${UNIT_TEXT[unit]}`;
  const [whole = '0', fraction = ''] = quantity.split('.');
  if (fraction.length <= SHOWN_QUANTITY_DECIMALS) return `${quantity}${suffix}`;
  // Rounded on the digits (BigInt), never through a float.
  const negative = whole.startsWith('-');
  const digits = BigInt(`${whole.replace('-', '')}${fraction.slice(0, SHOWN_QUANTITY_DECIMALS)}`);
  const rounded = Number(fraction[SHOWN_QUANTITY_DECIMALS]) >= 5 ? digits + 1n : digits;
  const text = rounded.toString().padStart(SHOWN_QUANTITY_DECIMALS + 1, '0');
  const shown = `${text.slice(0, -SHOWN_QUANTITY_DECIMALS)}.${text.slice(-SHOWN_QUANTITY_DECIMALS)}`.replace(
    /\.?0+$/,
    '',
  );
  return `~${negative ? '-' : ''}${shown}${suffix}`;
}

function addressLines(address: PostalAddress | null): string[] {
  if (address === null) return [];
  const place = [address.postalCode, address.city].filter((p) => p !== '').join(' ');
  return [address.line1, address.line2, place, [address.region, address.country].filter((p) => p !== '').join(', ')]
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * Lays an invoice out as text: issuer, customer, facts, a row per usage or adjustment line, then the totals with the
 * credit and carry lines between subtotal and total. Pure; every date is the
 * account's time zone (the invoice's own timeZone, the one its month was billed in).
 *
 * @example
 * invoiceLayout(invoice, account, issuer).totals; // [['Subtotal', '12.34'], ['Credit applied', '-2.00'], ['Total due (USD)', '10.34']]
 */
export function invoiceLayout(
  invoice: z.output<typeof pdfInvoice>,
  account: z.output<typeof pdfCustomer>,
  issuer: Issuer,
): InvoiceLayout {
  const { content } = invoice;
  const { currency, timeZone } = content;
  const issued = localDate(invoice.finalizedAt.getTime(), timeZone);
  const money = (amount: string): string => amountText(amount, currency);
  // Usage and adjustments are the table; credit and carry lines sit between subtotal and total, so the totals
  // block adds up as printed (the total is the sum of all rounded lines).
  const billed = content.lines.filter((line) => line.kind === 'usage' || line.kind === 'adjustment');
  const settled = content.lines.filter((line) => line.kind === 'credit' || line.kind === 'carried_forward');
  const totals: [string, string][] = [
    ['Subtotal', money(content.subtotal)],
    ...settled.map((line): [string, string] => [lineDescription(line), money(line.roundedAmount)]),
    [`Total due (${currency})`, money(content.total)],
  ];
  return {
    title: 'Invoice',
    issuer: [issuer.name, ...addressLines(issuer.address), `Tax ID: ${issuer.taxId}`],
    customer: [account.name, ...addressLines(account.address), account.email],
    facts: [
      ['Invoice number', invoice.number],
      ['Issue date', issued],
      ['Due date', addDays(issued, issuer.paymentTermsDays)],
      [
        'Period',
        `${localDate(content.periodStart, timeZone)} to ${localDate(content.periodEnd - 1, timeZone)} (${timeZone})`,
      ],
      ['Account', content.accountId],
      ['Currency', currency],
    ],
    currency,
    rows: billed.map((line) => ({
      description: lineDescription(line),
      quantity: quantityText(line.quantity, line.unit),
      amount: money(line.roundedAmount),
    })),
    totals,
    footer: `${issuer.name} · ${invoice.number} · payable by ${addDays(issued, issuer.paymentTermsDays)}`,
  };
}
