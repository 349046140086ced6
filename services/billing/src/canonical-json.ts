import { createHash } from 'node:crypto';

export type Json = string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json };

/**
 * JSON with object keys sorted (by UTF-16 code unit, not locale) and no whitespace, so equal values
 * serialize to equal bytes. Arrays keep their order: callers fix it. Rejects undefined, functions,
 * non-finite and unsafe-integer numbers, which JSON would silently change.
 *
 * @example
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  // Loops and string appends rather than map/join: every finalized invoice is serialized to hash it, and the
  // intermediate arrays were most of the cost. The default sort compares UTF-16 code units, as the order requires.
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || (Number.isInteger(value) && !Number.isSafeInteger(value))) {
      throw new TypeError(`not canonically serializable: ${value}`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i += 1) text += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${text}]`;
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const record = value as Record<string, unknown>;
    let text = '{';
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i]!;
      text += `${i === 0 ? '' : ','}${JSON.stringify(key)}:${canonicalJson(record[key])}`;
    }
    return `${text}}`;
  }
  throw new TypeError(`not canonically serializable: ${typeof value}`);
}

/**
 * SHA-256 (hex) of the canonical JSON: equal hashes mean byte-identical documents.
 *
 * @example
 * contentHash({ a: 1 }); // '015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862'
 */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
