// A test oracle: the invoice rules of README.md written again, as plainly as possible, sharing nothing with
// buildInvoice but the output types: not @tally/money, not decimal.js. Its arithmetic is its own exact fractions of
// BigInts, so a precision cut or a double rounding in the product shows up as a difference. The property tests check
// that both agree. Deliberately slow and naive (linear scans, Intl for time zones instead of @date-fns/tz).
import type { Account, PriceEntry, PricingModel, UsageHourly } from '@tally/records';
import type { BilledQuantity, InvoiceDraft, InvoiceLine } from './invoice.ts';

export interface OracleInput {
  readonly account: Account;
  readonly month: string;
  /** Values of the prices topic in the order written: a later value for the same key replaces an earlier. */
  readonly priceEntries: readonly PriceEntry[];
  readonly usage: readonly UsageHourly[];
  readonly creditAvailable: string;
  readonly finalizedMonths: readonly {
    month: string;
    billed: readonly BilledQuantity[];
    usage: readonly UsageHourly[];
  }[];
}

// ------------------------------------------------------------------------------------------ exact fractions

/** n / d with d > 0, not necessarily reduced: every comparison cross-multiplies. */
export interface Q {
  readonly n: bigint;
  readonly d: bigint;
}

export function q(n: bigint, d = 1n): Q {
  if (d < 0n) [n, d] = [-n, -d];
  // Reduce, or sums of many lines grow denominators without bound.
  let [x, y] = [n < 0n ? -n : n, d];
  while (y !== 0n) [x, y] = [y, x % y];
  return x > 1n ? { n: n / x, d: d / x } : { n, d };
}

/** A decimal string such as "-12.50" as a fraction, digit by digit. */
export function qOf(text: string): Q {
  const negative = text.startsWith('-');
  const body = text.replace(/^[-+]/, '');
  const [whole, fraction = ''] = body.split('.');
  let n = 0n;
  for (const c of whole! + fraction) n = n * 10n + BigInt(c.charCodeAt(0) - 48);
  return q(negative ? -n : n, 10n ** BigInt(fraction.length));
}

export const add = (a: Q, b: Q): Q => q(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Q, b: Q): Q => q(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Q, b: Q): Q => q(a.n * b.n, a.d * b.d);
export const div = (a: Q, b: Q): Q => q(a.n * b.d, a.d * b.n);
export const cmp = (a: Q, b: Q): number => {
  const x = a.n * b.d;
  const y = b.n * a.d;
  return x < y ? -1 : x > y ? 1 : 0;
};
const isZero = (a: Q): boolean => a.n === 0n;
const ZERO = q(0n);

/** Smallest integer ≥ a. */
function ceil(a: Q): bigint {
  let k = a.n / a.d;
  while (k * a.d < a.n) k += 1n;
  while ((k - 1n) * a.d >= a.n) k -= 1n;
  return k;
}

/** The integer nearest to a, half away from zero (|a| rounded, then the sign put back). */
function nearest(a: Q): bigint {
  const negative = a.n < 0n;
  const n = negative ? -a.n : a.n;
  // floor(n/d + 1/2) = floor((2n + d) / 2d): a half goes up, i.e. away from zero.
  const r = (2n * n + a.d) / (2n * a.d);
  return negative ? -r : r;
}

/** Writes k × 10^-digits with exactly `digits` decimals; "0.00", never "-0.00". */
function fixed(k: bigint, digits: number): string {
  const negative = k < 0n;
  let body = (negative ? -k : k).toString();
  if (digits > 0) {
    while (body.length <= digits) body = '0' + body;
    body = body.slice(0, body.length - digits) + '.' + body.slice(body.length - digits);
  }
  return negative && k !== 0n ? '-' + body : body;
}

/** a rounded half away from zero to `digits` decimals, as text. */
export function roundTo(a: Q, digits: number): string {
  return fixed(nearest(mul(a, q(10n ** BigInt(digits)))), digits);
}

