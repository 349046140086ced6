import { formatMinor } from '@tally/money';

/**
 * An amount as printed: exactly the currency's minor-unit digits (libs/money, exact decimal arithmetic, never a
 * float), thousands grouped with commas. Stored invoice amounts are already rounded, so this only writes them.
 *
 * @example
 * amountText('1234.5', 'USD'); // '1,234.50'
 * amountText('-1234567', 'JPY'); // '-1,234,567'
 * amountText('0.125', 'KWD'); // '0.125'
 */
export function amountText(amount: string, currency: string): string {
  const exact = formatMinor(amount, currency);
  const negative = exact.startsWith('-');
  const [whole = '', fraction] = (negative ? exact.slice(1) : exact).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}
