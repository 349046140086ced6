/**
 * Error categories after exoscale/ex: whether retrying can help decides between backoff and dead letter.
 * Transient: the world is temporarily unavailable, busy or interrupted (broker, network, database, registry);
 * the same records succeed later. Deterministic: the record itself is incorrect (does not decode, fails validation,
 * breaks a business rule, makes a pure function or the database's data checks throw) and will be on every retry.
 */
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

/**
 * What the consumer runtime does with an error:
 * - `transient`: retry the same records with backoff, never commit past them (a stall past the retry budget is an
 *   error log and a metric, not a dead letter).
 * - `deterministic`: isolate the offending record (bisect the batch) and dead-letter it as `errorClass`.
 * - `conflict`: another member moved the partition's stored offset; abandon the batch and reload offsets.
 */
export type ErrorClass =
  | { kind: 'transient'; category: 'unavailable' | 'busy' | 'interrupted' | 'fault'; reason: string }
  | { kind: 'deterministic'; category: 'incorrect'; errorClass: string; reason: string }
  | { kind: 'conflict'; reason: string };

/** PostgreSQL SQLSTATE classes and codes that a retry can cure (connection, contention, shutdown, resources). */
const transientSqlStates: readonly RegExp[] = [/^08/, /^40001$/, /^40P01$/, /^40003$/, /^53/, /^55P03$/, /^57/, /^58/];
/** Data exceptions (22: numeric overflow, bad datetime, invalid text) and integrity violations (23) of one record. */
const deterministicSqlStates: readonly RegExp[] = [/^22/, /^23/];
/** kafkajs protocol errors about the records we send, not the broker's health. */
const deterministicKafkaTypes = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);
/** Node system errors of a network that is away or slow. */
const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);
/** Errors of libraries we use that always mean "this input is wrong" (services should prefer `retryable = false`). */
const incorrectInputNames = new Set(['ZodError', 'InvalidDecimalError', 'CurrencyError', 'PricingModelError']);
const transientMessages =
  /timeout|timed out|Connection terminated|connection error|not queryable|socket hang up|fetch failed|ECONNREFUSED|ECONNRESET/i;

/**
 * The one place that decides whether an error is transient or deterministic (ARCHITECTURE invariant 6). The error's
 * cause chain is searched, so a TypeError("fetch failed") caused by ECONNREFUSED is transient. Anything unknown is
 * treated as transient (`fault`): never dead-letter a record we are unsure about; a stall is visible instead.
 *
 * @example
 * classifyError(new RangeError('Invalid time value'))         // { kind: 'deterministic', errorClass: 'RangeError', … }
 * classifyError(Object.assign(new Error('x'), { code: '22003', severity: 'ERROR' })) // deterministic, 'pg.22003'
 * classifyError(Object.assign(new Error('x'), { code: '40001', severity: 'ERROR' })) // { kind: 'transient', category: 'busy', … }
 * classifyError(Object.assign(new Error('x'), { retryable: false }))  // deterministic
 * classifyError(new Error('something odd'))                    // { kind: 'transient', category: 'fault', … }
 */
export function classifyError(error: unknown): ErrorClass {
  const reason = describe(error);
  const chain = causeChain(error);
  for (const link of chain) {
    if (isRecord(link) && link['name'] === 'OffsetConflictError') return { kind: 'conflict', reason };
  }
  // What the code that threw said explicitly comes first: poison, or a `retryable` marker.
  for (const link of chain) {
    if (isPoison(link)) return { kind: 'deterministic', category: 'incorrect', errorClass: link.errorClass, reason };
    if (!isRecord(link)) continue;
    if (link['retryable'] === false) {
      const errorClass = typeof link['name'] === 'string' ? link['name'] : 'Error';
      return { kind: 'deterministic', category: 'incorrect', errorClass, reason };
    }
    if (link['retryable'] === true) return { kind: 'transient', category: 'unavailable', reason };
  }
  // Then transient causes win: a TypeError or a wrapper whose cause is a refused connection is the network, not the data.
  for (const link of chain) {
    const transient = transientCategory(link);
    if (transient !== undefined) return { kind: 'transient', category: transient, reason };
  }
  for (const link of chain) {
    const errorClass = deterministicClass(link);
    if (errorClass !== undefined) return { kind: 'deterministic', category: 'incorrect', errorClass, reason };
  }
  return { kind: 'transient', category: 'fault', reason };
}

function transientCategory(error: unknown): 'unavailable' | 'busy' | 'interrupted' | undefined {
  if (!isRecord(error)) return undefined;
  const code = error['code'];
  if (typeof code === 'string') {
    if (isSqlState(error, code)) {
      if (!transientSqlStates.some((pattern) => pattern.test(code))) return undefined;
      if (code === '57014') return 'interrupted'; // statement timeout or cancel
      return code.startsWith('08') || code.startsWith('57') ? 'unavailable' : 'busy';
    }
    if (networkCodes.has(code)) return 'unavailable';
  }
  const name = typeof error['name'] === 'string' ? error['name'] : '';
  if (name.startsWith('KafkaJS')) {
    const type = error['type'];
    if (typeof type === 'string' && deterministicKafkaTypes.has(type)) return undefined;
    // Retriable broker errors, connection and request timeouts; a non-retriable wrapper is judged by its cause.
    if (error['retriable'] === true || name === 'KafkaJSConnectionError' || name === 'KafkaJSRequestTimeoutError')
      return 'unavailable';
    return undefined;
  }
  // The registry client (mappersmith) reports HTTP statuses: 5xx, 429 and 408 say "later".
  const status = error['status'];
  if (typeof status === 'number' && (status >= 500 || status === 429 || status === 408)) return 'unavailable';
  const message = typeof error['message'] === 'string' ? error['message'] : '';
  const pureFailure = error instanceof RangeError || error instanceof SyntaxError;
  if (error instanceof Error && !pureFailure && transientMessages.test(message)) return 'interrupted';
  return undefined;
}

function deterministicClass(error: unknown): string | undefined {
  if (!isRecord(error)) return undefined;
  const name = typeof error['name'] === 'string' ? error['name'] : 'Error';
  const code = error['code'];
  if (typeof code === 'string' && isSqlState(error, code) && deterministicSqlStates.some((p) => p.test(code)))
    return `pg.${code}`;
  const type = error['type'];
  if (name.startsWith('KafkaJS') && typeof type === 'string' && deterministicKafkaTypes.has(type)) return type;
  if (error instanceof RangeError || error instanceof TypeError || error instanceof SyntaxError) return name;
  if (incorrectInputNames.has(name)) return name;
  if (typeof error['message'] === 'string' && error['message'].startsWith('[DecimalError]')) return 'DecimalError';
  return undefined;
}

/** pg's DatabaseError carries the SQLSTATE in `code` and a `severity`; Node's system errors have codes like EPIPE. */
function isSqlState(error: Record<string, unknown>, code: string): boolean {
  return /^[0-9A-Z]{5}$/.test(code) && typeof error['severity'] === 'string';
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    // Node reports a refused dual-stack connect as an AggregateError of per-address errors.
    if (current instanceof AggregateError) chain.push(...(current.errors as unknown[]).slice(0, 4));
    current = isRecord(current) ? current['cause'] : undefined;
  }
  return chain;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
  }
  return String(error);
}
