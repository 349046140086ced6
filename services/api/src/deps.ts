import type { Queryable } from '@tally/db';
import type { Issuer } from '@tally/invoice-pdf';
import type { Logger } from '@tally/log';
import type { OpsSource } from './ops-source.ts';

/** What the routes need, built by startApi (or a test): pools, schema names, the operator views, a clock. */
export interface ApiDeps {
  /** The API's own role: reads and writes api_tokens (search_path: the tokens' schema). */
  readonly tokens: Queryable;
  /** The readonly role; queries name their schema. */
  readonly read: Queryable;
  readonly schemas: { readonly billing: string; readonly metering: string; readonly abuse: string };
  readonly ops: OpsSource;
  readonly log: Logger;
  readonly rateLimitPerMinute: number;
  /** Who issues the invoices, printed on PDFs; without it the PDF route answers 503. */
  readonly issuer?: Issuer | undefined;
  readonly consoleDir?: string | undefined;
  readonly now: () => number;
}
