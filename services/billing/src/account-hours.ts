import { Dec, toDecimalString } from '@tally/money';
import type { Account, BillingHourly, UsageHourly } from '@tally/records';
import { accountHour } from './account-hour.ts';
import { monthOf, monthPeriod } from './billing-month.ts';
import type { PriceBook } from './price-book.ts';
import { BYTES_PER_GB, EGRESS_SKU, INGRESS_SKU, SECONDS_PER_HOUR } from './usage-measures.ts';

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
  /** The account's usage in the changed hours, any versions. */
  readonly usage: Iterable<UsageHourly>;
  readonly prices: PriceBook;
  /** The version of the new value of an hour, given the stored one. */
  readonly versionOf: (stored: BillingHourly | undefined) => number;
  /**
   * The month's position after the stored hours before the first swept one (the `position` stored with the latest
   * of them, see monthPosition): `stored` then needs only the hours after it, so a month that grows hour by hour
   * costs linear time, not quadratic. Ignored unless positionUsable says it still holds.
   */
  readonly start?: MonthPosition;
}

/**
 * Where an account's month stands after an hour: per price epoch, its first hour, the summed base units per SKU and
 * the summed hour totals, exactly as the sweep below accumulates them. `fingerprint` names what the epochs depend on
 * (currency, time zone, month, the currency's price changes within the month so far): a position whose fingerprint
 * differs is not used.
 */
export interface MonthPosition {
  readonly fingerprint: string;
  readonly summaries: readonly {
    readonly h: number;
    readonly u: Readonly<Record<string, string>>;
    readonly t: string;
  }[];
}

export interface AccountHoursResult {
  /** New values to store and publish: the changed hours, and the recomputed stored hours whose value moved. */
  readonly values: BillingHourly[];
  readonly failed: { hourStart: number; error: unknown }[];
  /** The month's position after each hour computed (changed, recomputed or failed), to store with it. */
  readonly positions: Map<number, MonthPosition>;
}

/** The price changes that split a currency's hours into epochs, ascending. */
function priceChanges(prices: PriceBook, currency: string): number[] {
  return [
    ...new Set(
      prices
        .entries()
        .filter((e) => e.currency === currency)
        .map((e) => e.effectiveFrom),
    ),
  ].sort((a, b) => a - b);
}

function fingerprintOf(account: Account, changes: readonly number[], periodStart: number, hourStart: number): string {
  const within = changes.filter((t) => t > periodStart && t <= hourStart);
  return `${account.currency}|${account.timeZone}|${periodStart}|${within.join(',')}`;
}

/**
 * Whether a position stored with the account's hour `hourStart` may start a sweep now: same currency, time zone and
 * month, and no price change within the month since (which would split its epochs differently).
 *
 * @example
 * positionUsable(row.position, account, book, row.hourStart); // false after a price change inside the month
 */
