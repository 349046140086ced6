import { loadConfig } from '@tally/config';
import { createPool, inTransaction } from '@tally/db';
import { createIdempotentProducer, createRegistry, sendSized, typedTopic, typedTopics, valueCodec } from '@tally/kafka';
import { classifySample } from '@tally/metering';
import { meteringEnv, retentionMs } from '@tally/metering/config';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import type { Command } from './command.ts';
import { cliKafka } from './kafka-client.ts';
import { lateFilterArgs, lateFilterOptions } from './late-args.ts';
import { lateRecordKey, planLateSends, selectLate } from './late-summary.ts';
import { loadOwners, loadReplayed, readLateRecords } from './late-topic.ts';

const args = z.object({
  ...lateFilterArgs,
  'dry-run': z.boolean().default(false),
  positionals: z.array(z.string()).max(0, 'no positional arguments expected'),
});

/**
 * `tally late replay [--account A] [--from t] [--to t] [--dry-run]`: re-injects the original samples of late
 * records into traffic.samples, once. Each record is marked in late_replays in the transaction that wraps the send:
 * a failed send rolls the marks back; a second run (or a concurrent one, which waits on the marks) sends nothing
 * again. Only if the commit itself fails after the send can a sample go twice, and metering's merge absorbs that.
 */
export const lateReplay: Command = {
  path: ['late', 'replay'],
  usage: 'tally late replay [--account A] [--from t] [--to t] [--dry-run]',
  summary: 're-inject late samples into traffic.samples once (after extending retention or deciding to bill them)',
  async run(argv, io) {
    const options = parseCommandArgs(argv, { ...lateFilterOptions, 'dry-run': { type: 'boolean' } }, args);
    const config = loadConfig(meteringEnv, io.env);
    const lateTopic = config.METERING_LATE_TOPIC;
    const samplesTopic = config.METERING_SAMPLES_TOPIC;
    const kafka = cliKafka(io.env);
    const registry = createRegistry(config.SCHEMA_REGISTRY_URL);
    const pool = createPool(config.DATABASE_URL, { schema: config.DB_SCHEMA, max: 1, applicationName: 'tally-cli' });
    try {
      const { records, undecodable } = await readLateRecords(kafka, registry, lateTopic);
      if (undecodable > 0) io.err(`note: ${undecodable} late records do not decode and are not replayed\n`);
      const owners = await loadOwners(
        pool,
        records.map((r) => r.late.sample.instanceId),
      );
      const chosen = selectLate(records, owners, options);
      const planned = planLateSends(chosen, await loadReplayed(pool, lateTopic));
      io.out(
        `${chosen.length} late records chosen, ${chosen.length - planned.mark.length} replayed before; ` +
          `${planned.send.length} distinct samples to send to ${samplesTopic}\n`,
      );
      // Metering decides with its own retention: a sample still older than it would be late again, as a new record.
      const validation = { maxFutureSkewMs: config.METERING_MAX_FUTURE_SKEW_MS, retentionMs: retentionMs(config) };
      const now = Date.now() + config.METERING_CLOCK_OFFSET_MS;
      const stillLate = planned.send.filter((sample) => classifySample(sample, now, validation).kind === 'late').length;
      if (stillLate > 0) {
        io.err(
          `note: ${stillLate} of these samples are still older than METERING_RETENTION_DAYS=${config.METERING_RETENTION_DAYS} ` +
            'as this environment sets it; unless metering runs with a longer retention they come back as new late records.\n',
        );
      }
      if (options['dry-run']) {
        io.err('dry run: nothing sent.\n');
        return 0;
      }
      if (planned.mark.length === 0) return 0;
      const codec = valueCodec(
        registry,
        typedTopic({ ...typedTopics.trafficSamples.spec, name: samplesTopic }, typedTopics.trafficSamples.schema),
      );
      const producer = createIdempotentProducer(kafka);
      await producer.connect();
      try {
        const sent = await inTransaction(pool, async (client) => {
          const marked = await client.query<{ partition: number; offset: string }>(
            `INSERT INTO late_replays (topic, partition, "offset", instance_id, interface_id, window_start)
             SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[], $6::bigint[])
             ON CONFLICT DO NOTHING RETURNING partition, "offset"`,
            [
              lateTopic,
              planned.mark.map((r) => r.partition),
              planned.mark.map((r) => r.offset),
              planned.mark.map((r) => r.late.sample.instanceId),
              planned.mark.map((r) => r.late.sample.interfaceId),
              planned.mark.map((r) => r.late.sample.windowStart),
            ],
          );
          // Another run may have taken some meanwhile: send only what this transaction marked.
          const mine = new Set(marked.rows.map((row) => lateRecordKey(row.partition, row.offset)));
          const { send } = planLateSends(
            planned.mark.filter((r) => mine.has(lateRecordKey(r.partition, r.offset))),
            new Set(),
          );
          const messages = [];
          for (const sample of send) {
            messages.push({
              topic: samplesTopic,
              message: {
                key: sample.instanceId,
                value: await codec.encode(sample),
                headers: { 'tally.replayed-from': lateTopic },
              },
            });
          }
          const refused = await sendSized(producer, messages);
          if (refused.length > 0)
            throw new Error(`${refused.length} samples refused by the broker as too large; nothing marked`);
          return send.length;
        });
        io.out(`${sent} samples re-injected into ${samplesTopic}\n`);
      } finally {
        await producer.disconnect();
      }
      return 0;
    } finally {
      await pool.end();
    }
  },
};
