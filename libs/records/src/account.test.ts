import { describe, expect, it } from 'vitest';
import { account } from './account.ts';

const before = {
  accountId: 'acct-1',
  name: 'Acme',
  email: 'billing@acme.example',
  plan: 'paying',
  freeCredit: '0',
  currency: 'USD',
  timeZone: 'UTC',
  createdAt: Date.UTC(2025, 0, 1),
};

describe('account', () => {
  it('gives a value from before the evolution its defaults: no address, not unsubscribed', () => {
    expect(account.parse(before)).toEqual({ ...before, address: null, unsubscribed: false });
  });

  it('fills the parts of an address that were left out, and keeps the ones given', () => {
    expect(account.parse({ ...before, address: { line1: '1 Main St', country: 'US' } }).address).toEqual({
      line1: '1 Main St',
      line2: '',
      city: '',
      postalCode: '',
      region: '',
      country: 'US',
    });
  });

  it('refuses a country that is not ISO 3166-1 alpha-2, and an address line too long for an invoice', () => {
    expect(account.safeParse({ ...before, address: { country: 'Switzerland' } }).error?.issues[0]?.path).toEqual([
      'address',
      'country',
    ]);
    expect(account.safeParse({ ...before, address: { line1: 'x'.repeat(201) } }).success).toBe(false);
    expect(account.safeParse({ ...before, unsubscribed: 'yes' }).success).toBe(false);
  });
});
