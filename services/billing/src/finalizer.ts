import { inTransaction, type Pool } from '@tally/db';
import type { Logger } from '@tally/log';
import { planAccount } from './account-state.ts';
import { monthPeriod } from './billing-month.ts';
import { lockInvoices, markDirty } from './dirty-accounts.ts';
import { refreshAllDirtyDrafts } from './draft-refresher.ts';
import { nextInvoiceNumber, storeFinalized } from './invoice-table.ts';
import { loadPriceBook } from './reference-tables.ts';

export interface FinalizerOptions {
  /** Issuer whose gapless number series the invoices take (one counter row per issuer and year). */
  readonly issuer: string;
  /** Invoice number prefix: `${prefix}-${year}-000001`. */
  readonly numberPrefix: string;
  /** A month is finalized once its end (in the account's time zone) plus this has passed. */
  readonly graceMs: number;
  readonly adjustmentMonths: number;
  /** Invoices per transaction (the counter row is locked for its duration). */
  readonly batchSize: number;
  readonly clock: () => number;
  /**
   * Whether billing has read the compacted topics up to their end. Finalizing on a partial read (a rebuild from
   * empty tables, a consumer far behind) would bill late what is already there, and the invoice would differ.
   */
  readonly caughtUp: () => Promise<boolean>;
  readonly log: Logger;
}

export interface FinalizeOutcome {
  readonly finalized: number;
  /** Due months that could not be finalized (no price in force): retried next pass. */
  readonly blocked: number;
  /** False when the consumers were behind and nothing was tried. */
  readonly ready: boolean;
}

interface Candidate {
  accountId: string;
  month: string;
}

/**
 * One finalizer pass: refreshes marked drafts, then finalizes every draft month whose end + grace has passed, oldest
 * month first and, within a month, in account id order, so gapless numbers follow that order. Each invoice is built
 * again from the stored state (never taken from the stored draft), numbered from the issuer's counter and stored
 * with its hash in the same transaction; the account is marked so its next draft picks up the credit left and the
 * adjustment baseline.
 *
 * @example
 * await finalizeDue(pool, { issuer: 'tally', numberPrefix: 'INV', graceMs: 72 * 3_600_000, ... });
 */
export async function finalizeDue(pool: Pool, options: FinalizerOptions): Promise<FinalizeOutcome> {
  if (!(await options.caughtUp())) return { finalized: 0, blocked: 0, ready: false };
  await refreshAllDirtyDrafts(pool, { adjustmentMonths: options.adjustmentMonths, batchSize: options.batchSize });
  const now = options.clock();
  const candidates = await dueDrafts(pool, now - options.graceMs);
  const blockedAccounts = new Set<string>();
  let finalized = 0;
  for (let i = 0; i < candidates.length; i += options.batchSize) {
    const chunk = candidates.slice(i, i + options.batchSize);
    finalized += await inTransaction(pool, async (client) => {
      await lockInvoices(client);
      const prices = await loadPriceBook(client);
      let done = 0;
      // One account at a time: planAccount holds one account's months, never the chunk's usage.
      for (const { accountId, month } of chunk) {
        if (blockedAccounts.has(accountId)) continue;
        const plans = await planAccount(client, accountId, { prices, adjustmentMonths: options.adjustmentMonths });
        const first = plans?.[0];
        if (first === undefined || first.month !== month) continue; // an earlier month opened meanwhile: next pass
        // The month's regular invoice and its adjustment invoices in other currencies are finalized together.
        const due = plans!.filter((p) => p.month === month);
        const problem = due.find((p) => p.invoice === undefined)?.problem;
        if (problem !== undefined) {
          blockedAccounts.add(accountId);
          options.log.warn({ accountId, month, reason: String(problem) }, 'invoice due but cannot be built yet');
          continue;
        }
        for (const plan of due) {
          if (plan.invoice === undefined) continue;
          const year = Number(month.slice(0, 4));
          const number = await nextInvoiceNumber(client, options.issuer, options.numberPrefix, year);
          await storeFinalized(client, plan, options.issuer, number, new Date(now));
          done += 1;
        }
      }
      await markDirty(
        client,
        chunk.map((c) => c.accountId),
      );
      return done;
    });
  }
  return { finalized, blocked: blockedAccounts.size, ready: true };
}

/** Draft months due at `cutoff` (their end in the account's time zone is at or before it), by month then account. */
async function dueDrafts(pool: Pool, cutoff: number): Promise<Candidate[]> {
  const result = await pool.query<{ account_id: string; month: string; time_zone: string }>(
    `SELECT DISTINCT i.account_id COLLATE "C" AS account_id, i.month, a.record->>'timeZone' AS time_zone
     FROM invoices i JOIN billing_accounts a USING (account_id)
     WHERE i.status = 'draft' ORDER BY i.month, 1`,
  );
  const ends = new Map<string, number>();
  const due: Candidate[] = [];
  for (const row of result.rows) {
    const id = `${row.month}|${row.time_zone}`;
    let end = ends.get(id);
    if (end === undefined) {
      try {
        end = monthPeriod(row.month, row.time_zone).end;
      } catch {
        continue;
      }
      ends.set(id, end);
    }
    if (end <= cutoff) due.push({ accountId: row.account_id, month: row.month });
  }
  return due;
}
