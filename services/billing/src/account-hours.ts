import { Dec, Rational, toDecimalString } from '@tally/money';
import { HOUR_MS, type Account, type BillingHourly } from '@tally/records';
import { accountHourAt, entryKey } from './account-hour.ts';
import type { MonthPeriod } from './billing-month.ts';
import { monthAt } from './month-lookup.ts';
import { MonthTotal } from './month-total.ts';
import type { PriceBook } from './price-book.ts';
import { wins } from './latest-usage.ts';
import {
  BYTES_PER_GB,
  EGRESS_SKU,
  INGRESS_SKU,
  perUnitOf as perUnitOfUnit,
  SECONDS_PER_HOUR,
  shownQuantity,
  usageMeasures,
  type MeasuredUsage,
  type UsageMeasure,
} from './usage-measures.ts';

export interface AccountHoursInput {
  readonly account: Account;
  /** Hours whose usage changed (any order): recomputed from `usage`. */
  readonly hours: Iterable<number>;
  /**
   * Stored values of the account from the start of the month of the first hour computed (others ignored): earlier
   * hours give the month-to-date position; stored hours from `recomputeFrom` on are recomputed.
   */
  readonly stored: ReadonlyMap<number, BillingHourly>;
  /** Stored hours from this hour on are recomputed from their stored quantities (a stale mark; see hourly-refresh). */
  readonly recomputeFrom?: number;
  /**
   * The month's position before the earliest hour in `stored` (from sweepStart), so the month's earlier hours need not
   * be given: the sweep goes on from it exactly as if it had swept them.
   */
  readonly start?: SweepStart;
  /** The account's usage in the changed hours, any versions (only what measures it is read). */
  readonly usage: Iterable<MeasuredUsage>;
  readonly prices: PriceBook;
  /** The version of the new value of an hour, given the stored one. */
  readonly versionOf: (stored: BillingHourly | undefined) => number;
}

export interface AccountHoursResult {
  /** New values to store and publish: the changed hours, and the recomputed stored hours whose value moved. */
  readonly values: BillingHourly[];
  readonly failed: { hourStart: number; error: unknown }[];
  /**
   * The month's position after each changed or recomputed hour that has a value (new or stored), to store with it,
   * whether its value moved or not.
   */
  readonly positions: Map<number, MonthPosition>;
}

/**
 * Where a month stands after an hour, in the sweep's order from the month's first hour: the base units (seconds,
 * bytes; integers) per SKU and the running total of hourTotal. Stored with each hour, so a later batch starts from
 * the last one before its first changed hour instead of summing the month so far (quadratic over a month's replay).
 * It does not depend on prices: the split per price epoch comes from the positions at the epochs' edges.
 */
export interface MonthPosition {
  /** Base units per SKU, as integer strings. */
  readonly u: Readonly<Record<string, string>>;
  /** Running sum of the hours' hourTotal (decimal string). */
  readonly t: string;
}

/** Where a sweep starts: the month's summaries per price epoch and its position before the first hour swept. */
export interface SweepStart {
  readonly period: MonthPeriod;
  readonly epochs: readonly {
    readonly epoch: number;
    readonly hourStart: number;
    readonly units: Map<string, bigint>;
  }[];
  readonly units: Map<string, bigint>;
  readonly total: string;
}

// A PriceBook is immutable: its changes per currency are found once (entries() sorts the whole book each call).
const changesOfBook = new WeakMap<PriceBook, Map<string, readonly number[]>>();

/** The instants at which a price of the account's currency changes, ascending. */
function priceChanges(prices: PriceBook, currency: string): readonly number[] {
  let byCurrency = changesOfBook.get(prices);
  if (byCurrency === undefined) changesOfBook.set(prices, (byCurrency = new Map<string, readonly number[]>()));
  let changes = byCurrency.get(currency);
  if (changes === undefined) {
    changes = [
      ...new Set(
        prices
          .entries()
          .filter((e) => e.currency === currency)
          .map((e) => e.effectiveFrom),
      ),
    ].sort((a, b) => a - b);
    byCurrency.set(currency, changes);
  }
  return changes;
}