/**
 * How the invoice shows a quantity or an unrounded amount: the exact decimal if there is one, else 40 significant
 * digits, rounded half away from zero. Found by long division, digit by digit.
 */
export function shown(a: Q): string {
  const negative = a.n < 0n;
  const n = negative ? -a.n : a.n;
  const whole = (n / a.d).toString();
  let rest = n % a.d;
  if (terminates(a)) {
    let fraction = '';
    while (rest !== 0n) {
      rest *= 10n;
      fraction += (rest / a.d).toString();
      rest %= a.d;
    }
    const text = fraction === '' ? whole : `${whole}.${fraction}`;
    return negative && n !== 0n ? '-' + text : text;
  }
  if (whole !== '0') return shownAtScale(a, 40 - whole.length);
  // Below 1: 40 digits from the first non-zero one.
  let zeros = 0;
  for (rest *= 10n; rest < a.d; rest *= 10n) zeros += 1;
  return shownAtScale(a, zeros + 40);
}

function terminates(a: Q): boolean {
  let x = a.n < 0n ? -a.n : a.n;
  let d = a.d;
  while (x !== 0n) [x, d] = [d % x, x]; // d becomes gcd(n, d)
  let reduced = a.d / d;
  while (reduced % 2n === 0n) reduced /= 2n;
  while (reduced % 5n === 0n) reduced /= 5n;
  return reduced === 1n;
}

function shownAtScale(a: Q, scale: number): string {
  const k = scale >= 0 ? nearest(mul(a, q(10n ** BigInt(scale)))) : nearest(div(a, q(10n ** BigInt(-scale))));
  let text = scale >= 0 ? fixed(k, scale) : fixed(k * 10n ** BigInt(-scale), 0);
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return text;
}

// ------------------------------------------------------------------------------------------ currencies

/** ISO 4217 minor units of the currencies the tests bill in, written down here rather than looked up. */
const MINOR_DIGITS: Record<string, number> = {
  USD: 2,
  EUR: 2,
  CHF: 2,
  HUF: 2,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  BHD: 3,
  TND: 3,
  IQD: 3,
  CLF: 4,
};

function minorDigits(currency: string): number {
  const digits = MINOR_DIGITS[currency];
  if (digits === undefined) throw new Error(`oracle: no minor unit written down for ${currency}`);
  return digits;
}

function localParts(
  at: number,
  timeZone: string,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(at));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