export function positionUsable(
  position: MonthPosition | null | undefined,
  account: Account,
  prices: PriceBook,
  hourStart: number,
): position is MonthPosition {
  if (position === null || position === undefined) return false;
  const period = monthPeriod(monthOf(hourStart, account.timeZone), account.timeZone);
  return (
    position.fingerprint === fingerprintOf(account, priceChanges(prices, account.currency), period.start, hourStart)
  );
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
  const usageByHour = new Map<number, UsageHourly[]>();
  for (const u of input.usage) {
    const list = usageByHour.get(u.hourStart) ?? [];
    list.push(u);
    usageByHour.set(u.hourStart, list);
  }
  const changes = priceChanges(prices, account.currency);
  const epochOf = (t: number) => changes.filter((from) => from <= t).length;
  const positions = new Map<number, MonthPosition>();

  const values: BillingHourly[] = [];
  const failed: { hourStart: number; error: unknown }[] = [];
  let period = { start: 0, end: 0 };
  let summaries = new Map<number, { hourStart: number; baseUnits: Map<string, Dec>; total: Dec }>();
  const add = (value: BillingHourly) => {
    const epoch = epochOf(value.hourStart);
    const summary = summaries.get(epoch) ?? {
      hourStart: value.hourStart,
      baseUnits: new Map<string, Dec>(),
      total: new Dec(0),
    };
    // Summed in whole base units (seconds, bytes), so many hours of thirds never drift across a tier edge.
    for (const l of value.lines) {
      summary.baseUnits.set(l.sku, (summary.baseUnits.get(l.sku) ?? new Dec(0)).plus(baseUnitsOf(l.sku, l.quantity)));
    }
    summary.total = summary.total.plus(value.hourTotal);
    summaries.set(epoch, summary);
  };
  const previousHours = (): BillingHourly[] =>
    [...summaries.values()].map((s) => ({
      accountId: account.accountId,
      hourStart: s.hourStart,
      currency: account.currency,
      lines: [...s.baseUnits].map(([sku, units]) => ({
        sku,
        quantity: toDecimalString(units.div(perUnitOf(sku))),
        amount: '0',
      })),
      hourTotal: toDecimalString(s.total),
      monthToDate: '0',
      version: 0,
    }));

  const positionAfter = (hourStart: number): MonthPosition => ({
    fingerprint: fingerprintOf(account, changes, period.start, hourStart),
    summaries: [...summaries.values()].map((s) => ({
      h: s.hourStart,
      u: Object.fromEntries([...s.baseUnits].map(([sku, units]) => [sku, units.toFixed()])),
      t: s.total.toFixed(),
    })),
  });

  const sweep = [...new Set([...input.stored.keys(), ...wanted])].sort((a, b) => a - b);
  let start = input.start;
  for (const hourStart of sweep) {
    if (hourStart < period.start || hourStart >= period.end) {
      period = monthPeriod(monthOf(hourStart, account.timeZone), account.timeZone);
      summaries = new Map();
      // The first month may start from a stored position: the same sums the earlier hours would have given.
      if (start !== undefined && start.fingerprint.split('|')[2] === String(period.start)) {
        for (const s of start.summaries) {
          summaries.set(epochOf(s.h), {
            hourStart: s.h,
            baseUnits: new Map(Object.entries(s.u).map(([sku, units]) => [sku, new Dec(units)])),
            total: new Dec(s.t),
          });
        }
      }
      start = undefined;
    }
    const stored = input.stored.get(hourStart);
    const changed = wanted.has(hourStart);
    const stale = input.recomputeFrom !== undefined && hourStart >= input.recomputeFrom;
    if (!changed && (!stale || stored === undefined)) {
      if (stored !== undefined) add(stored);
      continue;
    }
    try {
      const value = accountHour({
        account,
        hourStart,
        usage: changed ? (usageByHour.get(hourStart) ?? []) : storedAsUsage(stored!),
        previousHours: previousHours(),
        prices,
        version: input.versionOf(stored),
      });
      if (changed || stored === undefined || !sameValue(value, stored)) values.push(value);
      add(value);
    } catch (error) {
      // Parked with its reason (README "Missing prices"), whatever it is: these hours are also recomputed by the
      // accounts and prices consumers, where failing the batch would make the runtime dead-letter the wrong record.
      failed.push({ hourStart, error });
      if (stored !== undefined) add(stored);
    }
    positions.set(hourStart, positionAfter(hourStart));
  }
  return { values, failed, positions };
}

/** Whether two values of an account-hour say the same (versions aside). */
function sameValue(a: BillingHourly, b: BillingHourly): boolean {
  return (
    a.currency === b.currency &&
    a.hourTotal === b.hourTotal &&
    a.monthToDate === b.monthToDate &&
    JSON.stringify(a.lines) === JSON.stringify(b.lines)
  );
}

const perUnitOf = (sku: string): number => (sku.startsWith('compute.') ? SECONDS_PER_HOUR : BYTES_PER_GB);

/** A shown quantity back in whole base units: shown with 40 significant digits, it rounds back exactly. */
function baseUnitsOf(sku: string, quantity: string): Dec {
  return new Dec(quantity).times(perUnitOf(sku)).toDecimalPlaces(0);
}

/**
 * A stored hour's quantities as usage records (one per SKU), so a later hour whose usage did not change is recomputed
 * by accountHour itself at its new position in the month, without loading its usage.
 */
function storedAsUsage(value: BillingHourly): UsageHourly[] {
  return value.lines.map((l, i) => {
    const units = Number(baseUnitsOf(l.sku, l.quantity).toFixed());
    return {
      instanceId: `stored-line-${i}`,
      accountId: value.accountId,
      hourStart: value.hourStart,
      instanceType: l.sku.startsWith('compute.') ? l.sku.slice('compute.'.length) : 'none',
      runningSeconds: l.sku.startsWith('compute.') ? units : 0,
      txBytes: l.sku === EGRESS_SKU ? units : 0,
      rxBytes: l.sku === INGRESS_SKU ? units : 0,
      rxPackets: 0,
      txPackets: 0,
      cpuSeconds: '0',
      counted: [],
      version: 0,
    };
  });
}
