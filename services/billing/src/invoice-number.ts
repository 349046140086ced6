/**
 * An invoice number: `${prefix}-${year}-${sequence, 6 digits}`, gapless per issuer and year.
 *
 * @example
 * formatInvoiceNumber('INV', 2026, 1); // 'INV-2026-000001'
 */
export function formatInvoiceNumber(prefix: string, year: number, sequence: number): string {
  return `${prefix}-${String(year).padStart(4, '0')}-${String(sequence).padStart(6, '0')}`;
}
