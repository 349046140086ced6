/**
 * The calendar date (YYYY-MM-DD) of an instant in a time zone: invoice dates and periods are the account's.
 *
 * @example
 * localDate(Date.UTC(2026, 9, 31, 23, 30), 'Europe/Zurich'); // '2026-11-01'
 */
export function localDate(epochMs: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    .formatToParts(new Date(epochMs))
    .reduce<Record<string, string>>((acc, part) => ({ ...acc, [part.type]: part.value }), {});
  return `${parts.year}-${parts.month}-${parts.day}`;
}

/**
 * A calendar date plus whole days (no time zone involved: dates, not instants).
 *
 * @example
 * addDays('2026-11-20', 30); // '2026-12-20'
 */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + days)).toISOString().slice(0, 10);
}
