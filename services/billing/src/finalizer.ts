import { inTransaction, type Pool, type Queryable } from '@tally/db';
import type { Logger } from '@tally/log';
import { planAccounts } from './account-plans.ts';
import { monthPeriod } from './billing-month.ts';
import { lockInvoices, markDirty } from './dirty-accounts.ts';
import { refreshDirtyDrafts, type DraftRefreshOptions } from './draft-refresher.ts';
import { invoiceHash } from './invoice-hash.ts';
import { enqueueFinalizedInvoices, invoiceRecord, type InvoicePublishing } from './invoice-publish.ts';
import type { PlannedInvoice } from './invoice-plan.ts';
import { nextInvoiceNumbers, storeFinalizedMany, type NumberedInvoice } from './invoice-table.ts';
import type { InvoiceDraft } from './invoice.ts';
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
   * Up to which instant due months may be finalized (`caught-up.ts`: once what was produced before they fell due has
   * been metered, sent and read by billing); undefined: none yet. Finalizing on a partial read (metering lagging, a
   * rebuild from empty tables, a consumer far behind) would bill late what was on time, and the invoice would differ.
   */
  readonly gate: (query: { readonly dueAt: number; readonly now: number }) => Promise<number | undefined>;
  readonly log: Logger;
  /** Publishes each finalized invoice to the invoices topic through the outbox; undefined: not published. */
  readonly publish?: InvoicePublishing;
}

export interface FinalizeOutcome {
  readonly finalized: number;
  /** Due months that could not be finalized (no price in force): retried next pass. */
  readonly blocked: number;
  /** False when some due month waits for the gate (metering or billing behind what was produced before it fell due). */
  readonly ready: boolean;
}

interface Candidate {
  readonly accountId: string;
  readonly month: string;
  /** From when the month counts as due (see fixDueFrom). */
  dueFrom: number;
}

/**
 * One finalizer pass: refreshes marked drafts, asks the gate which due months it covers, then finalizes every draft
 * month whose end + grace has passed and that the gate covers (a round taken at or after the month fell due, or after its
 * draft appeared on late data: see fixDueFrom), oldest month first and, within a month, in account id order, so gapless numbers follow that order. Each invoice is built
 * again from the stored state (never taken from the stored draft), numbered from the issuer's counter and stored
 * with its hash in the same transaction; the account is marked so its next draft picks up the credit left and the
 * adjustment baseline.
 *
 * @example
 * await finalizeDue(pool, { issuer: 'tally', numberPrefix: 'INV', graceMs: 72 * 3_600_000, ... });
 */
