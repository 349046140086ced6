/**
 * The end of a soak: what the pipeline arrived at, compared with what it should have. Usage (metering's table and
 * billing's copy) against the simulator's ground truth; finalized invoices against the oracle (billing's pure core
 * over the ground truth and the price book); dead letters against the poison injected; lag and stalls from
 * `tally status`; and `tally billing verify` over the finalized month.
 */
import { invoiceHash } from '@tally/billing';
import type { GroundTruthFile } from '@tally/agent';
import type { Queryable } from '@tally/db';
import { deadLetterTopicOf, listDeadLetters } from '@tally/kafka';
import { usageKey, type PriceEntry, type UsageHourly } from '@tally/records';
import type { Kafka } from 'kafkajs';
import {
  billingDeadLetterTopics,
  expectedInvoices,
  finalizedInvoices,
  recordCount,
  type ExpectedInvoice,
} from '../src/index.ts';
import type { Processes, SoakPlace } from './soak-processes.ts';
import { checkUsage, type HourUsage, type UsageCheck } from './usage-check.ts';
import { SOAK_MONTH, waveFleet, type FleetSize, type Wave } from './waves.ts';
import type { Injected } from './poison.ts';

export interface SentWave {
  wave: Wave;
  truth: GroundTruthFile;
}

export interface Verdict {
  metering: UsageCheck;
  billingUsage: UsageCheck;
  samplesDistinct: number;
  samplesCounted: number;
  invoices: number;
  invoicesExpected: number;
  invoicesEqualOracle: boolean;
  invoiceMismatches: string[];
  poisonInjected: Injected;
  poisonDeadLettered: Injected;
  /** Dead letters where none should be (instances, accounts, prices, payments), and late records. */
  unexpectedDeadLetters: number;
  lateRecords: number;
  stalledPartitions: number;
  lagTotal: number;
  statusProblems: string[];
  billingVerifyOk: boolean;
}

/** The expected invoices of every wave, keyed `${accountId}|${month}` (prefixes keep the waves' accounts apart). */
export function oracle(waves: readonly SentWave[], size: FleetSize, prices: readonly PriceEntry[]) {
  const all = new Map<string, ExpectedInvoice>();
  for (const { wave, truth } of waves) {
    for (const [key, value] of expectedInvoices(waveFleet(wave, size), prices, SOAK_MONTH, truth.hours)) {
      all.set(key, value);
    }
  }
  return all;
}

async function meteringUsage(db: Queryable): Promise<Map<string, HourUsage>> {
  const result = await db.query<{
    instance_id: string;
    hour_ms: string;
    running_seconds: string;
    rx_bytes: string;
    tx_bytes: string;
    rx_packets: string;
    tx_packets: string;
    cpu_seconds: string;
  }>(
    `SELECT instance_id, (extract(epoch FROM hour_start) * 1000)::bigint AS hour_ms, running_seconds, rx_bytes,
            tx_bytes, rx_packets, tx_packets, cpu_seconds::text AS cpu_seconds FROM usage_hourly`,
  );
  return new Map(
    result.rows.map((r) => [
      usageKey(r.instance_id, Number(r.hour_ms)),
      {
        runningSeconds: Number(r.running_seconds),
        rxBytes: Number(r.rx_bytes),
        txBytes: Number(r.tx_bytes),
        rxPackets: Number(r.rx_packets),
        txPackets: Number(r.tx_packets),
        cpuSeconds: r.cpu_seconds,
      },
    ]),
  );
}

async function billingUsage(db: Queryable): Promise<Map<string, HourUsage>> {
  const result = await db.query<{ record: UsageHourly }>('SELECT record FROM billing_usage');
  return new Map(result.rows.map(({ record: u }) => [usageKey(u.instanceId, u.hourStart), u]));
}

/** Distinct source records (topic, partition, offset) in a topic's dead-letter topic: a re-read may dead-letter twice. */
async function deadLettered(kafka: Kafka, topic: string): Promise<number> {
  return new Set((await listDeadLetters(kafka, topic)).map((d) => d.source)).size;
}