/**
 * The instants before which a sweep starting at `cut` needs the month's stored position: each price change inside the
 * month before `cut`, then `cut` itself. For each, the caller looks up the last stored hour of the month before it.
 *
 * @example
 * positionCuts(prices, 'USD', april, aprilFifth); // [aprilFifth] when no USD price changes in April before it
 */
export function positionCuts(prices: PriceBook, currency: string, period: MonthPeriod, cut: number): number[] {
  return [...priceChanges(prices, currency).filter((b) => b > period.start && b < cut), cut];
}

/** How a batch sweeps one account's hours (see planSweep). */
export interface SweepPlan {
  readonly period: MonthPeriod;
  readonly first: number;
  readonly last: number;
  /** Look up the month's last stored hour (and its position) before each of these (positionCuts). */
  readonly cuts: number[];
  /** Stored hours from here on are recomputed in the batch (its account's stale mark, folded in). */
  readonly recomputeFrom: number | undefined;
  readonly folded: boolean;
  /** Once the batch is written, stored hours after staleFrom and before staleEnd are stale. */
  readonly staleFrom: number;
  readonly staleEnd: number;
}

/**
 * How a batch computes an account's changed hours (sorted `hours`), given its stale mark (stored hours after
 * `mark.from`, up to `mark.to`, are outdated: an earlier hour changed after they were computed). The sweep starts
 * from the stored position of the month's last hour before the first changed hour, or before `mark.from` + 1 when
 * that is earlier (later positions are outdated). A mark in the month of the first changed hour, at most the batch's
 * own span (first to last changed hour) plus `foldMs` before it, is recomputed by the batch: a replay reading
 * partitions out of order marks nearly every account with every batch, and folded, the next batch starts near its own
 * hours instead of reading back to the mark (recomputing costs a small multiple of that reading, which the batch would
 * otherwise pay again and again). A farther one (late data into a quiet month) is left to the stale-hours pass, and
 * stays.
 *
 * @example
 * planSweep({ account, hours: [h5, h6], mark: { from: h3, to: h4 }, prices, foldMs: 72 * HOUR }).recomputeFrom; // h3 + 1
 */
export function planSweep(input: {
  readonly account: Pick<Account, 'currency' | 'timeZone'>;
  readonly hours: readonly number[];
  readonly mark: { readonly from: number; readonly to: number } | undefined;
  readonly prices: PriceBook;
  readonly foldMs: number;
}): SweepPlan {
  const { account, hours, mark } = input;
  const first = hours[0]!;
  const last = hours[hours.length - 1]!;
  const period = monthAt(first, account.timeZone);
  const early = mark !== undefined && mark.from < first;
  const folded = early && mark.from >= period.start && first - mark.from <= last - first + input.foldMs;
  return {
    period,
    first,
    last,
    cuts: positionCuts(input.prices, account.currency, period, early ? mark.from + 1 : first),
    recomputeFrom: folded ? mark.from + 1 : undefined,
    folded,
    staleFrom: folded ? last : first,
    staleEnd: monthAt(folded ? Math.max(last, mark.to) : last, account.timeZone).end,
  };
}

/**
 * The sweep's start from the stored positions found for positionCuts: `found[i]` is the last stored hour of the month
 * before `cuts[i]` (undefined: none). Undefined when the sweep must start at the month's first hour: no stored hour
 * before the cut, or one without a position (stored before positions were kept).
 */
