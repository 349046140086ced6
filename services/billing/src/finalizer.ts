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
  /** From when the month counts as due: its end + grace, or later if first seen due later (see dueDrafts). */
  dueAt: number;
}

/**
 * One finalizer pass: refreshes marked drafts, asks the gate which due months it covers, then finalizes every draft
 * month whose end + grace has passed and that the gate covers (a round taken at or after the month fell due, or was
 * first seen due: see dueDrafts), oldest month first and, within a month, in account id order, so gapless numbers follow that order. Each invoice is built
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
  const due = await dueDrafts(pool, now, options.graceMs);
  if (due.length === 0) return { finalized: 0, blocked: 0, ready: true };
  const dueAt = due.reduce((latest, d) => Math.max(latest, d.dueAt), -Infinity);
  const covered = await options.gate({ dueAt, now });
  if (covered === undefined) return { finalized: 0, blocked: 0, ready: false };
  // Only months the gate covers: one that fell due (or was first seen due) after its round started waits for the next.
  const candidates = due.filter((d) => d.dueAt <= Math.min(covered, now));
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
  return { finalized, blocked: blockedAccounts.size, ready: covered >= dueAt };
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

/**
 * Draft months due at `now` (their end in the account's time zone + grace is at or before it), by month then account
 * id in byte order, each with the instant from which it counts as due: the later of its end + grace and the first pass
 * that saw it due (stored with its drafts, migration 0160; rows seen now for the first time are marked now). A month
 * that becomes due only when late usage arrives (a draft that appears after a watermark round covered its due date)
 * thus needs a round taken after it appeared: billing then reads every late value produced before, and the month is
 * not finalized on the first of several late batches (the rest would land on an extra next-month invoice, differently
 * from run to run).
 */
async function dueDrafts(pool: Pool, now: number, graceMs: number): Promise<Candidate[]> {
  const result = await pool.query<{
    account_id: string;
    month: string;
    currency: string;
    time_zone: string;
    due_seen_at: string | null;
  }>(
    `SELECT i.account_id COLLATE "C" AS account_id, i.month, i.currency, a.record->>'timeZone' AS time_zone,
            i.due_seen_at
     FROM invoices i JOIN billing_accounts a USING (account_id)
     WHERE i.status = 'draft' ORDER BY i.month, 1, i.currency`,
  );
  const ends = new Map<string, number>();
  const byMonth = new Map<string, Candidate>();
  const unseen: { accountId: string; month: string; currency: string }[] = [];
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
    if (row.due_seen_at === null) unseen.push({ accountId: row.account_id, month: row.month, currency: row.currency });
    const seen = row.due_seen_at === null ? now : Number(row.due_seen_at);
    const key = `${row.account_id}\u0000${row.month}`;
    const dueAt = Math.max(end + graceMs, seen);
    const known = byMonth.get(key);
    if (known === undefined) byMonth.set(key, { accountId: row.account_id, month: row.month, dueAt });
    else known.dueAt = Math.max(known.dueAt, dueAt);
  }
  if (unseen.length > 0) {
    await pool.query(
      `UPDATE invoices i SET due_seen_at = $1
       FROM unnest($2::text[], $3::text[], $4::text[]) AS s(account_id, month, currency)
       WHERE i.account_id = s.account_id AND i.month = s.month AND i.currency = s.currency
         AND i.status = 'draft' AND i.due_seen_at IS NULL`,
      [now, unseen.map((u) => u.accountId), unseen.map((u) => u.month), unseen.map((u) => u.currency)],
    );
  }
  return [...byMonth.values()];
}
