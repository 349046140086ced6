/**
 * Error categories after exoscale/ex: whether retrying can help decides between backoff and dead letter.
 * Retryable: the world is temporarily unavailable (broker, network, database). Poison: the record itself
 * is wrong (does not decode, fails validation, breaks a business rule) and will be wrong on every retry.
 */
export type ErrorCategory = 'retryable' | 'poison';

export class PoisonRecordError extends Error {
  override readonly name = 'PoisonRecordError';
  readonly errorClass: string;
  constructor(errorClass: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.errorClass = errorClass;
  }
}

export function poison(errorClass: string, message: string, cause?: unknown): PoisonRecordError {
  return new PoisonRecordError(errorClass, message, cause === undefined ? undefined : { cause });
}

export function isPoison(error: unknown): error is PoisonRecordError {
  return error instanceof PoisonRecordError;
}

/** Anything not known to be poison is treated as retryable: never skip a record we are unsure about. */
export function categorize(error: unknown): ErrorCategory {
  return isPoison(error) ? 'poison' : 'retryable';
}