export function sweepStart(
  prices: PriceBook,
  currency: string,
  period: MonthPeriod,
  cuts: readonly number[],
  found: readonly ({ hourStart: number; position: MonthPosition | null } | undefined)[],
): SweepStart | undefined {
  const last = found[found.length - 1];
  if (last === undefined || found.some((f) => f !== undefined && f.position === null)) return undefined;
  const changes = priceChanges(prices, currency);
  const epochs: { epoch: number; hourStart: number; units: Map<string, bigint> }[] = [];
  let before: MonthPosition | undefined;
  let beforeHour: number | undefined;
  for (const [i, f] of found.entries()) {
    if (f === undefined || f.hourStart === beforeHour) continue;
    // The stored hours in [cuts[i-1], cuts[i]) are one price epoch: their units are the difference of positions.
    const segmentStart = i === 0 ? period.start : cuts[i - 1]!;
    const units = new Map<string, bigint>();
    for (const [sku, n] of Object.entries(f.position!.u)) {
      const diff = BigInt(n) - BigInt(before?.u[sku] ?? '0');
      if (diff !== 0n) units.set(sku, diff);
    }
    epochs.push({ epoch: changes.filter((c) => c <= segmentStart).length, hourStart: segmentStart, units });
    before = f.position!;
    beforeHour = f.hourStart;
  }
  const position = last.position!;
  return {
    period,
    epochs,
    units: new Map(Object.entries(position.u).map(([sku, n]) => [sku, BigInt(n)])),
    total: position.t,
  };
}

/**
 * accountHour for the changed hours of one account, and for the stored hours from `recomputeFrom` on: a change in an
 * hour moves the tier position and month-to-date of every later hour of its month, so the usage consumer computes the
 * changed hours at once and marks the later ones stale; the stale-hours pass recomputes them from their stored
 * quantities (their usage did not change; no need to load it) and publishes those whose value moved. Once it has
 * run, each published value is a function of the month's data alone, whatever the arrival order and batching.
 *
 * Linear time: hours are swept in order and each gets the month's earlier hours as a few summaries, one per price
 * epoch (a stretch of hours in which no price of the currency changes), instead of every earlier hour. accountHour
 * only needs, per price entry, the quantity used before and the month's total so far, and every hour of an epoch
 * resolves each SKU to the same entry, so the result is the same.
 *
 * @example
 * computeAccountHours({ account, hours: [h1, h2], stored, usage, prices: book, versionOf: (s) => (s?.version ?? 0) + 1 });
 */
