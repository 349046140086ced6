// Exact sums of the API's decimal strings: bytes outgrow a JS number, and a total must match the API's to the digit.

/** '12.5' -> [125n, 1] (digits, scale). */
function parse(text) {
  const [whole, fraction = ''] = String(text).split('.');
  return [BigInt(whole + fraction), fraction.length];
}

/** sumDecimal(['0.1', '0.2', '3']) -> '3.3': no float on the way; trailing zeros trimmed as the API does. */
export function sumDecimal(values) {
  const parsed = values.map(parse);
  const scale = Math.max(0, ...parsed.map(([, s]) => s));
  let total = 0n;
  for (const [digits, s] of parsed) total += digits * 10n ** BigInt(scale - s);
  const negative = total < 0n;
  let text = (negative ? -total : total).toString().padStart(scale + 1, '0');
  if (scale > 0) text = `${text.slice(0, -scale)}.${text.slice(-scale)}`.replace(/\.?0+$/, '');
  return (negative ? '-' : '') + text;
}

/** 1234567 -> '1 234 567': thin grouping for long integers, no rounding. */
export const grouped = (text) => String(text).replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009');
