import { connectionEnv, dbSchemaName, loadConfig } from '@tally/config';
import { createPool, type Queryable } from '@tally/db';
import { issuerFromEnv, renderInvoicePdf, type PdfInvoice } from '@tally/invoice-pdf';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import { UsageError, type Command } from './command.ts';
import { writeOutFile } from './out-file.ts';

const args = z
  .object({
    account: z.string().min(1).optional(),
    period: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM')
      .optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'expected a currency code such as USD')
      .optional(),
    out: z.string({ error: '--out is required (a PDF does not belong on a terminal)' }).min(1),
    force: z.boolean().default(false),
    positionals: z.array(z.string()).max(1, 'at most one invoice number'),
  })
  .refine((a) => (a.positionals.length === 1) !== (a.account !== undefined && a.period !== undefined), {
    message: 'give an invoice number, or --account and --period (not both)',
  });

const env = connectionEnv.extend({ DB_SCHEMA: dbSchemaName.default('billing') });

interface StoredRow {
  number: string;
  finalized_at: Date;
  content: PdfInvoice['content'];
  account_id: string;
  currency: string;
}

/** The finalized invoices the arguments name: one by number, or an account's month (one per currency billed). */
async function findInvoices(db: Queryable, options: z.infer<typeof args>): Promise<StoredRow[]> {
  const columns = 'number, finalized_at, content, account_id, currency';
  const [number] = options.positionals;
  if (number !== undefined) {
    return (
      await db.query<StoredRow>(`SELECT ${columns} FROM invoices WHERE status = 'finalized' AND number = $1`, [number])
    ).rows;
  }
  const result = await db.query<StoredRow>(
    `SELECT ${columns} FROM invoices WHERE status = 'finalized' AND account_id = $1 AND month = $2
       AND ($3::text IS NULL OR currency = $3) ORDER BY number`,
    [options.account, options.period, options.currency ?? null],
  );
  return result.rows;
}

/**
 * `tally invoice pdf <number> | --account A --period YYYY-MM [--currency C]  --out file.pdf [--force]`: a finalized
 * invoice as the PDF a finance team sends, issuer from TALLY_ISSUER_*. An existing file is only replaced with --force.
 */
export const invoicePdf: Command = {
  path: ['invoice', 'pdf'],
  usage: 'tally invoice pdf <number> | --account A --period YYYY-MM [--currency C] --out file.pdf [--force]',
  summary: 'a finalized invoice as PDF (issuer from TALLY_ISSUER_*)',
  async run(argv, io) {
    const options = parseCommandArgs(
      argv,
      {
        account: { type: 'string' },
        period: { type: 'string' },
        currency: { type: 'string' },
        out: { type: 'string' },
        force: { type: 'boolean' },
      },
      args,
    );
    // The issuer first: a missing TALLY_ISSUER_* variable should not wait for the database.
    const issuer = issuerFromEnv(io.env);
    const config = loadConfig(env, io.env);
    const pool = createPool(config.DATABASE_URL, { schema: config.DB_SCHEMA, max: 1, applicationName: 'tally-cli' });
    try {
      const found = await findInvoices(pool, options);
      const which = options.positionals[0] ?? `${options.account} ${options.period}`;
      if (found.length === 0) {
        io.err(`no finalized invoice ${which} in schema ${config.DB_SCHEMA}\n`);
        return 1;
      }
      if (found.length > 1) {
        const list = found.map((f) => `${f.number} (${f.currency})`).join(', ');
        throw new UsageError(`${which} has ${found.length} finalized invoices: ${list}; pass --currency or a number`);
      }
      const row = found[0]!;
      const account = await pool.query<{ record: unknown }>(
        'SELECT record FROM billing_accounts WHERE account_id = $1',
        [row.account_id],
      );
      if (account.rows[0] === undefined) {
        io.err(`billing knows no account ${row.account_id} (invoice ${row.number})\n`);
        return 1;
      }
      const pdf = await renderInvoicePdf(
        { number: row.number, finalizedAt: row.finalized_at, content: row.content },
        account.rows[0].record as Parameters<typeof renderInvoicePdf>[1],
        issuer,
      );
      await writeOutFile(options.out, pdf, options.force);
      io.err(`invoice ${row.number} written to ${options.out} (${pdf.length} bytes)\n`);
      return 0;
    } finally {
      await pool.end();
    }
  },
};
