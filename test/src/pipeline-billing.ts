/**
 * What a whole-pipeline run (agent → metering → billing) needs beyond the metering topics: billing's own fresh
 * topics and dead-letter topics, the environment that points billing at them, the finalized invoices as stored,
 * and an oracle that computes the expected invoices from the simulator's ground truth and a price book.
 */
import { buildInvoice, invoiceHash, PriceBook, type InvoiceDraft } from '@tally/billing';
import type { Fleet, HourTotals } from '@tally/agent';
import type { Queryable } from '@tally/db';
import {
  applyTopics,
  deadLetterTopicOf,
  registerSchemas,
  topics,
  type SchemaRegistry,
  type TopicSpec,
} from '@tally/kafka';
import type { PriceEntry, UsageHourly } from '@tally/records';
import type { Kafka } from 'kafkajs';
import { schemasDir, type PipelineTopics } from './pipeline-topics.ts';

export interface BillingTopics {
  prices: TopicSpec;
  payments: TopicSpec;
  hourly: TopicSpec;
  invoices: TopicSpec;
}

/** Fresh prices, payments, billing.hourly and invoices topics next to the pipeline's, plus billing's dead-letter topics. */
export async function createBillingTopics(
  kafka: Kafka,
  registry: SchemaRegistry,
  run: string,
  pipeline: PipelineTopics,
): Promise<BillingTopics> {
  const named = (spec: TopicSpec, suffix: string): TopicSpec => ({ ...spec, name: `test.${run}.${suffix}` });
  const specs: BillingTopics = {
    prices: named(topics.prices, 'prices'),
    payments: named(topics.payments, 'payments'),
    hourly: named(topics.billingHourly, 'billing-hourly'),
    invoices: named(topics.invoices, 'invoices'),
  };
  const deadLetters = billingDeadLetterTopics(pipeline, specs).map((name): TopicSpec => ({
    name,
    partitions: 1,
    cleanupPolicy: 'delete',
    key: 'original key',
  }));
  await retryingUnknownTopic(async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await applyTopics(admin, [specs.prices, specs.payments, specs.hourly, specs.invoices, ...deadLetters]);
    } finally {
      await admin.disconnect();
    }
  });
  await registerSchemas(registry, schemasDir, [specs.prices, specs.payments, specs.hourly, specs.invoices]);
  return specs;
}

/**
 * Retries `action` (idempotent) when a freshly created topic is not known yet to the broker's metadata: kafkajs'
 * createTopics with waitForLeaders retries LEADER_NOT_AVAILABLE but not UNKNOWN_TOPIC_OR_PARTITION.
 */
