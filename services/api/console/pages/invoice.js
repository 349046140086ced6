// One finalized invoice: who, when, its lines and totals; downloads as PDF and CSV; for support, each usage line
// opens the hours it bills.
import { download, get } from '../api.js';
import { h, table } from '../dom.js';
import { may } from '../roles.js';

export async function invoicePage({ params, role }) {
  const number = params.number;
  const doc = await get(`/v1/invoices/${encodeURIComponent(number)}`);
  const inv = doc.invoice;
  const path = `/v1/invoices/${encodeURIComponent(number)}`;
  const status = h('span', { class: 'muted', 'data-testid': 'download-status' });
  const fetchFile = (suffix, filename) => async () => {
    status.textContent = `downloading ${filename}…`;
    try {
      await download(`${path}/${suffix}`, filename);
      status.textContent = `${filename} downloaded`;
    } catch (error) {
      status.textContent = String(error.message ?? error);
      status.className = 'error';
    }
  };
  const lines = inv.lines.map((line, i) => [
    line.kind + (line.adjustsMonth ? ` (adjusts ${line.adjustsMonth})` : ''),
    line.sku,
    line.quantity,
    line.unit,
    line.roundedAmount ?? line.amount,
    may(role, 'usage') && line.kind === 'usage'
      ? h('a', { href: `#/invoices/${encodeURIComponent(number)}/lines/${i}`, 'data-testid': `line-${i}` }, 'hours →')
      : '',
  ]);
  return [
    h(
      'div',
      { class: 'crumbs' },
      h('a', { href: `#/accounts/${encodeURIComponent(doc.accountId)}` }, doc.accountId),
      ` / invoice ${number}`,
    ),
    h('h1', { 'data-testid': 'invoice-title' }, `Invoice ${number}`),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Account'),
      h('dd', {}, doc.accountId),
      h('dt', {}, 'Month'),
      h('dd', {}, `${doc.month} (${inv.timeZone})`),
      h('dt', {}, 'Period'),
      h('dd', {}, `${iso(inv.periodStart)} – ${iso(inv.periodEnd)}`),
      h('dt', {}, 'Finalized'),
      h('dd', {}, doc.finalizedAt ?? ''),
      h('dt', {}, 'Issuer'),
      h('dd', {}, doc.issuer ?? ''),
      h('dt', {}, 'Content hash'),
      h('dd', { class: 'muted' }, doc.contentHash ?? ''),
    ),
    h(
      'p',
      {},
      h('button', { onclick: fetchFile('pdf', `${number}.pdf`), 'data-testid': 'download-pdf' }, 'PDF'),
      ' ',
      h('button', { onclick: fetchFile('csv', `${number}.csv`), 'data-testid': 'download-csv' }, 'CSV'),
      ' ',
      status,
    ),
    h('h2', {}, 'Lines'),
    table(['Kind', 'SKU', 'Quantity', 'Unit', `Amount (${inv.currency})`, ''], lines, {
      testid: 'invoice-lines',
      num: [2, 4],
    }),
    table(
      ['', inv.currency],
      [
        ['Subtotal', inv.subtotal],
        ['Credit applied', inv.creditApplied],
        [h('strong', {}, 'Total'), h('strong', { 'data-testid': 'invoice-total' }, inv.total)],
      ],
      { testid: 'invoice-totals', num: [1] },
    ),
  ];
}

const iso = (t) => (t === undefined || t === null ? '' : new Date(t).toISOString());
