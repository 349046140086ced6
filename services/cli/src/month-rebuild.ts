import { invoiceHash, planInvoices, PriceBook, type InvoiceDraft, type PlannedInvoice } from '@tally/billing';
import type { Account, PriceEntry, UsageHourly } from '@tally/records';
import { invoiceDifferences, type InvoiceDifference } from './invoice-diff.ts';

/** A topic value with its record timestamp (epoch ms); lists are in offset order per key. */
export interface TimedValue<T> {
  readonly at: number;
  readonly value: T;
}

/** What the compacted topics hold, as read to their end. */
export interface TopicContents {
  readonly accounts: readonly TimedValue<Account>[];
  readonly prices: readonly TimedValue<PriceEntry>[];
  readonly usage: readonly TimedValue<UsageHourly>[];
}

/** A finalized invoice as stored. */
export interface StoredInvoice {
  readonly accountId: string;
  readonly month: string;
  /** 'regular' bills its month; 'adjustment' carries adjustments in a currency the account left. */
  readonly kind: PlannedInvoice['kind'];
  readonly number: string;
  readonly contentHash: string;
  /** The `total` column (kept beside the document). */
  readonly total: string | null;
  /** When the finalizing transaction stored it (database time, epoch ms): what billing had read by then. */
  readonly storedAt: number;
  readonly content: InvoiceDraft;
}

/** The price entries an account's month was billed with (billing_billed_entries: legal record, kept with invoices). */
export interface BilledEntry {
  readonly accountId: string;
  readonly month: string;
  readonly key: string;
  readonly entry: PriceEntry;
}

export type CheckStatus = 'equal' | 'different' | 'missing' | 'unbuildable';

/** The verdict on one invoice of the month (one account may have a regular and adjustment invoices). */
export interface InvoiceCheck {
  readonly accountId: string;
  readonly month: string;
  readonly kind: PlannedInvoice['kind'];
  readonly currency: string;
  readonly number: string | null;
  readonly status: CheckStatus;
  readonly storedHash: string | null;
  readonly rebuiltHash: string | null;
  readonly differences: readonly InvoiceDifference[];
}

function upTo<T>(values: readonly TimedValue<T>[], cutoff: number): T[] {
  return values.filter((v) => v.at <= cutoff).map((v) => v.value);
}

function byAccount<T>(values: readonly T[], accountOf: (value: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const value of values) {
    const list = map.get(accountOf(value)) ?? [];
    list.push(value);
    map.set(accountOf(value), list);
  }
  return map;
}

function compare(stored: StoredInvoice, rebuilt: InvoiceDraft): InvoiceDifference[] {
  const differences: InvoiceDifference[] = [];
  const storedContentHash = invoiceHash(stored.content);
  if (storedContentHash !== stored.contentHash) {
    differences.push({
      what: 'content_hash (of the stored document)',
      stored: stored.contentHash,
      rebuilt: storedContentHash,
    });
  }
  if (stored.total !== null && stored.total !== stored.content.total) {
    differences.push({ what: 'total column', stored: stored.total, rebuilt: stored.content.total });
  }
  if (invoiceHash(rebuilt) !== stored.contentHash) {
    differences.push({ what: 'content hash', stored: stored.contentHash, rebuilt: invoiceHash(rebuilt) });
    differences.push(...invoiceDifferences(stored.content, rebuilt));
  }
  return differences;
}

/**
 * Rebuilds `month`'s invoices with billing's pure core from the topics' contents and compares them with the stored,
 * finalized ones. An account's invoices of the month (finalized together) are rebuilt from what the topics held then
 * (records timestamped at or before their storing), on top of the account's earlier finalized invoices and billed
 * price entries as stored (the legal record; each earlier month is verified with its own period): so usage that came
 * later, and that a later invoice bills as an adjustment, is no difference. A planned invoice of the month with none
 * stored is `missing` (judged only once the month has finalized invoices at all).
 *
 * @example
 * verifyMonth('2025-03', contents, stored, billed, 3).filter((c) => c.status !== 'equal'); // [] when all is well
 */
