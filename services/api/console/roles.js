// What each role may see, as the API enforces it (services/api/README.md): the console hides what would be a 403.
const PAGES = {
  search: ['support', 'finance'],
  usage: ['support'],
  invoices: ['support', 'finance'],
  ops: ['operator'],
};

/** may('support', 'usage') -> true; may('finance', 'usage') -> false. */
export const may = (role, page) => (PAGES[page] ?? []).includes(role);