export function computeAccountHours(input: AccountHoursInput): AccountHoursResult {
  const { account, prices } = input;
  const wanted = new Set(input.hours);
  const usageByHour = new Map<number, MeasuredUsage[]>();
  for (const u of input.usage) {
    const list = usageByHour.get(u.hourStart) ?? [];
    list.push(u);
    usageByHour.set(u.hourStart, list);
  }
  const changes = priceChanges(prices, account.currency);
  const epochOf = (t: number) => changes.filter((from) => from <= t).length;

  const values: BillingHourly[] = [];
  const failed: { hourStart: number; error: unknown }[] = [];
  const positions = new Map<number, MonthPosition>();
  let period = input.start?.period ?? { start: 0, end: 0 };
  // Per price epoch, the base units of the month's hours so far (accountHour needs the quantity used before per
  // price entry); and the month's units per SKU and running total, whose state after an hour is its position.
  let summaries = new Map<number, { hourStart: number; baseUnits: Map<string, bigint> }>(
    (input.start?.epochs ?? []).map((e) => [e.epoch, { hourStart: e.hourStart, baseUnits: new Map(e.units) }]),
  );
  let monthUnits = new Map(input.start?.units ?? []);
  let monthTotal = new MonthTotal(input.start?.total);
  const add = (value: BillingHourly) => {
    const epoch = epochOf(value.hourStart);
    const summary = summaries.get(epoch) ?? { hourStart: value.hourStart, baseUnits: new Map<string, bigint>() };
    // Summed in whole base units (seconds, bytes), so many hours of thirds never drift across a tier edge.
    for (const l of value.lines) {
      const units = baseUnitsOf(l.sku, l.quantity);
      summary.baseUnits.set(l.sku, (summary.baseUnits.get(l.sku) ?? 0n) + units);
      monthUnits.set(l.sku, (monthUnits.get(l.sku) ?? 0n) + units);
    }
    monthTotal.plus(value.hourTotal);
    summaries.set(epoch, summary);
  };
  const position = (): MonthPosition => ({
    u: Object.fromEntries([...monthUnits].map(([sku, n]) => [sku, n.toString()])),
    t: monthTotal.text(),
  });
  // The month's position before an hour as accountHour would read it from one summary per epoch (hourTotal 0, the
  // month's total so far on the first): per price entry, the quantity used, exact, without the decimal strings.
  const positionBefore = (hourStart: number): { before: Map<string, Rational>; previousTotal: Rational } => {
    const before = new Map<string, Rational>();
    let previousTotal = Rational.ZERO;
    const seen = new Set<number>();
    let i = 0;
    for (const s of summaries.values()) {
      const first = i === 0;
      i += 1;
      // accountHour's filter on previous hours (the month's, before this one, once per hour), kept as it was.
      if (s.hourStart >= hourStart || s.hourStart < period.start || seen.has(s.hourStart)) continue;
      seen.add(s.hourStart);
      if (first) previousTotal = monthTotal.rational();
      for (const [sku, units] of s.baseUnits) {
        const entry = prices.findPriceAt(sku, account.currency, s.hourStart);
        if (entry === undefined) continue;
        const key = entryKey(entry);
        before.set(key, (before.get(key) ?? Rational.ZERO).plus(quantityOfUnits(sku, units, entry.unit)));
      }
    }
    return { before, previousTotal };
  };

  const sweep = [...new Set([...input.stored.keys(), ...wanted])].sort((a, b) => a - b);
  for (const hourStart of sweep) {
    if (hourStart < period.start || hourStart >= period.end) {
      period = monthAt(hourStart, account.timeZone);
      summaries = new Map();
      monthUnits = new Map();
      monthTotal = new MonthTotal(undefined);
    }
    const stored = input.stored.get(hourStart);
    const changed = wanted.has(hourStart);
    const stale = input.recomputeFrom !== undefined && hourStart >= input.recomputeFrom;
    if (!changed && (!stale || stored === undefined)) {
      if (stored !== undefined) add(stored);
      continue;
    }
    try {
      if (hourStart % HOUR_MS !== 0) throw new RangeError(`hourStart is not on the hour: ${hourStart}`);
      const value = accountHourAt({
        account,
        hourStart,
        measures: changed
          ? measuresOf(account.accountId, usageByHour.get(hourStart) ?? [])
          : storedMeasures(account.accountId, stored!),
        ...positionBefore(hourStart),
        prices,
        version: input.versionOf(stored),
      });
      if (changed || stored === undefined || !sameValue(value, stored)) values.push(value);
      add(value);
      positions.set(hourStart, position());
    } catch (error) {
      // Parked with its reason (README "Missing prices"), whatever it is: these hours are also recomputed by the
      // accounts and prices consumers, where failing the batch would make the runtime dead-letter the wrong record.
      failed.push({ hourStart, error });
      if (stored !== undefined) {
        add(stored);
        positions.set(hourStart, position());
      }
    }
  }
  return { values, failed, positions };
}

/**
 * Whether two values of an account-hour say the same (versions aside). Field by field: a value read back from
 * `billing_hourly` (jsonb) has its lines' keys in jsonb's order, not the order accountHour writes them, so comparing
 * their JSON text found every stored hour changed and republished it with a new version on every recompute.
 */
function sameValue(a: BillingHourly, b: BillingHourly): boolean {
  return (
    a.currency === b.currency &&
    a.hourTotal === b.hourTotal &&
    a.monthToDate === b.monthToDate &&
    a.lines.length === b.lines.length &&
    a.lines.every((line, i) => {
      const other = b.lines[i]!;
      return line.sku === other.sku && line.quantity === other.quantity && line.amount === other.amount;
    })
  );
}