interface StatusJson {
  groups: { group: string; topic: string; problem?: string; partitions: { lag: string; stalled: boolean }[] }[];
}

export async function verdict(input: {
  db: Queryable;
  kafka: Kafka;
  place: SoakPlace;
  processes: Processes;
  waves: readonly SentWave[];
  size: FleetSize;
  prices: readonly PriceEntry[];
  injected: Injected;
}): Promise<Verdict> {
  const { db, kafka, place, processes, waves } = input;
  const truth = new Map<string, HourUsage>();
  for (const { truth: file } of waves) for (const h of file.hours) truth.set(usageKey(h.instanceId, h.hourStart), h);
  const metering = checkUsage(truth, await meteringUsage(db));
  const billing = checkUsage(truth, await billingUsage(db));
  const counted = await db.query<{ n: string | null }>('SELECT sum(version) AS n FROM usage_hourly');

  const expected = oracle(waves, input.size, input.prices);
  const stored = await finalizedInvoices(db);
  const mismatches: string[] = [];
  for (const invoice of stored) {
    const want = expected.get(`${invoice.accountId}|${invoice.month}`);
    if (want === undefined) mismatches.push(`${invoice.number} ${invoice.accountId} ${invoice.month}: not expected`);
    else if (invoice.hash !== want.hash || invoiceHash(invoice.content) !== want.hash)
      mismatches.push(
        `${invoice.number} ${invoice.accountId} ${invoice.month}: total ${invoice.content.total}, want ${want.invoice.total}`,
      );
  }
  const storedKeys = new Set(stored.map((i) => `${i.accountId}|${i.month}`));
  for (const key of expected.keys()) if (!storedKeys.has(key)) mismatches.push(`${key}: not finalized`);

  const poisonDeadLettered: Injected = {
    samples: await deadLettered(kafka, place.pipeline.samples.name),
    usage: await deadLettered(kafka, place.pipeline.usage.name),
  };
  const quiet = [
    deadLetterTopicOf(place.pipeline.instances.name),
    ...billingDeadLetterTopics(place.pipeline, place.billing).filter(
      (t) => t !== deadLetterTopicOf(place.pipeline.usage.name),
    ),
  ];
  let unexpectedDeadLetters = 0;
  for (const topic of quiet) unexpectedDeadLetters += await recordCount(kafka, topic);

  const status = await processes.cli(['status', '--json', '--stall-after', '15']);
  let stalledPartitions = 0;
  let lagTotal = 0;
  const statusProblems: string[] = [];
  try {
    const report = JSON.parse(status.stdout) as StatusJson;
    for (const group of report.groups) {
      if (group.problem !== undefined) statusProblems.push(`${group.group} ${group.topic}: ${group.problem}`);
      for (const p of group.partitions) {
        lagTotal += Number(p.lag);
        if (p.stalled || p.lag !== '0') stalledPartitions += 1;
      }
    }
  } catch (error) {
    statusProblems.push(`tally status exited ${status.code}: ${String(error)}`);
  }
  const verify = await processes.cli(['billing', 'verify', '--period', SOAK_MONTH]);

  return {
    metering,
    billingUsage: billing,
    samplesDistinct: waves.reduce((sum, w) => sum + w.truth.distinctSamples, 0),
    samplesCounted: Number(counted.rows[0]?.n ?? 0),
    invoices: stored.length,
    invoicesExpected: expected.size,
    invoicesEqualOracle: mismatches.length === 0 && stored.length > 0,
    invoiceMismatches: mismatches.slice(0, 10),
    poisonInjected: input.injected,
    poisonDeadLettered,
    unexpectedDeadLetters,
    lateRecords: await recordCount(kafka, place.pipeline.late.name),
    stalledPartitions,
    lagTotal,
    statusProblems,
    billingVerifyOk: verify.code === 0,
  };
}
