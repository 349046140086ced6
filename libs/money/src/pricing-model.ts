import { decimal } from './decimal.ts';
import { MAX_PRICE_SCALE, MAX_PRICE_VALUE, MAX_QUANTITY } from './money-limits.ts';
import { Rational, type RationalInput } from './rational.ts';

/** One tier; `upTo` is inclusive, null for the last, open-ended tier. `flatFee` is charged once when any quantity falls in the tier. */
export interface PriceTier {
  readonly upTo: string | null;
  readonly unitPrice: string;
  readonly flatFee?: string;
}

/**
 * How a quantity becomes an amount. Structurally the PricingModel of @tally/records (which this
 * library does not depend on), so records' values can be passed as they are.
 */
export type PricingModel =
  | { readonly kind: 'per_unit'; readonly unitPrice: string }
  | { readonly kind: 'graduated'; readonly tiers: readonly PriceTier[] }
  | { readonly kind: 'volume'; readonly tiers: readonly PriceTier[] }
  | { readonly kind: 'package'; readonly packageSize: string; readonly packagePrice: string };

export interface PricingModelProblem {
  /** Where in the model, e.g. ['tiers', 2, 'upTo']. */
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export class PricingModelError extends Error {
  override readonly name = 'PricingModelError';
  readonly problems: readonly PricingModelProblem[];
  constructor(problems: readonly PricingModelProblem[]) {
    super(`invalid pricing model: ${problems.map((p) => `${p.path.join('.') || '(model)'}: ${p.message}`).join('; ')}`);
    this.problems = problems;
  }
}

function tryRational(value: string): Rational | undefined {
  try {
    decimal(value); // the strict decimal-string check
    return Rational.from(value);
  } catch {
    return undefined;
  }
}

function fractionDigits(value: string): number {
  const point = value.indexOf('.');
  return point === -1 ? 0 : value.length - point - 1;
}

/**
 * Everything wrong with a model, with paths, so a price book file can name each bad field.
 * Tiers must have strictly ascending `upTo` values, all positive, and only the last tier open-ended (null).
 * Every number must be below MAX_PRICE_VALUE (10^12) with at most MAX_PRICE_SCALE (12) decimals.
 *
 * @example
 * pricingModelProblems({ kind: 'volume', tiers: [{ upTo: '10', unitPrice: '1' }] });
 * // [{ path: ['tiers', 0, 'upTo'], message: 'the last tier must be open-ended (upTo: null)' }]
 */
export function pricingModelProblems(model: PricingModel): PricingModelProblem[] {
  const problems: PricingModelProblem[] = [];
  const nonNegative = (value: string, path: (string | number)[]): Rational | undefined => {
    const d = tryRational(value);
    if (d === undefined) problems.push({ path, message: `not a decimal string: ${JSON.stringify(value)}` });
    else if (d.isNegative()) problems.push({ path, message: 'must not be negative' });
    else if (d.gte(MAX_PRICE_VALUE)) problems.push({ path, message: `must be below ${MAX_PRICE_VALUE}` });
    else if (fractionDigits(value) > MAX_PRICE_SCALE)
      problems.push({ path, message: `at most ${MAX_PRICE_SCALE} decimals` });
    return d;
  };
  switch (model.kind) {
    case 'per_unit':
      nonNegative(model.unitPrice, ['unitPrice']);
      break;
    case 'package': {
      const size = nonNegative(model.packageSize, ['packageSize']);
      if (size?.isZero() === true) problems.push({ path: ['packageSize'], message: 'must be greater than 0' });
      nonNegative(model.packagePrice, ['packagePrice']);
      break;
    }
    case 'graduated':
    case 'volume': {
      if (model.tiers.length === 0) problems.push({ path: ['tiers'], message: 'needs at least one tier' });
      let previous: Rational | undefined;
      model.tiers.forEach((tier, i) => {
        nonNegative(tier.unitPrice, ['tiers', i, 'unitPrice']);
        if (tier.flatFee !== undefined) nonNegative(tier.flatFee, ['tiers', i, 'flatFee']);
        const last = i === model.tiers.length - 1;
        if (tier.upTo === null) {
          if (!last)
            problems.push({ path: ['tiers', i, 'upTo'], message: 'only the last tier may be open-ended (null)' });
          return;
        }
        if (last)
          problems.push({ path: ['tiers', i, 'upTo'], message: 'the last tier must be open-ended (upTo: null)' });
        const upTo = nonNegative(tier.upTo, ['tiers', i, 'upTo']);
        if (upTo === undefined) return;
        if (upTo.isZero()) problems.push({ path: ['tiers', i, 'upTo'], message: 'must be greater than 0' });
        if (previous !== undefined && upTo.lte(previous)) {
          problems.push({
            path: ['tiers', i, 'upTo'],
            message: `tiers must ascend: ${upTo.toString()} is not above ${previous.toString()}`,
          });
        }
        previous = upTo;
      });
      break;
    }
  }
  return problems;
}

/** Throws PricingModelError listing every problem; returns the model otherwise. */
export function assertValidPricingModel<M extends PricingModel>(model: M): M {
  const problems = pricingModelProblems(model);
  if (problems.length > 0) throw new PricingModelError(problems);
  return model;
}

/** A validated model with its numbers parsed once: the hot path (every hour, every draft) never re-parses. */
type ParsedModel =
  | { readonly kind: 'per_unit'; readonly unitPrice: Rational }
  | { readonly kind: 'package'; readonly packageSize: Rational; readonly packagePrice: Rational }
  | {
      readonly kind: 'graduated' | 'volume';
      readonly tiers: readonly { upTo: Rational | null; unitPrice: Rational; flatFee: Rational }[];
    };

// Models are immutable values (price book entries); a parse is valid for as long as the object lives.
const parsedModels = new WeakMap<PricingModel, ParsedModel>();

function parsed(model: PricingModel): ParsedModel {
  const known = parsedModels.get(model);
  if (known !== undefined) return known;
  assertValidPricingModel(model);
  const r = (text: string): Rational => Rational.from(text);
  let result: ParsedModel;
  switch (model.kind) {
    case 'per_unit':
      result = { kind: 'per_unit', unitPrice: r(model.unitPrice) };
      break;
    case 'package':
      result = { kind: 'package', packageSize: r(model.packageSize), packagePrice: r(model.packagePrice) };
      break;
    case 'graduated':
    case 'volume':
      result = {
        kind: model.kind,
        tiers: model.tiers.map((t) => ({
          upTo: t.upTo === null ? null : r(t.upTo),
          unitPrice: r(t.unitPrice),
          flatFee: r(t.flatFee ?? '0'),
        })),
      };
      break;
  }
  parsedModels.set(model, result);
  return result;
}

function quantityOf(quantity: RationalInput): Rational {
  const q = Rational.from(quantity);
  if (q.isNegative()) throw new RangeError(`cannot price a negative quantity: ${q.toString()}`);
  if (q.gte(MAX_QUANTITY)) throw new RangeError(`quantity ${q.toString()} is not below the limit ${MAX_QUANTITY}`);
  return q;
}

/**
 * The exact amount for a quantity: a Rational, never rounded or cut (round it once, with roundToMinor). The quantity
 * may be a Rational (hours = seconds / 3600 is one) or a decimal; it must be below MAX_QUANTITY (10^16). Zero quantity
 * always costs 0: a tier's flat fee is charged only when some quantity falls in it.
 *
 * - per_unit: q × unitPrice
 * - graduated: each tier's portion of q at that tier's price, plus the flat fee of every tier touched
 * - volume: all of q at the price of the tier q falls in, plus that tier's flat fee
 * - package: ceil(q / packageSize) × packagePrice
 *
 * @example
 * const tiers = [{ upTo: '100', unitPrice: '0' }, { upTo: null, unitPrice: '0.08' }];
 * priceQuantity({ kind: 'graduated', tiers }, '150').toString(); // '4'
 * priceQuantity({ kind: 'volume', tiers }, '150').toString(); // '12'
 * priceQuantity({ kind: 'per_unit', unitPrice: '0.03' }, Rational.fraction(6600n, 3600n)).toString(); // '0.055'
 */
export function priceQuantity(model: PricingModel, quantity: RationalInput): Rational {
  const q = quantityOf(quantity);
  const m = parsed(model);
  if (q.isZero()) return Rational.ZERO;
  switch (m.kind) {
    case 'per_unit':
      return q.times(m.unitPrice);
    case 'package':
      return Rational.from(q.div(m.packageSize).ceil()).times(m.packagePrice);
    case 'graduated': {
      let amount = Rational.ZERO;
      let lower = Rational.ZERO;
      for (const tier of m.tiers) {
        if (q.lte(lower)) break;
        const upper = tier.upTo === null ? q : Rational.min(q, tier.upTo);
        amount = amount.plus(upper.minus(lower).times(tier.unitPrice)).plus(tier.flatFee);
        if (tier.upTo === null) break;
        lower = tier.upTo;
      }
      return amount;
    }
    case 'volume': {
      const tier = m.tiers.find((t) => t.upTo === null || q.lte(t.upTo));
      // Validation guarantees an open-ended last tier, so a tier is always found.
      if (tier === undefined) throw new PricingModelError([{ path: ['tiers'], message: 'no tier holds the quantity' }]);
      return q.times(tier.unitPrice).plus(tier.flatFee);
    }
  }
}

/**
 * What `added` more costs after `before` has already been priced in the same period, exactly:
 * price(before + added) − price(before). Summed over a period's increments it telescopes to price(total),
 * which is what an hourly preview needs for tiered models.
 *
 * @example
 * const tiers = [{ upTo: '100', unitPrice: '0' }, { upTo: null, unitPrice: '0.08' }];
 * marginalAmount({ kind: 'graduated', tiers }, '90', '20').toString(); // '0.8'
 */
export function marginalAmount(model: PricingModel, before: RationalInput, added: RationalInput): Rational {
  const b = Rational.from(before);
  const a = Rational.from(added);
  const total = b.plus(a);
  // Checked in priceQuantity's order (quantity, model, then the quantity before), so the same errors are thrown.
  quantityOf(total);
  const m = parsed(model);
  if (m.kind === 'per_unit') {
    // (b + a)·p − b·p is a·p exactly: the hot path (every line of every hour) skips two products and a difference.
    quantityOf(b);
    return a.times(m.unitPrice);
  }
  return priceQuantity(model, total).minus(priceQuantity(model, b));
}
