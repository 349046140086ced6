// From an invoice line to the hours it bills: the line's SKU per hour over the invoice's period, as metering counted
// it (billing prices the same records), each hour opening the instances behind it.
import { allUsage, get } from '../api.js';
import { h, table } from '../dom.js';
import { sumDecimal } from '../exact.js';

export async function linePage({ params }) {
  const number = params.number;
  const doc = await get(`/v1/invoices/${encodeURIComponent(number)}`);
  const inv = doc.invoice;
  const index = Number(params.line);
  const line = inv.lines[index];
  if (line === undefined) throw new Error(`invoice ${number} has no line ${index}`);
  const from = new Date(inv.periodStart).toISOString();
  const to = new Date(inv.periodEnd).toISOString();
  const { items } = await allUsage(`/v1/accounts/${encodeURIComponent(doc.accountId)}/usage`, {
    from,
    to,
    bucket: 'hour',
    groupBy: 'sku',
  });
  const hours = items.filter((item) => item.group === line.sku && item.baseUnits !== '0');
  const sum = hours.length === 0 ? '0' : sumDecimal(hours.map((item) => item.baseUnits));
  const rows = hours.map((item) => [
    h(
      'a',
      {
        href: `#/accounts/${encodeURIComponent(doc.accountId)}/hours/${encodeURIComponent(item.period)}?sku=${encodeURIComponent(line.sku)}`,
        'data-testid': `hour-${item.period}`,
      },
      item.period,
    ),
    item.baseUnits,
    item.quantity,
  ]);
  return [
    h(
      'div',
      { class: 'crumbs' },
      h('a', { href: `#/accounts/${encodeURIComponent(doc.accountId)}` }, doc.accountId),
      ' / ',
      h('a', { href: `#/invoices/${encodeURIComponent(number)}` }, number),
      ` / line ${index + 1}`,
    ),
    h('h1', {}, `${line.sku}: ${line.quantity} ${line.unit} for ${line.roundedAmount ?? line.amount} ${inv.currency}`),
    line.adjustsMonth
      ? h(
          'p',
          { class: 'muted' },
          `An adjustment of ${line.adjustsMonth}: the hours below are of this invoice's period.`,
        )
      : null,
    h(
      'p',
      { class: 'muted' },
      `Hours of ${from} – ${to} with ${line.sku}: ${hours.length}; base units (${line.unit === 'hour' ? 'seconds' : 'bytes'}) summed: `,
      h('span', { 'data-testid': 'line-base-units' }, sum),
    ),
    table(['Hour (UTC)', line.unit === 'hour' ? 'Seconds' : 'Bytes', `Quantity (${line.unit})`], rows, {
      testid: 'line-hours',
      num: [1, 2],
    }),
  ];
}
