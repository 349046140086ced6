// Find an account by its id, a name prefix, or one of its instances.
import { get } from '../api.js';
import { h, table } from '../dom.js';
import { may } from '../roles.js';

export async function searchPage({ query, role }) {
  const q = query.get('q') ?? '';
  const input = h('input', {
    name: 'q',
    value: q,
    size: 40,
    placeholder: 'acct-…, Acme, i-…',
    'data-testid': 'search-q',
  });
  const form = h(
    'form',
    {
      onsubmit: (event) => {
        event.preventDefault();
        location.hash = `#/search?q=${encodeURIComponent(input.value.trim())}`;
      },
    },
    h('label', {}, 'Account id, name or instance id', input),
    h('button', { type: 'submit', 'data-testid': 'search-go' }, 'Find'),
  );
  if (q === '') return [h('h1', {}, 'Find an account'), form];
  const { items } = await get('/v1/accounts', { q });
  const rows = items.map((a) => [
    h(
      'a',
      { href: `#/accounts/${encodeURIComponent(a.accountId)}`, 'data-testid': `account-${a.accountId}` },
      a.accountId,
    ),
    a.name ?? '',
    a.currency,
    a.timeZone ?? '',
    a.matchedInstanceId ? `owns ${a.matchedInstanceId}` : '',
    may(role, 'usage') ? h('a', { href: `#/accounts/${encodeURIComponent(a.accountId)}/usage` }, 'usage') : '',
  ]);
  return [
    h('h1', {}, 'Find an account'),
    form,
    items.length === 0
      ? h('p', { class: 'muted', 'data-testid': 'no-match' }, `No account matches “${q}”.`)
      : table(['Account', 'Name', 'Currency', 'Time zone', 'Matched', ''], rows, { testid: 'accounts' }),
  ];
}