const perUnitOf = (sku: string): number => (sku.startsWith('compute.') ? SECONDS_PER_HOUR : BYTES_PER_GB);

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const BIG_PER_UNIT = new Map([
  [SECONDS_PER_HOUR, BigInt(SECONDS_PER_HOUR)],
  [BYTES_PER_GB, BigInt(BYTES_PER_GB)],
]);
/** Below this a product has at most 40 significant digits, so Dec (precision 40) holds it without rounding. */
const DEC_EXACT = 10n ** 40n;

/** A shown quantity back in whole base units: shown with 40 significant digits, it rounds back exactly. */
function baseUnitsOf(sku: string, quantity: string): bigint {
  const perUnit = perUnitOf(sku);
  const big = BIG_PER_UNIT.get(perUnit) ?? BigInt(perUnit);
  const match = PLAIN_DECIMAL.exec(quantity);
  if (match !== null) {
    const fraction = match[2] ?? '';
    if (fraction === '') return BigInt(match[1]!) * big;
    // A terminating quantity whose product is a whole number below 10^40 (a whole number of bytes in GB, of
    // seconds in hours): Dec would compute that very integer. Anything else takes Dec's path, as before.
    const scale = 10n ** BigInt(fraction.length);
    const product = BigInt(match[1]! + fraction) * big;
    if (product % scale === 0n && product < DEC_EXACT * scale) return product / scale;
  }
  return BigInt(new Dec(quantity).times(perUnit).toDecimalPlaces(0).toFixed());
}

/**
 * The measures of a changed hour: per instance, its latest record (latestUsage's rule: highest version, then the
 * greater canonical JSON), records of other accounts ignored, as accountHour reads its usage.
 */
function measuresOf(accountId: string, usage: readonly MeasuredUsage[]): UsageMeasure[] {
  const latest = new Map<string, MeasuredUsage>();
  for (const record of usage) {
    if (record.accountId !== accountId) continue;
    const current = latest.get(record.instanceId);
    if (current === undefined || wins(record, current)) latest.set(record.instanceId, record);
  }
  return [...latest.values()].flatMap(usageMeasures);
}

/**
 * A stored hour's quantities as measures (one per SKU), so a later hour whose usage did not change is recomputed at its
 * new position in the month without loading its usage. Lines of other SKUs measure nothing, as before.
 */
function storedMeasures(accountId: string, value: BillingHourly): UsageMeasure[] {
  if (value.accountId !== accountId) return [];
  return value.lines.flatMap((l): UsageMeasure[] => {
    const known = l.sku.startsWith('compute.') || l.sku === EGRESS_SKU || l.sku === INGRESS_SKU;
    const units = Number(baseUnitsOf(l.sku, l.quantity));
    return known && units > 0 ? [{ sku: l.sku, baseUnits: units, perUnit: perUnitOf(l.sku) }] : [];
  });
}

/** Above this many base units the exact fraction is not taken for granted: the decimal string path decides. */
const EXACT_UNITS = 10n ** 30n;

/**
 * The quantity accountHour read back from an epoch summary's line, whose quantity was written as units / perUnit to
 * 40 digits (Dec) and snapped to the entry's unit grid: that is the fraction units / perUnit itself whenever the
 * entry's unit has the SKU's grid, as the month's SKUs do (a whole number of seconds or bytes, below 10^30).
 */
function quantityOfUnits(sku: string, units: bigint, unit: 'hour' | 'gb'): Rational {
  const perUnit = perUnitOf(sku);
  if (perUnitOfUnit(unit) === perUnit && units < EXACT_UNITS && units > -EXACT_UNITS) {
    return Rational.fraction(units, BigInt(perUnit));
  }
  return shownQuantity(toDecimalString(new Dec(units.toString()).div(perUnit)), unit);
}
