import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loginUrl, loginUser, pgpassFile, pgpassPasswords } from './service-logins.ts';

describe('service logins', () => {
  it('name a member of the role and connect without a password in the URL', () => {
    expect(loginUser('tally', 'readonly')).toBe('tally_readonly_login');
    expect(loginUrl('postgres://postgres:secret@127.0.0.1:5433/test', 'tally_billing_login')).toBe(
      'postgres://tally_billing_login@127.0.0.1:5433/test',
    );
  });

  it('read back the passwords a pgpass file was written with, ignoring other lines', () => {
    const user = fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/);
    const password = fc.stringMatching(/^[0-9a-f]{32}$/);
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(user, password), { selector: ([u]) => u, maxLength: 6 }), (entries) => {
        const passwords = new Map(entries);
        expect(pgpassPasswords(`# a comment\nhost:5432:db:other:pw\n${pgpassFile(passwords)}`)).toEqual(passwords);
      }),
    );
  });
});
