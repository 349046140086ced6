/**
 * No price is in force for a SKU in a currency at an instant. A business-rule failure, not a transient one:
 * retrying cannot help, so the runtime sends the record to its dead-letter topic (`retryable` says so).
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
