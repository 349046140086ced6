import { invoiceHash, planInvoices, PriceBook, type InvoiceDraft } from '@tally/billing';
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
  readonly number: string;
  readonly contentHash: string;
  /** The `total` column (kept beside the document). */
  readonly total: string | null;
  /** When the finalizing transaction stored it (database time, epoch ms): what billing had read by then. */
  readonly storedAt: number;
  readonly content: InvoiceDraft;
}

export type CheckStatus = 'equal' | 'different' | 'missing' | 'unbuildable';

/** The verdict on one account's invoice for the month. */
export interface InvoiceCheck {
  readonly accountId: string;
  readonly month: string;
  readonly number: string | null;
  readonly status: CheckStatus;
  readonly storedHash: string | null;
  readonly rebuiltHash: string | null;
  readonly differences: readonly InvoiceDifference[];
}

function upTo<T>(values: readonly TimedValue<T>[], cutoff: number): T[] {
  return values.filter((v) => v.at <= cutoff).map((v) => v.value);
}

/**
 * Rebuilds `month`'s invoices with billing's pure core from the topics' contents and compares them with the stored,
 * finalized ones. Each invoice is rebuilt from what the topics held when it was finalized (records timestamped at or
 * before its storing), on top of the account's earlier finalized invoices as stored (each verified with its own
 * month): so usage that came later, and that the next invoice bills as an adjustment, is no difference. An account
 * whose rebuild has an invoice for the month but that has none stored is `missing` (only judged once the month has
 * finalized invoices at all).
 *
 * @example
 * verifyMonth('2025-03', contents, stored, 3).filter((c) => c.status !== 'equal'); // [] when all is well
 */
export function verifyMonth(
  month: string,
  contents: TopicContents,
  stored: readonly StoredInvoice[],
  adjustmentMonths: number,
): InvoiceCheck[] {
  const ofMonth = new Map(stored.filter((s) => s.month === month).map((s) => [s.accountId, s]));
  const lastStoredAt = Math.max(...[...ofMonth.values()].map((s) => s.storedAt));
  const usageByAccount = new Map<string, TimedValue<UsageHourly>[]>();
  for (const u of contents.usage) {
    const list = usageByAccount.get(u.value.accountId) ?? [];
    list.push(u);
    usageByAccount.set(u.value.accountId, list);
  }
  const accountIds = [...new Set([...ofMonth.keys(), ...(ofMonth.size > 0 ? usageByAccount.keys() : [])])].sort();

  const checks: InvoiceCheck[] = [];
  for (const accountId of accountIds) {
    const own = ofMonth.get(accountId);
    const cutoff = own?.storedAt ?? lastStoredAt;
    const verdict = (status: CheckStatus, differences: InvoiceDifference[], rebuilt?: InvoiceDraft): InvoiceCheck => ({
      accountId,
      month,
      number: own?.number ?? null,
      status,
      storedHash: own?.contentHash ?? null,
      rebuiltHash: rebuilt === undefined ? null : invoiceHash(rebuilt),
      differences,
    });
    const account = upTo(
      contents.accounts.filter((a) => a.value.accountId === accountId),
      cutoff,
    ).at(-1);
    if (account === undefined) {
      if (own !== undefined) {
        checks.push(
          verdict('unbuildable', [{ what: 'account', stored: accountId, rebuilt: 'not in the accounts topic then' }]),
        );
      }
      continue;
    }
    const earlier = stored.filter((s) => s.accountId === accountId && s.month < month).map((s) => s.content);
    let plan;
    try {
      plan = planInvoices({
        account,
        finalized: earlier,
        usage: upTo(usageByAccount.get(accountId) ?? [], cutoff),
        prices: PriceBook.from(upTo(contents.prices, cutoff)),
        adjustmentMonths,
      }).find((p) => p.month === month && (own === undefined || p.invoice?.currency === own.content.currency));
    } catch (error) {
      checks.push(verdict('unbuildable', [{ what: 'rebuild', stored: '-', rebuilt: String(error) }]));
      continue;
    }
    if (own === undefined) {
      if (plan?.invoice !== undefined) {
        checks.push(
          verdict(
            'missing',
            [{ what: 'invoice', stored: '(none finalized)', rebuilt: `total ${plan.invoice.total}` }],
            plan.invoice,
          ),
        );
      }
      continue;
    }
    if (plan === undefined || plan.invoice === undefined) {
      const why = plan?.problem === undefined ? `no invoice for ${month}` : String(plan.problem);
      checks.push(verdict('unbuildable', [{ what: 'rebuild', stored: `total ${own.content.total}`, rebuilt: why }]));
      continue;
    }
    const rebuilt = plan.invoice;
    const differences: InvoiceDifference[] = [];
    const storedContentHash = invoiceHash(own.content);
    if (storedContentHash !== own.contentHash) {
      differences.push({
        what: 'content_hash (of the stored document)',
        stored: own.contentHash,
        rebuilt: storedContentHash,
      });
    }
    if (own.total !== null && own.total !== own.content.total) {
      differences.push({ what: 'total column', stored: own.total, rebuilt: own.content.total });
    }
    if (invoiceHash(rebuilt) !== own.contentHash) {
      differences.push({ what: 'content hash', stored: own.contentHash, rebuilt: invoiceHash(rebuilt) });
      differences.push(...invoiceDifferences(own.content, rebuilt));
    }
    checks.push(verdict(differences.length === 0 ? 'equal' : 'different', differences, rebuilt));
  }
  return checks;
}
