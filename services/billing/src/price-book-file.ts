import { isCurrency, pricingModelProblems } from '@tally/money';
import { id, priceEntry, pricingModel, type PriceEntry } from '@tally/records';
import { isScalar, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import { priceEntryKey } from './price-entry-key.ts';

export class PriceBookFileError extends Error {
  override readonly name = 'PriceBookFileError';
  readonly fileName: string;
  /** One per bad field: path like 'entries.2.prices.USD.tiers.1.upTo'. */
  readonly problems: readonly { readonly path: string; readonly message: string }[];
  constructor(fileName: string, problems: readonly { path: string; message: string }[]) {
    super(
      `${fileName}: invalid price book\n  ${problems.map((p) => `${p.path || '(file)'}: ${p.message}`).join('\n  ')}`,
    );
    this.fileName = fileName;
    this.problems = problems;
  }
}

const validModel = pricingModel.superRefine((model, ctx) => {
  for (const problem of pricingModelProblems(model)) {
    ctx.addIssue({ code: 'custom', path: [...problem.path], message: problem.message });
  }
});

const fileEntry = z
  .strictObject({
    sku: id,
    unit: z.enum(['hour', 'gb']),
    effectiveFrom: z.iso.datetime({ offset: true, message: 'expected an ISO date-time such as 2025-01-01T00:00:00Z' }),
    prices: z.record(z.string().refine(isCurrency, { message: 'not a known ISO 4217 currency code' }), validModel),
  })
  .superRefine((entry, ctx) => {
    const expected = entry.sku.startsWith('compute.') ? 'hour' : entry.sku.endsWith('.gb') ? 'gb' : undefined;
    if (expected !== undefined && entry.unit !== expected) {
      ctx.addIssue({ code: 'custom', path: ['unit'], message: `${entry.sku} is priced per ${expected}` });
    }
    if (Object.keys(entry.prices).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['prices'], message: 'needs a price in at least one currency' });
    }
  });

const priceBookFile = z.strictObject({ entries: z.array(fileEntry).min(1) });

/**
 * Parses a price book file an operator publishes (YAML, or JSON, which is YAML too) into price entries.
 * Shape: `entries: [{ sku, unit, effectiveFrom: ISO date-time, prices: { <currency>: <pricing model> } }]`.
 * Numbers may be written bare (`unitPrice: 0.05`): their source text is taken as the decimal, so no binary
 * float ever touches a price. Every problem is reported with its path; the error lists them all.
 * Entries come out ordered by key (sku, currency, effectiveFrom).
 *
 * @example
 * parsePriceBookFile(readFileSync('price-books/demo.yaml', 'utf8'), 'demo.yaml');
 * // [{ sku: 'compute.g1.large', currency: 'EUR', effectiveFrom: 1735689600000, unit: 'hour', model: {…} }, …]
 */
export function parsePriceBookFile(text: string, fileName: string): PriceEntry[] {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new PriceBookFileError(
      fileName,
      // The first line says what and where ("… at line 2, column 3:"); the rest is a source excerpt.
      doc.errors.map((e) => ({ path: '', message: (e.message.split('\n')[0] ?? e.message).replace(/:$/, '') })),
    );
  }
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'number' && node.source !== undefined) node.value = node.source;
    },
  });
  const parsed = priceBookFile.safeParse(doc.toJS());
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      custom: issue.code === 'custom',
      // A bad record key (a currency code) nests the reason one level down.
      message: issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message,
    }));
    // Our tier checks run even where the schema already rejected the field; say it once.
    const schemaPaths = new Set(issues.filter((i) => !i.custom).map((i) => i.path));
    throw new PriceBookFileError(
      fileName,
      issues.filter((i) => !i.custom || !schemaPaths.has(i.path)).map(({ path, message }) => ({ path, message })),
    );
  }

  const entries: PriceEntry[] = [];
  const seen = new Map<string, string>();
  const problems: { path: string; message: string }[] = [];
  parsed.data.entries.forEach((e, i) => {
    const effectiveFrom = Date.parse(e.effectiveFrom);
    if (effectiveFrom < 0) problems.push({ path: `entries.${i}.effectiveFrom`, message: 'must not be before 1970' });
    for (const [currency, model] of Object.entries(e.prices)) {
      const entry = priceEntry.parse({
        sku: e.sku,
        currency,
        effectiveFrom: Math.max(effectiveFrom, 0),
        unit: e.unit,
        model,
      });
      const key = priceEntryKey(entry);
      const path = `entries.${i}.prices.${currency}`;
      const first = seen.get(key);
      if (first !== undefined)
        problems.push({ path, message: `duplicates ${first} (same sku, currency and effectiveFrom)` });
      seen.set(key, path);
      entries.push(entry);
    }
  });
  if (problems.length > 0) throw new PriceBookFileError(fileName, problems);
  return entries.sort((a, b) => {
    const [ka, kb] = [`${a.sku}|${a.currency}`, `${b.sku}|${b.currency}`];
    return ka < kb ? -1 : ka > kb ? 1 : a.effectiveFrom - b.effectiveFrom;
  });
}
