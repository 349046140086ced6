import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentHash } from './canonical-json.ts';

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [{ y: null, x: 'é' }, true] })).toBe('{"a":[{"x":"é","y":null},true],"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('refuses what JSON would silently change', () => {
    expect(() => canonicalJson({ a: undefined })).toThrowError(TypeError);
    expect(() => canonicalJson(Number.NaN)).toThrowError(TypeError);
    expect(() => canonicalJson(2 ** 60)).toThrowError(TypeError);
  });

  it('hashes with SHA-256', () => {
    expect(contentHash({ a: 1 })).toBe('015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862');
  });

  it('is the JSON of the value with keys sorted by code unit at every depth, for any JSON value', () => {
    // The definition, spelled out plainly (object keys cannot be re-sorted through an object: integer-like keys
    // always come first there).
    const reference = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      if (value === null || typeof value !== 'object') return JSON.stringify(value);
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${keys.map((key) => `${JSON.stringify(key)}:${reference(record[key])}`).join(',')}}`;
    };
    const safe = (value: unknown): boolean =>
      typeof value === 'number'
        ? !Number.isInteger(value) || Number.isSafeInteger(value)
        : Array.isArray(value)
          ? value.every(safe)
          : value === null || typeof value !== 'object' || Object.values(value).every(safe);
    fc.assert(
      fc.property(fc.jsonValue().filter(safe), (value) => {
        const text = canonicalJson(value);
        expect(text).toBe(reference(value));
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});
