// A tiny element builder instead of a framework: pages are rebuilt on each navigation, nothing is patched.

/**
 * h('a', { href: '#/x', 'data-testid': 'link' }, 'text', child) -> an element. Attributes starting with `on` are
 * listeners; `null`, `undefined` and `false` children are skipped; arrays are flattened.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name === 'value' || name === 'checked' || name === 'selected') el[name] = value;
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  el.append(fragment(children));
  return el;
}

/**
 * fragment([h('h1', {}, 'x'), null, [h('p')]]) -> a DocumentFragment of the nodes, nested arrays flattened and
 * `null`, `undefined` and `false` skipped: what `replaceChildren` needs, which would print "null" for a null.
 */
export function fragment(...children) {
  const frag = document.createDocumentFragment();
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    frag.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return frag;
}

/** A table from a header row and body rows; cells are strings or elements, `num` columns right-aligned. */
export function table(headers, rows, { testid, num = [] } = {}) {
  const cls = (i) => (num.includes(i) ? 'num' : undefined);
  return h(
    'table',
    { 'data-testid': testid },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((title, i) => h('th', { class: cls(i) }, title)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.map((row) =>
        h(
          'tr',
          {},
          row.map((cell, i) => h('td', { class: cls(i) }, cell)),
        ),
      ),
    ),
  );
}
