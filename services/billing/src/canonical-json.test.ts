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
});
