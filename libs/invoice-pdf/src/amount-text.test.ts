import fc from 'fast-check';
import { formatMinor } from '@tally/money';
import { describe, expect, it } from 'vitest';
import { amountText } from './amount-text.ts';

describe('amountText', () => {
  it('writes exactly the minor unit, grouped', () => {
    expect(amountText('1234.5', 'USD')).toBe('1,234.50');
    expect(amountText('-1234567', 'JPY')).toBe('-1,234,567');
    expect(amountText('1234567.125', 'KWD')).toBe('1,234,567.125');
    expect(amountText('0', 'KWD')).toBe('0.000');
    expect(amountText('999', 'USD')).toBe('999.00');
    expect(amountText('-0.05', 'USD')).toBe('-0.05');
  });

  it('is the exact minor-unit amount once the grouping commas are removed, for any size', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
        fc.constantFrom('USD', 'JPY', 'KWD'),
        (minor, currency) => {
          const digits = { USD: 2, JPY: 0, KWD: 3 }[currency];
          const magnitude = (minor < 0n ? -minor : minor).toString().padStart(digits + 1, '0');
          const text = `${minor < 0n ? '-' : ''}${digits === 0 ? magnitude : `${magnitude.slice(0, -digits)}.${magnitude.slice(-digits)}`}`;
          const shown = amountText(text, currency);
          expect(shown.replaceAll(',', '')).toBe(formatMinor(text, currency));
          // Groups of three digits, and only in the whole part.
          expect(shown).toMatch(/^-?\d{1,3}(,\d{3})*(\.\d+)?$/);
        },
      ),
    );
  });
});