export async function finalizeDue(pool: Pool, options: FinalizerOptions): Promise<FinalizeOutcome> {
  // Drafts first: an account marked but never refreshed has no draft row for its due month yet.
  await refreshMarkedNow(pool, { adjustmentMonths: options.adjustmentMonths, batchSize: options.batchSize });
  const now = options.clock();
  const rows = await dueDrafts(pool, now, options.graceMs);
  if (rows.length === 0) return { finalized: 0, blocked: 0, ready: true };
  const dueAt = rows.reduce((latest, r) => Math.max(latest, r.dueFrom ?? r.fellDue), -Infinity);
  const covered = await options.gate({ dueAt, now });
  await fixDueFrom(pool, rows, covered, now);
  const due = dueMonths(rows);
  const latestDue = due.reduce((latest, d) => Math.max(latest, d.dueFrom), -Infinity);
  if (covered === undefined) return { finalized: 0, blocked: 0, ready: false };
  // Only months the gate covers: one that fell due (or appeared on late data) after its round started waits.
  const candidates = due.filter((d) => d.dueFrom <= Math.min(covered, now));
  const blockedAccounts = new Set<string>();
  let finalized = 0;
  for (let i = 0; i < candidates.length; i += options.batchSize) {
    const chunk = candidates.slice(i, i + options.batchSize);
    finalized += await inTransaction(pool, async (client) => {
      await lockInvoices(client);
      const prices = await loadPriceBook(client);
      let done = 0;
      // Each round plans its accounts together, then numbers, stores and publishes their invoices in a few
      // statements. An account's later month waits for the next round, which plans it on what this one stored.
      for (const round of roundsOf(chunk)) {
        const live = round.filter((c) => !blockedAccounts.has(c.accountId));
        const plansOf = await planAccounts(
          client,
          live.map((c) => c.accountId),
          { prices, adjustmentMonths: options.adjustmentMonths },
        );
        const due: DuePlan[] = [];
        for (const { accountId, month } of live) {
          const plans = plansOf.get(accountId);
          const first = plans?.[0];
          if (first === undefined || first.month !== month) continue; // an earlier month opened meanwhile: next pass
          // The month's regular invoice and its adjustment invoices in other currencies are finalized together.
          const ofMonth = plans!.filter((p) => p.month === month);
          const problem = ofMonth.find((p) => p.invoice === undefined)?.problem;
          if (problem !== undefined) {
            blockedAccounts.add(accountId);
            options.log.warn({ accountId, month, reason: String(problem) }, 'invoice due but cannot be built yet');
            continue;
          }
          for (const plan of ofMonth) if (plan.invoice !== undefined) due.push(plan);
        }
        const numbered = await numberInOrder(client, due, options.issuer, options.numberPrefix);
        await storeFinalizedMany(client, numbered, options.issuer, new Date(now));
        if (options.publish !== undefined) {
          const { publish } = options;
          await enqueueFinalizedInvoices(
            client,
            publish,
            numbered.map(({ plan, number, hash }) =>
              invoiceRecord(plan.invoice, plan.kind, options.issuer, number, now, publish.duePeriodMs, hash),
            ),
          );
        }
        done += numbered.length;
      }
      await markDirty(
        client,
        chunk.map((c) => c.accountId),
      );
      return done;
    });
  }
  return { finalized, blocked: blockedAccounts.size, ready: covered >= latestDue };
}

type DuePlan = Extract<PlannedInvoice, { invoice: InvoiceDraft }>;

/**
 * Splits candidates, in order, into consecutive rounds in which each account appears once: a later month of an
 * account must be planned after its earlier month is stored (its credit and adjustment baseline come from it).
 *
 * @example
 * roundsOf([{ accountId: 'a', month: '2025-01' }, { accountId: 'b', month: '2025-01' }, { accountId: 'a', month: '2025-02' }]);
 * // [[a 2025-01, b 2025-01], [a 2025-02]]
 */
export function roundsOf<T extends { readonly accountId: string }>(candidates: readonly T[]): T[][] {
  const rounds: T[][] = [];
  let round: T[] = [];
  let seen = new Set<string>();
  for (const candidate of candidates) {
    if (seen.has(candidate.accountId)) {
      rounds.push(round);
      round = [];
      seen = new Set();
    }
    seen.add(candidate.accountId);
    round.push(candidate);
  }
  if (round.length > 0) rounds.push(round);
  return rounds;
}

/**
 * Numbers invoices in the order given, as taking one number per invoice in that order would: one statement per year
 * (the invoice month's year) takes that year's numbers at once, and they are handed out in order within the year.
 */
async function numberInOrder(
  client: Queryable,
  due: readonly DuePlan[],
  issuer: string,
  prefix: string,
): Promise<NumberedInvoice[]> {
  const byYear = new Map<number, DuePlan[]>();
  for (const plan of due) {
    const year = Number(plan.month.slice(0, 4));
    byYear.set(year, [...(byYear.get(year) ?? []), plan]);
  }
  const numbers = new Map<DuePlan, string>();
  for (const [year, plans] of [...byYear].sort(([a], [b]) => a - b)) {
    const taken = await nextInvoiceNumbers(client, issuer, prefix, year, plans.length);
    plans.forEach((plan, n) => numbers.set(plan, taken[n]!));
  }
  return due.map((plan) => ({ plan, number: numbers.get(plan)!, hash: invoiceHash(plan.invoice) }));
}

/**
 * Refreshes drafts for about as many passes as the accounts marked now need. Marks keep coming under continuous
 * usage: refreshing until none is left could keep a finalizer pass from ever reaching its finalizing step. Later
 * marks are the refresher loop's, or the next pass's.
 */
