// The API as the console calls it: the token from sessionStorage (gone when the tab closes), problems as errors.

const KEY = 'tally.token';

export const session = {
  token: () => sessionStorage.getItem(KEY),
  signIn: (token) => sessionStorage.setItem(KEY, token),
  signOut: () => sessionStorage.removeItem(KEY),
};

/** A problem+json answer (RFC 9457) as an error: `status` and the API's own `detail`. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(`${status}: ${detail}`);
    this.status = status;
  }
}

async function request(path) {
  const response = await fetch(path, { headers: { authorization: `Bearer ${session.token() ?? ''}` } });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = (await response.json()).detail ?? detail;
    } catch {
      // not problem+json: keep the status text
    }
    throw new ApiError(response.status, detail);
  }
  return response;
}

/** GET a JSON route; `params` become the query string (undefined ones left out). */
export async function get(path, params = {}) {
  return (await request(withQuery(path, params))).json();
}

/** Every page of a usage route (following `nextCursor`), with the range's totals from the first page. */
export async function allUsage(path, params) {
  const items = [];
  let cursor;
  let totals;
  do {
    const page = await get(path, { ...params, limit: 1000, cursor });
    items.push(...page.items);
    totals ??= page.totals;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return { items, totals };
}

/** Downloads a file route (the PDF, a CSV) through a blob: a plain link could not carry the token. */
export async function download(path, filename) {
  const blob = await (await request(path)).blob();
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null) query.set(key, value);
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}
