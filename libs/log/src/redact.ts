/**
 * Credentials out of logs and error messages. Two nets: keys that name a secret are censored whatever their value
 * (pino's `redact`, see `redactPaths`), and any `scheme://user:password@host` inside a string loses its user info
 * (a DATABASE_URL quoted in an error message, a registry URL in a log field).
 */

export const CENSOR = '[redacted]';

/** Keys whose values are secrets, at the top of a log line or one level down (`sasl.password`, `config.DATABASE_URL`). */
const secretKeys = [
  'password',
  'passwd',
  'secret',
  'token',
  'authorization',
  'connectionString',
  'DATABASE_URL',
  'SCHEMA_REGISTRY_URL',
  'KAFKA_SASL_PASSWORD',
  'SCHEMA_REGISTRY_PASSWORD',
];
export const redactPaths: string[] = secretKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/**
 * The URL without user info, for logs and error messages.
 *
 * @example
 * redactUrl('http://user:s3cret@registry:8081/apis'); // 'http://registry:8081/apis'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<unparseable URL>';
  }
}

// scheme://user:password@ (no '/', '@' or white space in either): the user info goes, the rest stays. A user name
// alone (postgres://postgres@host) is no secret and says who connects, so it stays.
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'":]*:[^\s/@'"]*@/gi;

/**
 * Every URL in `text` without its user info.
 *
 * @example
 * redactUrlsIn('connect postgres://app:pw@db:5432/x failed'); // 'connect postgres://db:5432/x failed'
 */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_USER_INFO, '$1');
}

/** A copy of `value` with URL credentials removed from every string in it (errors become plain objects). */
export function redactDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactUrlsIn(value);
  if (value === null || typeof value !== 'object' || depth > 6) return value;
  if (value instanceof Error) return redactDeep(errorFields(value), depth);
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, depth + 1));
  // Buffers, dates and other class instances are left to pino's own serialization.
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = redactDeep(item, depth + 1);
  return copy;
}

function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = { type: error.name, message: error.message, stack: error.stack };
  for (const [key, item] of Object.entries(error)) fields[key] = item;
  if (error.cause !== undefined) fields['cause'] = error.cause;
  return fields;
}
