import { connectionEnv, dbSchemaName, loadConfig } from '@tally/config';
import { createPool } from '@tally/db';
import { invoiceCsv, invoicesJson, loadFinalizedOfMonth } from '@tally/billing/runtime';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { writeOutFile } from './out-file.ts';

const args = z.object({
  period: z.string({ error: '--period is required' }).regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM'),
  format: z.enum(['json', 'csv'], { error: '--format must be json or csv' }).default('json'),
  out: z.string().min(1).optional(),
  force: z.boolean().default(false),
  positionals: z.array(z.string()).max(0, 'no positional arguments expected'),
});

const env = connectionEnv.extend({ DB_SCHEMA: dbSchemaName.default('billing') });

/**
 * `tally invoices export --period YYYY-MM --format json|csv [--out file [--force]]`: the month's finalized invoices.
 * An existing `--out` file is only replaced with `--force`.
 */
export const invoicesExport: Command = {
  path: ['invoices', 'export'],
  usage: 'tally invoices export --period YYYY-MM [--format json|csv] [--out file [--force]]',
  summary: "export a month's finalized invoices (CSV: one row per line item)",
  async run(argv, io) {
    const options = parseCommandArgs(
      argv,
      { period: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' } },
      args,
    );
    const config = loadConfig(env, io.env);
    const pool = createPool(config.DATABASE_URL, { schema: config.DB_SCHEMA, max: 1, applicationName: 'tally-cli' });
    try {
      const invoices = await loadFinalizedOfMonth(pool, options.period);
      const text = options.format === 'csv' ? invoiceCsv(invoices) : invoicesJson(invoices);
      if (options.out === undefined) io.out(text);
      else {
        await writeOutFile(options.out, text, options.force);
        io.err(`${invoices.length} invoices of ${options.period} written to ${options.out}\n`);
      }
      return 0;
    } finally {
      await pool.end();
    }
  },
};
