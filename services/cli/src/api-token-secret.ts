import { createHash, randomBytes } from 'node:crypto';

const PREFIX = 'tally_';
/** `tally_` and 32 random bytes in base64url: 256 bits, nothing to guess. */
const TOKEN = /^tally_[A-Za-z0-9_-]{43}$/;

/**
 * A new bearer token and its id. The prefix lets secret scanners and people recognise it; the id names it in lists
 * and revocations without being a credential.
 *
 * @example
 * newToken(); // { token: 'tally_3q2…', id: 'tok_9f1c2a7b' }
 */
export function newToken(): { token: string; id: string } {
  return { token: PREFIX + randomBytes(32).toString('base64url'), id: `tok_${randomBytes(4).toString('hex')}` };
}

/** What is stored and looked up: the SHA-256 of the token, hex. A random 256-bit token needs no salt or slow hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether a string has the shape of a token (cheap refusal of garbage before any database lookup). */
export function looksLikeToken(text: string): boolean {
  return TOKEN.test(text);
}
