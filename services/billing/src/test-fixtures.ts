// Shared builders for the billing unit tests (not exported from the package).
import type { Account, PriceEntry, PricingModel, UsageHourly } from '@tally/records';

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
