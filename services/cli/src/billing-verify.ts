import { billingEnv } from '@tally/billing/runtime';
import { loadConfig } from '@tally/config';
import { createPool } from '@tally/db';
import {
  createRegistry,
  readToEnd,
  typedTopic,
  typedTopics,
  valueCodec,
  type TypedTopic,
  type ValueCodec,
} from '@tally/kafka';
import type { PriceEntry } from '@tally/records';
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command, CommandIo } from './command.ts';
import { cliKafka } from './kafka-client.ts';
import { verifyMonth, type BilledEntry, type StoredInvoice, type TimedValue } from './month-rebuild.ts';

const args = z.object({
  period: z.string({ error: '--period is required' }).regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'expected YYYY-MM'),
  json: z.boolean().default(false),
  positionals: z.array(z.string()).max(0, 'no positional arguments expected'),
});

/** Reads a topic to its end and decodes every value; what does not decode is counted (billing dead-lettered it). */
async function readValues<T>(
  kafka: Kafka,
  codec: ValueCodec<T>,
  topic: string,
  io: CommandIo,
): Promise<{ values: TimedValue<T>[]; undecodable: number }> {
  let shown = 0;
  const started = Date.now();
  const records = await readToEnd(kafka, topic, new Map(), (read, total) => {
    if (Date.now() - started > 2_000 && read - shown >= 10_000) {
      shown = read;
      io.err(`  ${topic}: ${read} of ${total} records read\n`);
    }
  });
  const values: TimedValue<T>[] = [];
  let undecodable = 0;
  for (const { message } of records) {
    if (message.value === null) continue; // a tombstone
    try {
      values.push({ at: Number(message.timestamp), value: await codec.decode(message.value) });
    } catch {
      undecodable += 1;
    }
  }
  io.err(`  ${topic}: ${records.length} records${undecodable > 0 ? `, ${undecodable} do not decode (skipped)` : ''}\n`);
  return { values, undecodable };
}

/**
 * `tally billing verify --period YYYY-MM`: rebuilds the month's invoices in memory from the compacted topics with
 * billing's pure core and compares them with the finalized ones stored; every difference is printed, exit 1 on any.
 */
export const billingVerify: Command = {
  path: ['billing', 'verify'],
  usage: 'tally billing verify --period YYYY-MM [--json]',
  summary:
    "rebuild a month's invoices from the topics and compare them with the finalized ones (exit 1 on a difference)",
  async run(argv, io) {
    const options = parseCommandArgs(argv, { period: { type: 'string' }, json: { type: 'boolean' } }, args);
    const config = loadConfig(billingEnv, io.env);
    const kafka = cliKafka(io.env);
    const registry = createRegistry(config.SCHEMA_REGISTRY_URL);
    const codec = <T>(typed: TypedTopic<T>, name: string) =>
      valueCodec(registry, typedTopic({ ...typed.spec, name }, typed.schema, typed));

    io.err(
      `reading the topics (${config.BILLING_ACCOUNTS_TOPIC}, ${config.BILLING_PRICES_TOPIC}, ${config.BILLING_USAGE_TOPIC})\n`,
    );
    const accounts = await readValues(
      kafka,
      codec(typedTopics.accounts, config.BILLING_ACCOUNTS_TOPIC),
      config.BILLING_ACCOUNTS_TOPIC,
      io,
    );
    const prices = await readValues(
      kafka,
      codec(typedTopics.prices, config.BILLING_PRICES_TOPIC),
      config.BILLING_PRICES_TOPIC,
      io,
    );
    const usage = await readValues(
      kafka,
      codec(typedTopics.usageHourly, config.BILLING_USAGE_TOPIC),
      config.BILLING_USAGE_TOPIC,
      io,
    );

    const pool = createPool(config.DATABASE_URL, { schema: config.DB_SCHEMA, max: 1, applicationName: 'tally-cli' });
    let stored: StoredInvoice[];
    let billed: BilledEntry[];
    try {
      // The month's invoices and every earlier one of the same accounts (their credit and billed quantities).
      // The month's invoices and every earlier one of the same accounts (credit, billed quantities), with the price
      // entries those months were billed with.
      const accountsOfMonth = `SELECT account_id FROM invoices WHERE status = 'finalized' AND month = $1`;
      const result = await pool.query<{
        account_id: string;
        month: string;
        kind: StoredInvoice['kind'];
        number: string;
        content_hash: string;
        total: string | null;
        stored_ms: string;
        content: StoredInvoice['content'];
      }>(
        `SELECT account_id, month, kind, number, content_hash, total::text AS total,
                (extract(epoch FROM updated_at) * 1000)::bigint AS stored_ms, content
         FROM invoices
         WHERE status = 'finalized' AND month <= $1 AND account_id IN (${accountsOfMonth})
         ORDER BY account_id, month, currency`,
        [options.period],
      );
      stored = result.rows.map((row) => ({
        accountId: row.account_id,
        month: row.month,
        kind: row.kind,
        number: row.number,
        contentHash: row.content_hash,
        total: row.total,
        storedAt: Number(row.stored_ms),
        content: row.content,
      }));
      const entries = await pool.query<{
        account_id: string;
        month: string;
        price_entry_key: string;
        entry: PriceEntry;
      }>(
        `SELECT account_id, month, price_entry_key, entry FROM billing_billed_entries
         WHERE month < $1 AND account_id IN (${accountsOfMonth})`,
        [options.period],
      );
      billed = entries.rows.map((row) => ({
        accountId: row.account_id,
        month: row.month,
        key: row.price_entry_key,
        entry: row.entry,
      }));
    } finally {
      await pool.end();
    }

    const checks = verifyMonth(
      options.period,
      { accounts: accounts.values, prices: prices.values, usage: usage.values },
      stored,
      billed,
      config.BILLING_ADJUSTMENT_MONTHS,
    );
    const bad = checks.filter((check) => check.status !== 'equal');
    const compared = checks.filter((check) => check.number !== null).length;
    if (options.json) {
      io.out(`${JSON.stringify({ period: options.period, compared, differences: bad.length, checks }, null, 2)}\n`);
    } else {
      for (const check of bad) {
        io.out(
          `${check.status.toUpperCase()} ${check.number ?? '(no number)'} account ${check.accountId} ${check.month}${check.kind === 'adjustment' ? ` (adjustment invoice, ${check.currency})` : ''}\n`,
        );
        for (const d of check.differences) io.out(`  ${d.what}: stored ${d.stored}, rebuilt ${d.rebuilt}\n`);
      }
      io.out(
        bad.length === 0
          ? compared === 0
            ? `${options.period}: no finalized invoices to compare\n`
            : `${options.period}: all ${compared} finalized invoices equal their rebuild from the topics\n`
          : `${options.period}: ${bad.length} of ${checks.length} invoices differ (${compared} finalized compared)\n`,
      );
    }
    return bad.length === 0 ? 0 : 1;
  },
};
