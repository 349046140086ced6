import type { PdfCustomer, PdfInvoice, PdfInvoiceLine } from '../invoice-input.ts';
import type { Issuer } from '../issuer.ts';

export const sampleIssuer: Issuer = {
  name: 'Tally Cloud AG',
  address: { line1: 'Hardturmstrasse 3', line2: '', city: 'Zurich', postalCode: '8005', region: '', country: 'CH' },
  taxId: 'CHE-123.456.789 MWST',
  paymentTermsDays: 30,
};

export const sampleCustomer: PdfCustomer = {
  name: 'Acme Logistics GmbH',
  email: 'billing@acme.example',
  address: {
    line1: 'Bahnhofstrasse 1',
    line2: 'Floor 4',
    city: 'Zurich',
    postalCode: '8001',
    region: 'ZH',
    country: 'CH',
  },
};

/** An invoice document shaped like billing's, for renderer tests: `usageLines` usage lines, one adjustment, one credit. */
export function sampleInvoice(currency: 'USD' | 'JPY' | 'KWD', usageLines = 3): PdfInvoice {
  const digits = { USD: 2, JPY: 0, KWD: 3 }[currency];
  const amount = (minor: bigint): string => {
    const text = (minor < 0n ? -minor : minor).toString().padStart(digits + 1, '0');
    const shown = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
    return minor < 0n ? `-${shown}` : shown;
  };
  const lines: PdfInvoiceLine[] = [];
  let subtotal = 0n;
  for (let i = 0; i < usageLines; i++) {
    const minor = BigInt(1234567 + i * 1001);
    subtotal += minor;
    lines.push({
      kind: 'usage',
      sku: `compute.t${i}.large`,
      unit: 'hour',
      adjustsMonth: null,
      quantity: `${700 + i}.5`,
      roundedAmount: amount(minor),
    });
  }
  subtotal -= 505n;
  lines.push({
    kind: 'adjustment',
    sku: 'egress.gb',
    unit: 'gb',
    adjustsMonth: '2026-09',
    quantity: '-5.05',
    roundedAmount: amount(-505n),
  });
  const credit = 1000n;
  lines.push({
    kind: 'credit',
    sku: null,
    unit: null,
    adjustsMonth: null,
    quantity: null,
    roundedAmount: amount(-credit),
  });
  return {
    number: `INV-2026-${String(usageLines).padStart(6, '0')}`,
    finalizedAt: new Date('2026-11-03T23:30:00Z'),
    content: {
      accountId: 'acct-pdf',
      month: '2026-10',
      timeZone: 'Europe/Zurich',
      currency,
      periodStart: Date.parse('2026-09-30T22:00:00Z'),
      periodEnd: Date.parse('2026-10-31T23:00:00Z'),
      lines,
      subtotal: amount(subtotal),
      total: amount(subtotal - credit),
    },
  };
}
