// What the API's in-process integration tests share: the dependencies of buildApp over one test schema.
import type { TestDatabase } from '@tally/db';
import type { Logger } from '@tally/log';
import type { ApiDeps } from './deps.ts';
import type { OpsSource } from './ops-source.ts';

/** Operator views that must not be reached: each call fails, the status with `statusWhy`. */
export function unreachableOps(statusWhy = 'not in this test'): OpsSource {
  return {
    status: () => Promise.reject(new Error(statusWhy)),
    deadLetters: () => Promise.reject(new Error('not in this test')),
    late: () => Promise.reject(new Error('not in this test')),
    close: () => Promise.resolve(),
  };
}

/**
 * The API reading and keeping its tokens in `db`'s schema (billing's, metering's and abuse's tables too), with an
 * issuer for PDFs, no operator views and a rate limit no test reaches unless it sets its own.
 */
export function testApiDeps(db: TestDatabase, log: Logger, overrides: Partial<ApiDeps> = {}): ApiDeps {
  return {
    tokens: db.pool,
    read: db.pool,
    schemas: { billing: db.schema, metering: db.schema, abuse: db.schema },
    ops: unreachableOps(),
    log,
    rateLimitPerMinute: 100_000,
    issuer: {
      name: 'Tally Cloud AG',
      address: { line1: 'Seestrasse 5', line2: '', city: 'Bern', postalCode: '3000', region: '', country: 'CH' },
      taxId: 'CHE-123.456.789 MWST',
      paymentTermsDays: 30,
    },
    now: () => Date.now(),
    ...overrides,
  };
}
