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
}

export interface AccountHoursResult {
  /** New values to store and publish: the changed hours, and the recomputed stored hours whose value moved. */
  readonly values: BillingHourly[];
  readonly failed: { hourStart: number; error: unknown }[];
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
  const changes = [
    ...new Set(
      prices
        .entries()
        .filter((e) => e.currency === account.currency)
        .map((e) => e.effectiveFrom),
    ),
  ].sort((a, b) => a - b);
  const epochOf = (t: number) => changes.filter((from) => from <= t).length;

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

  const sweep = [...new Set([...input.stored.keys(), ...wanted])].sort((a, b) => a - b);
  for (const hourStart of sweep) {
    if (hourStart < period.start || hourStart >= period.end) {
      period = monthPeriod(monthOf(hourStart, account.timeZone), account.timeZone);
      summaries = new Map();
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
  }
  return { values, failed };
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