function monthOfInstant(at: number, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}`;
}

/** Local midnight on the 1st of (year, month), found by correcting a UTC guess by the zone offset. */
function startOfLocalMonth(year: number, month: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, 1);
  let guess = wall;
  for (let i = 0; i < 4; i++) {
    const p = localParts(guess, timeZone);
    const offset = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - guess;
    guess = wall - offset;
  }
  return guess;
}

function isoKey(entry: PriceEntry): string {
  return entry.sku + '|' + entry.currency + '|' + new Date(entry.effectiveFrom).toISOString();
}

/** The exact price of a quantity: no rounding anywhere. */
export function priceOf(model: PricingModel, quantity: Q): Q {
  let amount = ZERO;
  if (isZero(quantity)) return amount;
  if (model.kind === 'per_unit') return mul(quantity, qOf(model.unitPrice));
  if (model.kind === 'package') return mul(q(ceil(div(quantity, qOf(model.packageSize)))), qOf(model.packagePrice));
  if (model.kind === 'volume') {
    for (const tier of model.tiers) {
      if (tier.upTo === null || cmp(quantity, qOf(tier.upTo)) <= 0) {
        return add(mul(quantity, qOf(tier.unitPrice)), qOf(tier.flatFee));
      }
    }
    throw new Error('oracle: no volume tier');
  }
  // graduated
  let floor = ZERO;
  for (const tier of model.tiers) {
    const upTo = tier.upTo === null ? undefined : qOf(tier.upTo);
    const ceiling = upTo === undefined || cmp(quantity, upTo) < 0 ? quantity : upTo;
    if (cmp(ceiling, floor) > 0) {
      amount = add(add(amount, mul(sub(ceiling, floor), qOf(tier.unitPrice))), qOf(tier.flatFee));
    }
    if (upTo !== undefined && cmp(upTo, floor) > 0) floor = upTo;
  }
  return amount;
}

/** The exact value of a shown quantity of whole base units (k / perUnit), else the decimal as written. */
function readShown(text: string, perUnit: bigint): Q {
  const exact = qOf(text);
  const k = nearest(mul(exact, q(perUnit)));
  return shown(q(k, perUnit)) === text ? q(k, perUnit) : exact;
}

function rounded(a: Q, currency: string): string {
  return roundTo(a, minorDigits(currency));
}

export function oracleInvoice(input: OracleInput): InvoiceDraft {
  const { account, month } = input;
  const currency = account.currency;
  const tz = account.timeZone;

  // The book: last value per key.
  const book: PriceEntry[] = [];
  for (const entry of input.priceEntries) {
    const at = book.findIndex((e) => isoKey(e) === isoKey(entry));
    if (at >= 0) book.splice(at, 1);
    book.push(entry);
  }

  function entryInForce(sku: string, at: number): PriceEntry | undefined {
    let best: PriceEntry | undefined;
    for (const e of book) {
      if (
        e.sku === sku &&
        e.currency === currency &&
        e.effectiveFrom <= at &&
        (best === undefined || e.effectiveFrom > best.effectiveFrom)
      )
        best = e;
    }
    return best;
  }

  /** key → { entry, summed base units, divisor } for the account's latest usage in a month. */
  function groupsOf(records: readonly UsageHourly[], forMonth: string) {
    const groups = new Map<string, { entry: PriceEntry; units: bigint; divisor: bigint }>();
    for (const [i, r] of records.entries()) {
      const newer = records.some(
        (o) => o.instanceId === r.instanceId && o.hourStart === r.hourStart && o.version > r.version,
      );
      if (newer) continue;
      // Exact duplicates (same version) must count once: skip all but the first.
      const first = records.findIndex(
        (o) => o.instanceId === r.instanceId && o.hourStart === r.hourStart && o.version === r.version,
      );
      if (first !== i) continue;
      if (r.accountId !== account.accountId || monthOfInstant(r.hourStart, tz) !== forMonth) continue;
      const uses: [string, number, bigint][] = [
        ['compute.' + r.instanceType, r.runningSeconds, 3600n],
        ['egress.gb', r.txBytes, 1_000_000_000n],
        ['ingress.gb', r.rxBytes, 1_000_000_000n],
      ];
      for (const [sku, units, divisor] of uses) {
        if (units === 0) continue;
        const entry = entryInForce(sku, r.hourStart);
        if (entry === undefined) {
          if (sku === 'ingress.gb') continue;
          throw new Error(`oracle: no price for ${sku}`);
        }
        const g = groups.get(isoKey(entry)) ?? { entry, units: 0n, divisor };
        g.units += BigInt(units);
        groups.set(isoKey(entry), g);
      }
    }
    return groups;
  }

  function order(a: InvoiceLine, b: InvoiceLine): number {
    const ea = book.find((e) => isoKey(e) === a.priceEntryKey)!;
    const eb = book.find((e) => isoKey(e) === b.priceEntryKey)!;
    if (a.sku !== b.sku) return a.sku! < b.sku! ? -1 : 1;
    return ea.effectiveFrom - eb.effectiveFrom;
  }

  const usageLines: InvoiceLine[] = [];
  for (const [key, g] of groupsOf(input.usage, month)) {
    const quantity = q(g.units, g.divisor);
    const amount = priceOf(g.entry.model, quantity);
    usageLines.push({
      kind: 'usage',
      sku: g.entry.sku,
      priceEntryKey: key,
      unit: g.entry.unit,
      adjustsMonth: null,
      quantity: shown(quantity),
      amount: shown(amount),
      roundedAmount: rounded(amount, currency),
    });
  }
  usageLines.sort(order);

  const adjustmentLines: InvoiceLine[] = [];
  const finalized = [...input.finalizedMonths].sort((a, b) => (a.month < b.month ? -1 : 1));
  for (const f of finalized) {
    const groups = groupsOf(f.usage, f.month);
    const keys = new Set<string>([...groups.keys(), ...f.billed.map((b) => b.priceEntryKey)]);
    const lines: InvoiceLine[] = [];
    for (const key of keys) {
      const g = groups.get(key);
      const entry = g?.entry ?? book.find((e) => isoKey(e) === key);
      if (entry === undefined) throw new Error('oracle: billed entry not in book');
      const now = g === undefined ? ZERO : q(g.units, g.divisor);
      const perUnit = entry.unit === 'hour' ? 3600n : 1_000_000_000n;
      let was = ZERO;
      for (const b of f.billed) if (b.priceEntryKey === key) was = add(was, readShown(b.quantity, perUnit));
      if (cmp(now, was) === 0) continue;
      const amount = sub(priceOf(entry.model, now), priceOf(entry.model, was));
      lines.push({
        kind: 'adjustment',
        sku: entry.sku,
        priceEntryKey: key,
        unit: entry.unit,
        adjustsMonth: f.month,
        quantity: shown(sub(now, was)),
        amount: shown(amount),
        roundedAmount: rounded(amount, currency),
      });
    }
    adjustmentLines.push(...lines.sort(order));
  }

  let subtotal = ZERO;
  for (const l of [...usageLines, ...adjustmentLines]) subtotal = add(subtotal, qOf(l.roundedAmount));
  const credit = qOf(input.creditAvailable);
  // Whole minor units of credit can be spent: truncate (credit is never negative).
  const unit = q(1n, 10n ** BigInt(minorDigits(currency)));
  const spendable = mul(q(div(credit, unit).n / div(credit, unit).d), unit);
  let applied = ZERO;
  if (cmp(subtotal, ZERO) > 0) applied = cmp(spendable, subtotal) < 0 ? spendable : subtotal;
  // A negative month is carried forward as credit: a positive line brings the total to zero.
  const carried = cmp(subtotal, ZERO) < 0 ? sub(ZERO, subtotal) : ZERO;
  const moneyLine = (kind: 'credit' | 'carried_forward', amount: Q): InvoiceLine => ({
    kind,
    sku: null,
    priceEntryKey: null,
    unit: null,
    adjustsMonth: null,
    quantity: null,
    amount: shown(amount),
    roundedAmount: rounded(amount, currency),
  });
  const creditLines: InvoiceLine[] = [];
  if (!isZero(applied)) creditLines.push(moneyLine('credit', sub(ZERO, applied)));
  if (!isZero(carried)) creditLines.push(moneyLine('carried_forward', carried));
  const lines = [...usageLines, ...adjustmentLines, ...creditLines];
  let total = ZERO;
  for (const l of lines) total = add(total, qOf(l.roundedAmount));

  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  const start = startOfLocalMonth(year, monthNumber, tz);
  const end = monthNumber === 12 ? startOfLocalMonth(year + 1, 1, tz) : startOfLocalMonth(year, monthNumber + 1, tz);

  return {
    format: 'tally.invoice.v1',
    accountId: account.accountId,
    month,
    timeZone: tz,
    currency,
    periodStart: start,
    periodEnd: end,
    lines,
    subtotal: rounded(subtotal, currency),
    creditApplied: rounded(applied, currency),
    total: rounded(total, currency),
    creditRemaining: shown(add(sub(credit, applied), carried)),
  };
}
