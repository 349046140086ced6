/**
 * The operator CLI: `pnpm tally <command>`. Each command lives in its own file; add one by listing it here.
 */
import { abuseClear } from './abuse-clear.ts';
import { abuseExplain } from './abuse-explain.ts';
import { billingVerify } from './billing-verify.ts';
import type { Command } from './command.ts';
import { dbMigrate } from './db-migrate.ts';
import { dispatch } from './dispatch.ts';
import { dlqList } from './dlq-list.ts';
import { dlqRedrive } from './dlq-redrive.ts';
import { dlqShow } from './dlq-show.ts';
import { invoicePdf } from './invoice-pdf.ts';
import { invoicesExport } from './invoices-export.ts';
import { lag } from './lag.ts';
import { lateList } from './late-list.ts';
import { lateReplay } from './late-replay.ts';
import { pricesPublish } from './prices-publish.ts';
import { replay } from './replay.ts';
import { status } from './status.ts';
import { tokensCreate, tokensList, tokensRevoke } from './tokens-commands.ts';
import { topicsApply, topicsVerify } from './topics-check.ts';

const commands: readonly Command[] = [
  pricesPublish,
  invoicesExport,
  invoicePdf,
  dlqList,
  dlqShow,
  dlqRedrive,
  lag,
  billingVerify,
  topicsVerify,
  topicsApply,
  status,
  replay,
  lateList,
  lateReplay,
  dbMigrate,
  tokensCreate,
  tokensList,
  tokensRevoke,
  abuseExplain,
  abuseClear,
];

process.exitCode = await dispatch(commands, process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
});
