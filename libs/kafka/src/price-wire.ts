import type { PriceEntry, PricingModel } from '@tally/records';

/** The Avro PricingModel record: one flat record whose `kind` says which fields apply. */
interface WirePricingModel {
  kind: PricingModel['kind'];
  unitPrice: string | null;
  tiers: { upTo: string | null; unitPrice: string; flatFee: string }[];
  packageSize: string | null;
  packagePrice: string | null;
}

export function priceEntryToWire(entry: PriceEntry): unknown {
  const model = entry.model;
  const wire: WirePricingModel = {
    kind: model.kind,
    unitPrice: null,
    tiers: [],
    packageSize: null,
    packagePrice: null,
  };
  switch (model.kind) {
    case 'per_unit':
      wire.unitPrice = model.unitPrice;
      break;
    case 'graduated':
    case 'volume':
      wire.tiers = model.tiers.map((tier) => ({ upTo: tier.upTo, unitPrice: tier.unitPrice, flatFee: tier.flatFee }));
      break;
    case 'package':
      wire.packageSize = model.packageSize;
      wire.packagePrice = model.packagePrice;
      break;
  }
  return { ...entry, model: wire };
}

/** Back to the discriminated union; zod then rejects a kind whose fields are missing. */
export function priceEntryFromWire(wire: unknown): unknown {
  const value = wire as { model?: WirePricingModel } & Record<string, unknown>;
  const model = value.model;
  if (!model) return wire;
  switch (model.kind) {
    case 'per_unit':
      return { ...value, model: { kind: model.kind, unitPrice: model.unitPrice } };
    case 'graduated':
    case 'volume':
      return { ...value, model: { kind: model.kind, tiers: model.tiers } };
    case 'package':
      return {
        ...value,
        model: { kind: model.kind, packageSize: model.packageSize, packagePrice: model.packagePrice },
      };
  }
}
