// A test oracle: the invoice rules of README.md written again, as plainly as possible, sharing nothing
// with buildInvoice but decimal.js and the output types. The property test checks that both agree.
// Deliberately slow and naive (linear scans, Intl for time zones instead of @date-fns/tz).
import decimalJs, { type Decimal } from 'decimal.js';
import type { Account, PriceEntry, PricingModel, UsageHourly } from '@tally/records';
import type { BilledQuantity, InvoiceDraft, InvoiceLine } from './invoice.ts';

const D = (decimalJs as unknown as typeof decimalJs.Decimal).clone({ precision: 40, rounding: 4 }); // 4 = ROUND_HALF_UP

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

function minorDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
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

function priceOf(model: PricingModel, quantity: Decimal): Decimal {
  let amount = new D(0);
  if (quantity.isZero()) return amount;
  if (model.kind === 'per_unit') return quantity.times(model.unitPrice);
  if (model.kind === 'package') return quantity.div(model.packageSize).ceil().times(model.packagePrice);
  if (model.kind === 'volume') {
    for (const tier of model.tiers) {
      if (tier.upTo === null || quantity.lte(tier.upTo)) return quantity.times(tier.unitPrice).plus(tier.flatFee);
    }
    throw new Error('oracle: no volume tier');
  }
  // graduated
  let floor = new D(0);
  for (const tier of model.tiers) {
    const ceiling = tier.upTo === null ? quantity : D.min(quantity, tier.upTo);
    if (ceiling.gt(floor)) amount = amount.plus(ceiling.minus(floor).times(tier.unitPrice)).plus(tier.flatFee);
    if (tier.upTo !== null) floor = D.max(floor, new D(tier.upTo));
  }
  return amount;
}

function text(d: Decimal): string {
  return d.isZero() ? '0' : d.toFixed();
}

function rounded(d: Decimal, currency: string): string {
  const r = d.toDecimalPlaces(minorDigits(currency), D.ROUND_HALF_UP);
  return (r.isZero() ? new D(0) : r).toFixed(minorDigits(currency));
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
    const groups = new Map<string, { entry: PriceEntry; units: Decimal; divisor: number }>();
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
      const uses: [string, number, number][] = [
        ['compute.' + r.instanceType, r.runningSeconds, 3600],
        ['egress.gb', r.txBytes, 1e9],
        ['ingress.gb', r.rxBytes, 1e9],
      ];
      for (const [sku, units, divisor] of uses) {
        if (units === 0) continue;
        const entry = entryInForce(sku, r.hourStart);
        if (entry === undefined) {
          if (sku === 'ingress.gb') continue;
          throw new Error(`oracle: no price for ${sku}`);
        }
        const g = groups.get(isoKey(entry)) ?? { entry, units: new D(0), divisor };
        g.units = g.units.plus(units);
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
    const quantity = g.units.div(g.divisor);
    const amount = priceOf(g.entry.model, quantity);
    usageLines.push({
      kind: 'usage',
      sku: g.entry.sku,
      priceEntryKey: key,
      unit: g.entry.unit,
      adjustsMonth: null,
      quantity: text(quantity),
      amount: text(amount),
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
      const now = g === undefined ? new D(0) : g.units.div(g.divisor);
      let was = new D(0);
      for (const b of f.billed) if (b.priceEntryKey === key) was = was.plus(b.quantity);
      if (now.eq(was)) continue;
      const amount = priceOf(entry.model, now).minus(priceOf(entry.model, was));
      lines.push({
        kind: 'adjustment',
        sku: entry.sku,
        priceEntryKey: key,
        unit: entry.unit,
        adjustsMonth: f.month,
        quantity: text(now.minus(was)),
        amount: text(amount),
        roundedAmount: rounded(amount, currency),
      });
    }
    adjustmentLines.push(...lines.sort(order));
  }

  let subtotal = new D(0);
  for (const l of [...usageLines, ...adjustmentLines]) subtotal = subtotal.plus(l.roundedAmount);
  const credit = new D(input.creditAvailable);
  const spendable = credit.toDecimalPlaces(minorDigits(currency), D.ROUND_DOWN);
  let applied = new D(0);
  if (subtotal.gt(0)) applied = spendable.lt(subtotal) ? spendable : subtotal;
  const creditLines: InvoiceLine[] = applied.isZero()
    ? []
    : [
        {
          kind: 'credit',
          sku: null,
          priceEntryKey: null,
          unit: null,
          adjustsMonth: null,
          quantity: null,
          amount: text(applied.neg()),
          roundedAmount: rounded(applied.neg(), currency),
        },
      ];
  const lines = [...usageLines, ...adjustmentLines, ...creditLines];
  let total = new D(0);
  for (const l of lines) total = total.plus(l.roundedAmount);

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
    creditRemaining: text(credit.minus(applied)),
  };
}
