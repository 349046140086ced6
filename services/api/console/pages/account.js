// One account: its invoices (finalized, newest first), this month's draft, and for support the way to its usage.
import { get } from '../api.js';
import { h, table } from '../dom.js';
import { may } from '../roles.js';

export async function accountPage({ params, role }) {
  const id = params.accountId;
  const path = `/v1/accounts/${encodeURIComponent(id)}`;
  const [invoices, draft] = await Promise.all([
    get(`${path}/invoices`),
    get(`${path}/invoices/draft`).catch(() => null),
  ]);
  const rows = invoices.items.map((inv) => [
    inv.month,
    inv.number
      ? h(
          'a',
          { href: `#/invoices/${encodeURIComponent(inv.number)}`, 'data-testid': `invoice-${inv.number}` },
          inv.number,
        )
      : '—',
    inv.kind,
    inv.status,
    `${inv.total} ${inv.currency}`,
    inv.problem ?? '',
  ]);
  return [
    h('div', { class: 'crumbs' }, h('a', { href: '#/search' }, 'Accounts'), ` / ${id}`),
    h('h1', { 'data-testid': 'account-title' }, `Account ${id}`),
    may(role, 'usage')
      ? h(
          'p',
          {},
          h('a', { href: `#/accounts/${encodeURIComponent(id)}/usage`, 'data-testid': 'open-usage' }, 'Usage chart →'),
        )
      : null,
    h('h2', {}, 'Invoices'),
    rows.length === 0
      ? h('p', { class: 'muted' }, 'No invoice yet.')
      : table(['Month', 'Number', 'Kind', 'Status', 'Total', 'Problem'], rows, { testid: 'invoices', num: [4] }),
    draft && draft.items.length > 0
      ? [
          h('h2', {}, `Draft for ${draft.month} (so far, ${draft.timeZone})`),
          table(
            ['Currency', 'Kind', 'Total so far', 'Updated'],
            draft.items.map((d) => [d.currency, d.kind, d.invoice?.total ?? '', d.updatedAt ?? '']),
            { testid: 'draft', num: [2] },
          ),
        ]
      : null,
  ];
}
