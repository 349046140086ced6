// The console's shell: sign-in, the header with what the role may see, and a hash router to the pages.
import { ApiError, get, session } from './api.js';
import { fragment, h } from './dom.js';
import { accountPage } from './pages/account.js';
import { hourPage } from './pages/hour.js';
import { invoicePage } from './pages/invoice.js';
import { linePage } from './pages/line.js';
import { opsPage } from './pages/ops.js';
import { searchPage } from './pages/search.js';
import { usagePage } from './pages/usage.js';
import { windowsPage } from './pages/windows.js';
import { may } from './roles.js';

const top = document.getElementById('top');
const page = document.getElementById('page');
let me;
/** Counts navigations: a page still loading when the address changes must not replace the newer one when it ends. */
let navigation = 0;

/** Routes as [pattern, page, what the role must be allowed]; `:name` segments become params. */
const ROUTES = [
  ['/search', searchPage, 'search'],
  ['/accounts/:accountId', accountPage, 'invoices'],
  ['/accounts/:accountId/usage', usagePage, 'usage'],
  ['/accounts/:accountId/hours/:hour', hourPage, 'usage'],
  ['/invoices/:number', invoicePage, 'invoices'],
  ['/invoices/:number/lines/:line', linePage, 'usage'],
  ['/instances/:instanceId/hours/:hour', windowsPage, 'usage'],
  ['/ops', opsPage, 'ops'],
];

function match(path) {
  for (const [pattern, render, allowed] of ROUTES) {
    const names = [];
    const regex = new RegExp(`^${pattern.replace(/:(\w+)/g, (_, name) => (names.push(name), '([^/]+)'))}$`);
    const found = regex.exec(path);
    if (found)
      return {
        render,
        allowed,
        params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1])])),
      };
  }
  return undefined;
}

function home() {
  if (may(me.role, 'search')) return '#/search';
  if (may(me.role, 'ops')) return '#/ops';
  return undefined;
}

function header() {
  const link = (allowed, href, text) =>
    may(me.role, allowed) ? h('a', { href, 'data-testid': `nav-${allowed}` }, text) : null;
  top.replaceChildren(
    fragment(
      h('strong', {}, 'Tally'),
      link('search', '#/search', 'Accounts'),
      link('ops', '#/ops', 'Pipeline'),
      h(
        'span',
        { class: 'who', 'data-testid': 'who' },
        `${me.name} (${me.role})`,
        h('button', { onclick: signOut, 'data-testid': 'sign-out' }, 'Sign out'),
      ),
    ),
  );
}

function signOut() {
  session.signOut();
  me = undefined;
  location.hash = '#/';
  void route();
}

function signInPage(message) {
  top.replaceChildren(h('strong', {}, 'Tally'));
  const input = h('input', { type: 'password', name: 'token', size: 56, autocomplete: 'off', 'data-testid': 'token' });
  page.replaceChildren(
    fragment(
      h('h1', {}, 'Sign in'),
      h(
        'p',
        { class: 'muted' },
        'With an API token (tally tokens create --role support --name you). It stays in this tab only.',
      ),
      h(
        'form',
        {
          'data-testid': 'sign-in',
          onsubmit: (event) => {
            event.preventDefault();
            session.signIn(input.value.trim());
            void route();
          },
        },
        h('label', {}, 'Token', input),
        h('button', { type: 'submit' }, 'Sign in'),
      ),
      message ? h('p', { class: 'error', 'data-testid': 'error' }, message) : null,
    ),
  );
}

async function route() {
  const current = ++navigation;
  delete page.dataset.ready; // set again once this address's page is complete
  if (session.token() === null) return signInPage();
  if (me === undefined) {
    try {
      me = await get('/v1/me');
    } catch (error) {
      session.signOut();
      return signInPage(
        error instanceof ApiError && error.status === 401 ? 'That token is unknown or revoked.' : String(error),
      );
    }
    header();
  }
  const [path, query = ''] = location.hash.replace(/^#/, '').split('?');
  const found = match(path || '/');
  if (found === undefined || !may(me.role, found.allowed)) {
    const target = home();
    if (target !== undefined && target !== location.hash) return void (location.hash = target);
    page.replaceChildren(
      h('h1', {}, 'Nothing to show'),
      h('p', { class: 'muted' }, `A ${me.role} token sees no page of this console.`),
    );
    page.dataset.ready = location.hash;
    return;
  }
  page.replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  const ctx = { params: found.params, query: new URLSearchParams(query), role: me.role };
  try {
    const content = await found.render(ctx);
    if (current !== navigation) return;
    page.replaceChildren(fragment(content));
  } catch (error) {
    if (current !== navigation) return;
    page.replaceChildren(
      h('h1', {}, 'Could not load this page'),
      h('p', { class: 'error', 'data-testid': 'error' }, String(error.message ?? error)),
    );
  }
  page.dataset.ready = location.hash; // tests wait for this: the page for this address is complete
}

window.addEventListener('hashchange', () => void route());
void route();
