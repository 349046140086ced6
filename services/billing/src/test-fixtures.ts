// Shared builders for the billing unit tests (not exported from the package).
import type { Account, PriceEntry, PricingModel, UsageHourly } from '@tally/records';
import type { InvoiceDraft } from './invoice.ts';
import type { PlannedInvoice } from './invoice-plan.ts';

export const at = (iso: string): number => Date.parse(iso);

export function entry(sku: string, currency: string, effectiveFrom: string, model: PricingModel): PriceEntry {
  return { sku, currency, effectiveFrom: at(effectiveFrom), unit: sku.startsWith('compute.') ? 'hour' : 'gb', model };
}

export const perUnit = (unitPrice: string): PricingModel => ({ kind: 'per_unit', unitPrice });

export function account(overrides: Partial<Account> = {}): Account {
  return {
    accountId: 'acct-1',
    name: 'Acme',
    email: 'billing@acme.example',
    plan: 'paying',
    freeCredit: '0',
    currency: 'USD',
    timeZone: 'Europe/Zurich',
    createdAt: 0,
    address: null,
    unsubscribed: false,
    ...overrides,
  };
}

export function usage(overrides: Partial<UsageHourly> & Pick<UsageHourly, 'hourStart'>): UsageHourly {
  return {
    instanceId: 'i-1',
    accountId: 'acct-1',
    instanceType: 's1.small',
    runningSeconds: 3600,
    rxBytes: 0,
    txBytes: 0,
    rxPackets: 0,
    txPackets: 0,
    cpuSeconds: '0',
    counted: [],
    version: 1,
    ...overrides,
  };
}

/** What the finalizer stores, in memory: finalized regular and adjustment invoices and the entries they billed. */
export interface FinalizedBook {
  regular: InvoiceDraft[];
  adjustment: InvoiceDraft[];
  billedEntries: Map<string, Map<string, PriceEntry>>;
}

export const emptyBook = (): FinalizedBook => ({ regular: [], adjustment: [], billedEntries: new Map() });

/** Finalizes the first planned month as finalizer.ts does (its regular and adjustment invoices); returns it. */
export function finalizeFirst(book: FinalizedBook, plans: readonly PlannedInvoice[]): string | undefined {
  const month = plans[0]?.month;
  for (const plan of plans.filter((p) => p.month === month)) {
    if (plan.invoice === undefined) throw plan.problem;
    (plan.kind === 'regular' ? book.regular : book.adjustment).push(plan.invoice);
    for (const [m, entries] of plan.entries) {
      const stored = book.billedEntries.get(m) ?? new Map<string, PriceEntry>();
      for (const [key, e] of entries) if (!stored.has(key)) stored.set(key, e);
      book.billedEntries.set(m, stored);
    }
  }
  return month;
}