async function refreshMarkedNow(pool: Pool, options: DraftRefreshOptions): Promise<void> {
  const marked = await pool.query<{ n: string }>('SELECT count(*) AS n FROM billing_dirty_accounts');
  let passes = Math.ceil(Number(marked.rows[0]?.n ?? 0) / options.batchSize) + 1;
  while (passes > 0 && (await refreshDirtyDrafts(pool, options)) > 0) passes -= 1;
}

/** A draft row whose month is due: when it fell due (end + grace) and, once fixed, from when it counts as due. */
interface DueRow {
  readonly accountId: string;
  readonly month: string;
  readonly currency: string;
  readonly fellDue: number;
  dueFrom: number | undefined;
}

/** Draft rows due at `now` (month end in the account's time zone + grace at or before it), by month, account, currency. */
async function dueDrafts(pool: Pool, now: number, graceMs: number): Promise<DueRow[]> {
  const result = await pool.query<{
    account_id: string;
    month: string;
    currency: string;
    time_zone: string;
    due_from: string | null;
  }>(
    `SELECT i.account_id COLLATE "C" AS account_id, i.month, i.currency, a.record->>'timeZone' AS time_zone, i.due_from
     FROM invoices i JOIN billing_accounts a USING (account_id)
     WHERE i.status = 'draft' ORDER BY i.month, 1, i.currency`,
  );
  const ends = new Map<string, number>();
  const rows: DueRow[] = [];
  for (const row of result.rows) {
    const id = `${row.month}|${row.time_zone}`;
    let end = ends.get(id);
    if (end === undefined) {
      try {
        end = monthPeriod(row.month, row.time_zone).end;
      } catch {
        continue; // an unknown zone or month: never due
      }
      ends.set(id, end);
    }
    if (end + graceMs > now) continue;
    rows.push({
      accountId: row.account_id,
      month: row.month,
      currency: row.currency,
      fellDue: end + graceMs,
      dueFrom: row.due_from === null ? undefined : Number(row.due_from),
    });
  }
  return rows;
}

/**
 * Fixes from when rows seen due for the first time count as due (stored, migration 0161): when they fell due, unless
 * a done watermark round already covered that instant (`covered`, the gate's answer in this pass). Then the draft
 * appeared after billing was declared caught up for its month, on late data (late usage beyond grace, read on a
 * restart in several batches): it counts as due from now, so it waits for a round taken after it appeared, in which
 * billing reads every value produced before, instead of being finalized on the first of several late batches (the
 * rest would land on an extra next-month invoice, differently from run to run). Months seen as they fall due, or
 * while their round is in progress, keep their due instant and are finalized together when the round is done.
 */
async function fixDueFrom(pool: Pool, rows: DueRow[], covered: number | undefined, now: number): Promise<void> {
  const unfixed = rows.filter((r) => r.dueFrom === undefined);
  if (unfixed.length === 0) return;
  for (const row of unfixed) row.dueFrom = covered !== undefined && covered >= row.fellDue ? now : row.fellDue;
  await pool.query(
    `UPDATE invoices i SET due_from = s.due_from
     FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) AS s(account_id, month, currency, due_from)
     WHERE i.account_id = s.account_id AND i.month = s.month AND i.currency = s.currency
       AND i.status = 'draft' AND i.due_from IS NULL`,
    [
      unfixed.map((r) => r.accountId),
      unfixed.map((r) => r.month),
      unfixed.map((r) => r.currency),
      unfixed.map((r) => r.dueFrom),
    ],
  );
}

/** Due rows per (account, month), in their order: a month counts as due from the latest of its rows. */
function dueMonths(rows: readonly DueRow[]): Candidate[] {
  const byMonth = new Map<string, Candidate>();
  for (const row of rows) {
    const key = `${row.accountId}\u0000${row.month}`;
    const dueFrom = row.dueFrom ?? row.fellDue;
    const known = byMonth.get(key);
    if (known === undefined) byMonth.set(key, { accountId: row.accountId, month: row.month, dueFrom });
    else known.dueFrom = Math.max(known.dueFrom, dueFrom);
  }
  return [...byMonth.values()];
}