export async function retryingUnknownTopic<T>(action: () => Promise<T>, attempts = 10): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await action();
    } catch (error) {
      const unknown = error instanceof Error && /does not host this topic-partition/.test(error.message);
      if (!unknown || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

/** The dead-letter topics of what billing consumes. */
export function billingDeadLetterTopics(pipeline: PipelineTopics, billing: BillingTopics): string[] {
  return [pipeline.usage, pipeline.accounts, billing.prices, billing.payments].map((s) => deadLetterTopicOf(s.name));
}

/**
 * The environment that points billing at these topics. With `meteringGroup` (metering's METERING_GROUP), billing's
 * finalizer waits for that group to have metered traffic.samples up to where it ended when a month fell due;
 * without it, billing does not wait for metering's offsets (only for its outbox and billing's own consumers).
 */
export function billingTopicEnv(
  pipeline: PipelineTopics,
  billing: BillingTopics,
  meteringGroup?: string,
): Record<string, string> {
  return {
    BILLING_USAGE_TOPIC: pipeline.usage.name,
    BILLING_ACCOUNTS_TOPIC: pipeline.accounts.name,
    BILLING_PRICES_TOPIC: billing.prices.name,
    BILLING_PAYMENTS_TOPIC: billing.payments.name,
    BILLING_HOURLY_TOPIC: billing.hourly.name,
    BILLING_INVOICES_TOPIC: billing.invoices.name,
    ...(meteringGroup === undefined
      ? { BILLING_FINALIZE_WAIT_FOR_METERING: 'false' }
      : { BILLING_SAMPLES_TOPIC: pipeline.samples.name, BILLING_METERING_GROUP: meteringGroup }),
  };
}

export interface StoredInvoice {
  accountId: string;
  month: string;
  number: string;
  hash: string;
  content: InvoiceDraft;
}

/** The finalized invoices of a schema, by account id (C collation) and month. */
export async function finalizedInvoices(db: Queryable): Promise<StoredInvoice[]> {
  const result = await db.query<{
    account_id: string;
    month: string;
    number: string;
    content_hash: string;
    content: InvoiceDraft;
  }>(
    `SELECT account_id, month, number, content_hash, content FROM invoices WHERE status = 'finalized'
     ORDER BY account_id COLLATE "C", month`,
  );
  return result.rows.map((r) => ({
    accountId: r.account_id,
    month: r.month,
    number: r.number,
    hash: r.content_hash,
    content: r.content,
  }));
}

export interface ExpectedInvoice {
  invoice: InvoiceDraft;
  hash: string;
}

/**
 * The invoices a month should produce, computed from the simulator's ground truth (per instance-hour totals,
 * owner and type from the deterministic fleet) and the price book with billing's pure `buildInvoice`: nothing
 * here reads the database or a topic. One invoice per account with usage in `month` (its first, so its credit is
 * the account's free credit). `lateHours` arrived after `month` was finalized: each account they touch gets an
 * invoice for `nextMonth` carrying adjustment lines against what the first invoice billed. Keyed by
 * `${accountId}|${month}`.
 */
export function expectedInvoices(
  fleet: Fleet,
  prices: readonly PriceEntry[],
  month: string,
  hours: readonly HourTotals[],
  late?: { nextMonth: string; hours: readonly HourTotals[] },
): Map<string, ExpectedInvoice> {
  const instances = new Map(fleet.instances.map((i) => [i.record.instanceId, i.record]));
  const toUsage = (hour: HourTotals): UsageHourly => {
    const record = instances.get(hour.instanceId);
    if (record === undefined) throw new Error(`ground truth names an unknown instance ${hour.instanceId}`);
    return {
      instanceId: hour.instanceId,
      accountId: record.accountId,
      instanceType: record.instanceType,
      hourStart: hour.hourStart,
      runningSeconds: hour.runningSeconds,
      rxBytes: hour.rxBytes,
      txBytes: hour.txBytes,
      rxPackets: hour.rxPackets,
      txPackets: hour.txPackets,
      cpuSeconds: hour.cpuSeconds,
      counted: [],
      version: 1,
    };
  };
  const usage = hours.map(toUsage);
  const all = [...usage, ...(late?.hours ?? []).map(toUsage)];
  const book = PriceBook.from(prices);
  const result = new Map<string, ExpectedInvoice>();
  const add = (invoice: InvoiceDraft) =>
    result.set(`${invoice.accountId}|${invoice.month}`, { invoice, hash: invoiceHash(invoice) });
  for (const account of fleet.accounts) {
    const own = usage.filter((u) => u.accountId === account.accountId);
    if (own.length === 0) continue;
    const first = buildInvoice({ account, month, prices: book, usage: own, creditAvailable: account.freeCredit });
    add(first);
    if (late === undefined) continue;
    const ownAll = all.filter((u) => u.accountId === account.accountId);
    if (ownAll.length === own.length) continue;
    const billed = first.lines
      .filter((l) => l.kind === 'usage')
      .map((l) => ({ sku: l.sku ?? '', priceEntryKey: l.priceEntryKey ?? '', quantity: l.quantity ?? '0' }));
    const next = buildInvoice({
      account,
      month: late.nextMonth,
      prices: book,
      usage: ownAll,
      creditAvailable: first.creditRemaining,
      finalizedMonths: [{ month, billed, usage: ownAll }],
    });
    if (next.lines.length > 0) add(next);
  }
  return result;
}
