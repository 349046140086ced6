import { Dec, decimal, type DecimalInput } from './decimal.ts';

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

function tryDecimal(value: string): Dec | undefined {
  try {
    return decimal(value);
  } catch {
    return undefined;
  }
}

/**
 * Everything wrong with a model, with paths, so a price book file can name each bad field.
 * Tiers must have strictly ascending `upTo` values, all positive, and only the last tier open-ended (null).
 *
 * @example
 * pricingModelProblems({ kind: 'volume', tiers: [{ upTo: '10', unitPrice: '1' }] });
 * // [{ path: ['tiers', 0, 'upTo'], message: 'the last tier must be open-ended (upTo: null)' }]
 */
export function pricingModelProblems(model: PricingModel): PricingModelProblem[] {
  const problems: PricingModelProblem[] = [];
  const nonNegative = (value: string, path: (string | number)[]): Dec | undefined => {
    const d = tryDecimal(value);
    if (d === undefined) problems.push({ path, message: `not a decimal string: ${JSON.stringify(value)}` });
    else if (d.isNegative()) problems.push({ path, message: 'must not be negative' });
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
      let previous: Dec | undefined;
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
            message: `tiers must ascend: ${upTo.toFixed()} is not above ${previous.toFixed()}`,
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

const fee = (tier: PriceTier): Dec => decimal(tier.flatFee ?? '0');

/**
 * The amount for a quantity, at full precision (no rounding). Zero quantity always costs 0: a tier's
 * flat fee is charged only when some quantity falls in it.
 *
 * - per_unit: q × unitPrice
 * - graduated: each tier's portion of q at that tier's price, plus the flat fee of every tier touched
 * - volume: all of q at the price of the tier q falls in, plus that tier's flat fee
 * - package: ceil(q / packageSize) × packagePrice
 *
 * @example
 * const tiers = [{ upTo: '100', unitPrice: '0' }, { upTo: null, unitPrice: '0.08' }];
 * priceQuantity({ kind: 'graduated', tiers }, '150').toFixed(); // '4'
 * priceQuantity({ kind: 'volume', tiers }, '150').toFixed(); // '12'
 */
export function priceQuantity(model: PricingModel, quantity: DecimalInput): Dec {
  const q = decimal(quantity);
  if (q.isNegative()) throw new RangeError(`cannot price a negative quantity: ${q.toFixed()}`);
  assertValidPricingModel(model);
  if (q.isZero()) return new Dec(0);
  switch (model.kind) {
    case 'per_unit':
      return q.times(model.unitPrice);
    case 'package': {
      // ceil(q / size) computed so that a quotient rounded at 40 digits cannot hide a partial package.
      const whole = q.div(model.packageSize).floor();
      const packages = whole.times(model.packageSize).lt(q) ? whole.plus(1) : whole;
      return packages.times(model.packagePrice);
    }
    case 'graduated': {
      let amount = new Dec(0);
      let lower = new Dec(0);
      for (const tier of model.tiers) {
        if (q.lte(lower)) break;
        const upper = tier.upTo === null ? q : Dec.min(q, tier.upTo);
        amount = amount.plus(upper.minus(lower).times(tier.unitPrice)).plus(fee(tier));
        if (tier.upTo === null) break;
        lower = decimal(tier.upTo);
      }
      return amount;
    }
    case 'volume': {
      const tier = model.tiers.find((t) => t.upTo === null || q.lte(t.upTo));
      // Validation guarantees an open-ended last tier, so a tier is always found.
      if (tier === undefined) throw new PricingModelError([{ path: ['tiers'], message: 'no tier holds the quantity' }]);
      return q.times(tier.unitPrice).plus(fee(tier));
    }
  }
}

/**
 * What `added` more costs after `before` has already been priced in the same period:
 * price(before + added) − price(before). Summed over a period's increments it telescopes to price(total),
 * which is what an hourly preview needs for tiered models.
 *
 * @example
 * const tiers = [{ upTo: '100', unitPrice: '0' }, { upTo: null, unitPrice: '0.08' }];
 * marginalAmount({ kind: 'graduated', tiers }, '90', '20').toFixed(); // '0.8'
 */
export function marginalAmount(model: PricingModel, before: DecimalInput, added: DecimalInput): Dec {
  const b = decimal(before);
  return priceQuantity(model, b.plus(decimal(added))).minus(priceQuantity(model, b));
}
