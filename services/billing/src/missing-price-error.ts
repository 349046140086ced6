/**
 * No price is in force for a SKU in a currency at an instant. Not transient (`retryable = false`), but not the usage
 * record's fault either: billing catches it and parks the account-hour until the price arrives (README, "Missing
 * prices"); the planner keeps the month draft. If one ever escaped to the consumer runtime, `retryable = false` would
 * make it a dead letter rather than a retry loop.
 */
export class MissingPriceError extends Error {
  override readonly name = 'MissingPriceError';
  readonly retryable = false;
  readonly sku: string;
  readonly currency: string;
  /** Epoch ms of the lookup, or null for a lookup by entry key. */
  readonly at: number | null;
  constructor(sku: string, currency: string, at: number | null, detail?: string) {
    super(
      detail ?? `no price for ${sku} in ${currency} at ${at === null ? '(unknown time)' : new Date(at).toISOString()}`,
    );
    this.sku = sku;
    this.currency = currency;
    this.at = at;
  }
}