export function verifyMonth(
  month: string,
  contents: TopicContents,
  stored: readonly StoredInvoice[],
  billed: readonly BilledEntry[],
  adjustmentMonths: number,
): InvoiceCheck[] {
  const ofMonth = byAccount(
    stored.filter((s) => s.month === month),
    (s) => s.accountId,
  );
  const lastStoredAt = Math.max(...stored.filter((s) => s.month === month).map((s) => s.storedAt));
  const usage = byAccount(contents.usage, (u) => u.value.accountId);
  const accountsTopic = byAccount(contents.accounts, (a) => a.value.accountId);
  const storedOf = byAccount(stored, (s) => s.accountId);
  const billedOf = byAccount(billed, (b) => b.accountId);
  const accountIds = [...new Set([...ofMonth.keys(), ...(ofMonth.size > 0 ? usage.keys() : [])])].sort();

  const checks: InvoiceCheck[] = [];
  for (const accountId of accountIds) {
    const own = ofMonth.get(accountId) ?? [];
    const cutoff = own.length > 0 ? Math.max(...own.map((s) => s.storedAt)) : lastStoredAt;
    const check = (
      key: { kind: PlannedInvoice['kind']; currency: string },
      stored: StoredInvoice | undefined,
      status: CheckStatus,
      differences: InvoiceDifference[],
      rebuilt?: InvoiceDraft,
    ): InvoiceCheck => ({
      accountId,
      month,
      ...key,
      number: stored?.number ?? null,
      status,
      storedHash: stored?.contentHash ?? null,
      rebuiltHash: rebuilt === undefined ? null : invoiceHash(rebuilt),
      differences,
    });
    const unbuildable = (why: string) => {
      for (const s of own) {
        checks.push(
          check({ kind: s.kind, currency: s.content.currency }, s, 'unbuildable', [
            { what: 'rebuild', stored: `total ${s.content.total}`, rebuilt: why },
          ]),
        );
      }
    };
    const account = upTo(accountsTopic.get(accountId) ?? [], cutoff).at(-1);
    if (account === undefined) {
      unbuildable('the account was not in the accounts topic then');
      continue;
    }
    const earlier = (storedOf.get(accountId) ?? []).filter((s) => s.month < month);
    const billedEntries = new Map<string, Map<string, PriceEntry>>();
    for (const b of billedOf.get(accountId) ?? []) {
      if (b.month >= month) continue;
      const entries = billedEntries.get(b.month) ?? new Map<string, PriceEntry>();
      entries.set(b.key, b.entry);
      billedEntries.set(b.month, entries);
    }
    let plans: PlannedInvoice[];
    try {
      plans = planInvoices({
        account,
        finalized: earlier.filter((s) => s.kind === 'regular').map((s) => s.content),
        adjustmentInvoices: earlier.filter((s) => s.kind === 'adjustment').map((s) => s.content),
        billedEntries,
        usage: upTo(usage.get(accountId) ?? [], cutoff),
        prices: PriceBook.from(upTo(contents.prices, cutoff)),
        adjustmentMonths,
      }).filter((p) => p.month === month);
    } catch (error) {
      unbuildable(String(error));
      continue;
    }
    const matches = (p: PlannedInvoice, s: StoredInvoice) => p.kind === s.kind && p.currency === s.content.currency;
    for (const s of own) {
      const plan = plans.find((p) => matches(p, s));
      const key = { kind: s.kind, currency: s.content.currency };
      if (plan?.invoice === undefined) {
        const why = plan?.problem === undefined ? `no ${s.kind} invoice in ${key.currency}` : String(plan.problem);
        checks.push(
          check(key, s, 'unbuildable', [{ what: 'rebuild', stored: `total ${s.content.total}`, rebuilt: why }]),
        );
        continue;
      }
      const differences = compare(s, plan.invoice);
      checks.push(check(key, s, differences.length === 0 ? 'equal' : 'different', differences, plan.invoice));
    }
    for (const plan of plans) {
      if (plan.invoice === undefined || own.some((s) => matches(plan, s))) continue;
      checks.push(
        check(
          { kind: plan.kind, currency: plan.currency },
          undefined,
          'missing',
          [{ what: 'invoice', stored: '(none finalized)', rebuilt: `total ${plan.invoice.total}` }],
          plan.invoice,
        ),
      );
    }
  }
  return checks;
}
