import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PriceBook } from './price-book.ts';
import { parsePriceBookFile, PriceBookFileError } from './price-book-file.ts';
import { at } from './test-fixtures.ts';

const demoPath = new URL('../price-books/demo.yaml', import.meta.url);

function problemsOf(text: string): { path: string; message: string }[] {
  try {
    parsePriceBookFile(text, 'bad.yaml');
  } catch (error) {
    if (error instanceof PriceBookFileError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a PriceBookFileError');
}

describe('parsePriceBookFile', () => {
  it('reads the demo price book', () => {
    const entries = parsePriceBookFile(readFileSync(demoPath, 'utf8'), 'demo.yaml');
    expect(entries).toHaveLength(12);
    const book = PriceBook.from(entries);
    expect(book.priceAt('compute.g1.large', 'USD', at('2025-02-28T23:00:00Z')).model).toEqual({
      kind: 'per_unit',
      unitPrice: '1.2500',
    });
    expect(book.priceAt('compute.g1.large', 'EUR', at('2025-03-01T00:00:00Z')).model).toEqual({
      kind: 'per_unit',
      unitPrice: '0.9100',
    });
    const egress = book.priceAt('egress.gb', 'USD', at('2025-03-01T00:00:00Z'));
    expect(egress.unit).toBe('gb');
    expect(egress.model.kind).toBe('graduated');
  });

  it('takes bare numbers as their source text, never as floats', () => {
    const entries = parsePriceBookFile(
      `entries:
  - sku: egress.gb
    unit: gb
    effectiveFrom: 2025-01-01T00:00:00+01:00
    prices:
      CHF: { kind: per_unit, unitPrice: 0.10 }`,
      'x.yaml',
    );
    expect(entries).toEqual([
      {
        sku: 'egress.gb',
        currency: 'CHF',
        effectiveFrom: at('2024-12-31T23:00:00Z'),
        unit: 'gb',
        model: { kind: 'per_unit', unitPrice: '0.10' },
      },
    ]);
  });

  it('reads JSON too', () => {
    const json = JSON.stringify({
      entries: [
        {
          sku: 'compute.s1.small',
          unit: 'hour',
          effectiveFrom: '2025-01-01T00:00:00Z',
          prices: {
            JPY: {
              kind: 'volume',
              tiers: [
                { upTo: '10', unitPrice: '2' },
                { upTo: null, unitPrice: '1' },
              ],
            },
          },
        },
      ],
    });
    const [only] = parsePriceBookFile(json, 'book.json');
    expect(only?.model).toEqual({
      kind: 'volume',
      tiers: [
        { upTo: '10', unitPrice: '2', flatFee: '0' },
        { upTo: null, unitPrice: '1', flatFee: '0' },
      ],
    });
  });

  it('names the path of every bad field', () => {
    const problems = problemsOf(`entries:
  - sku: egress.gb
    unit: hour
    effectiveFrom: 1 March 2025
    prices:
      USD:
        kind: graduated
        tiers:
          - { upTo: 100, unitPrice: 0 }
          - { upTo: 50, unitPrice: 1e-2 }
      XYZ: { kind: per_unit, unitPrice: '1' }
  - sku: compute.s1.small
    unit: hour
    effective_from: 2025-01-01T00:00:00Z
    prices: {}`);
    const paths = problems.map((p) => p.path);
    expect(paths).toContain('entries.0.effectiveFrom');
    expect(paths).toContain('entries.0.prices.USD.tiers.1.unitPrice');
    expect(paths).toContain('entries.0.prices.XYZ');
    expect(paths).toContain('entries.1.effectiveFrom');
    expect(paths).toContain('entries.1');
    expect(problems.find((p) => p.path === 'entries.0.prices.USD.tiers.1.unitPrice')?.message).toMatch(/decimal/);
  });

  it('rejects prices beyond the money limits and currencies outside the ISO 4217 table', () => {
    const problems = problemsOf(`entries:
  - sku: compute.s1.small
    unit: hour
    effectiveFrom: 2025-01-01T00:00:00Z
    prices:
      USD: { kind: per_unit, unitPrice: 1000000000000 }
      EUR: { kind: per_unit, unitPrice: 0.0000000000001 }
      XAU: { kind: per_unit, unitPrice: 1 }
      HUF: { kind: per_unit, unitPrice: 999999999999.999999999999 }`);
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['entries.0.prices.USD.unitPrice', 'must be below 1000000000000'],
      ['entries.0.prices.EUR.unitPrice', expect.stringMatching(/12/)],
      ['entries.0.prices.XAU', 'not a known ISO 4217 currency code'],
    ]);
  });

  it('reports tier order, unit mismatches and duplicates', () => {
    const tiers = problemsOf(`entries:
  - sku: egress.gb
    unit: hour
    effectiveFrom: 2025-01-01T00:00:00Z
    prices:
      USD: { kind: volume, tiers: [{ upTo: '100', unitPrice: '1' }, { upTo: '50', unitPrice: '1' }] }`);
    expect(tiers).toEqual(
      expect.arrayContaining([
        { path: 'entries.0.unit', message: 'egress.gb is priced per gb' },
        { path: 'entries.0.prices.USD.tiers.1.upTo', message: 'tiers must ascend: 50 is not above 100' },
        { path: 'entries.0.prices.USD.tiers.1.upTo', message: 'the last tier must be open-ended (upTo: null)' },
      ]),
    );
    const entry = `
  - sku: egress.gb
    unit: gb
    effectiveFrom: 2025-01-01T00:00:00Z
    prices: { USD: { kind: per_unit, unitPrice: '1' } }`;
    expect(problemsOf(`entries:${entry}${entry.replace('00:00:00Z', '01:00:00+01:00')}`)).toEqual([
      {
        path: 'entries.1.prices.USD',
        message: 'duplicates entries.0.prices.USD (same sku, currency and effectiveFrom)',
      },
    ]);
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(() => parsePriceBookFile('entries: [\n  - sku', 'broken.yaml')).toThrowError(
      /^broken\.yaml: invalid price book/,
    );
  });
});
