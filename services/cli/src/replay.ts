import { billingEnv } from '@tally/billing/runtime';
import { loadConfig } from '@tally/config';
import { createPool, type Pool } from '@tally/db';
import { createRegistry, typedTopic, typedTopics, valueCodec } from '@tally/kafka';
import { meteringEnv, retentionMs } from '@tally/metering/config';
import type { Kafka } from 'kafkajs';
import { z } from 'zod';
import { parseCommandArgs } from './args.ts';
import { UsageError, type Command, type CommandIo } from './command.ts';
import { confirmOnTerminal } from './confirm.ts';
import { formatLiveGroups, liveGroups } from './group-members.ts';
import { isoTime } from './iso-time.ts';
import { cliKafka } from './kafka-client.ts';
import { readRanges } from './read-range.ts';
import { applyReplay, PlanChangedError, type UsageHourKey } from './replay-apply.ts';
import { partitionFacts, type ReplayPoint } from './replay-facts.ts';
import { formatPlan, movedRows, planPartition, type ReplayPlan } from './replay-plan.ts';
import { replayTargets, schemaOf, SERVICES, type ReplayTarget } from './replay-targets.ts';
import { watchReplay } from './replay-watch.ts';

const args = z
  .object({
    from: z.union([z.literal('earliest'), isoTime], {
      error: '--from must be earliest or an ISO date-time with offset, e.g. 2026-11-30T10:00:00Z',
    }),
    to: isoTime.optional(),
    group: z.string().min(1).optional(),
    'dry-run': z.boolean().default(false),
    yes: z.boolean().default(false),
    watch: z.boolean().default(false),
    interval: z.coerce.number().positive().default(2),
    positionals: z.array(z.enum(SERVICES, { error: `expected one of ${SERVICES.join(', ')}` })).max(1),
  })
  .refine((a) => (a.positionals.length === 1) !== (a.group !== undefined), {
    message: `name a service (${SERVICES.join(', ')}) or one --group, not both`,
  })
  .refine((a) => a.to === undefined || a.from === 'earliest' || a.to > a.from, {
    message: '--to must be after --from',
  });

const options = {
  from: { type: 'string' },
  to: { type: 'string' },
  group: { type: 'string' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean' },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
} as const;

function chooseTargets(all: readonly ReplayTarget[], service: string | undefined, group: string | undefined) {
  if (group === undefined) return all.filter((t) => t.service === service);
  const found = all.filter((t) => t.group === group);
  if (found.length === 0) {
    throw new UsageError(
      `unknown consumer group ${group}; the services' groups are: ${all.map((t) => t.group).join(', ')}`,
    );
  }
  return found;
}

/** The instance-hours with a record in the replayed range of each billing usage partition that moves. */
async function usageKeysToRebuild(kafka: Kafka, env: NodeJS.ProcessEnv, plan: ReplayPlan): Promise<UsageHourKey[]> {
  const keys = new Map<string, UsageHourKey>();
  const registry = createRegistry(loadConfig(billingEnv, env).SCHEMA_REGISTRY_URL);
  for (const target of plan.targets.filter((t) => t.state === 'billing-usage')) {
    const codec = valueCodec(
      registry,
      typedTopic({ ...typedTopics.usageHourly.spec, name: target.topic }, typedTopics.usageHourly.schema),
    );
    const ranges = movedRows(plan)
      .filter((row) => row.group === target.group && row.topic === target.topic && row.covered !== undefined)
      .map((row) => ({ partition: row.partition, from: row.covered!.from, to: row.covered!.to }));
    for (const { message } of await readRanges(kafka, target.topic, ranges)) {
      if (message.value === null) continue;
      // A record that does not decode was dead-lettered when it was read; it never made a row.
      const usage = await codec.decode(message.value).catch(() => undefined);
      if (usage !== undefined)
        keys.set(`${usage.instanceId}|${usage.hourStart}`, {
          instanceId: usage.instanceId,
          hourStart: usage.hourStart,
        });
    }
  }
  return [...keys.values()];
}

/** Samples older than metering's retention are classified late when re-read: say so before the operator confirms. */
function retentionNote(targets: readonly ReplayTarget[], from: ReplayPoint, env: NodeJS.ProcessEnv): string {
  if (!targets.some((t) => t.service === 'metering')) return '';
  const config = loadConfig(meteringEnv, env);
  if (from !== 'earliest' && from >= Date.now() - retentionMs(config)) return '';
  return (
    `note: this re-reads samples older than metering's retention (METERING_RETENTION_DAYS=${config.METERING_RETENTION_DAYS}); ` +
    'they go to the late topic again. They were counted the first time: nothing is counted twice.\n'
  );
}

async function watchUntilDone(pool: Pool, plan: ReplayPlan, intervalMs: number, io: CommandIo): Promise<void> {
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  try {
    const done = await watchReplay(pool, movedRows(plan), { intervalMs, out: io.out, signal: stop.signal });
    io.err(
      done ? 'replay caught up with the end the plan saw.\n' : 'stopped watching; the service goes on rebuilding.\n',
    );
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/**
 * `tally replay <service> --from earliest|<ISO time> [--to <ISO time>] [--dry-run] [--yes] [--watch]`: rewinds a
 * service's stored offsets and the state they cover in one transaction, so the service rebuilds from there.
 */
export const replay: Command = {
  path: ['replay'],
  usage:
    'tally replay <metering|billing|abuse|drip|mailer> --from earliest|<time> [--to t] [--dry-run] [--yes] [--watch]',
  summary: 'rewind a stopped service (or one --group G) and the state its offsets cover; plan first, --yes to act',
  async run(argv, io) {
    const parsed = parseCommandArgs(argv, options, args);
    const targets = chooseTargets(replayTargets(io.env), parsed.positionals[0], parsed.group);
    const kafka = cliKafka(io.env);
    const pool = createPool(loadConfig(meteringEnv, io.env).DATABASE_URL, {
      schema: schemaOf(targets[0]!.service, io.env),
      max: 2,
      applicationName: 'tally-cli',
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const groups = targets.map((t) => t.group);
      const live = await liveGroups(admin, groups);
      if (live.length > 0) {
        io.err(formatLiveGroups(live));
        return 2;
      }
      const from: ReplayPoint = parsed.from;
      const rows = [];
      for (const target of targets) {
        for (const facts of await partitionFacts(admin, pool, target, from, parsed.to))
          rows.push(planPartition(target, facts));
      }
      const plan: ReplayPlan = { targets, rows };
      io.out(formatPlan(plan));
      io.out(retentionNote(targets, from, io.env));
      if (parsed['dry-run']) {
        io.err('dry run: nothing changed.\n');
        return 0;
      }
      if (movedRows(plan).length === 0) {
        io.err('nothing to replay: no partition moves back.\n');
        return 0;
      }
      if (!parsed.yes) {
        const answer = await confirmOnTerminal('Rewind these offsets and rebuild the state they cover?', 'replay');
        if (answer !== 'yes') {
          io.err(
            answer === 'no-terminal'
              ? 'refusing without --yes: not a terminal, nobody to confirm the plan. Nothing changed.\n'
              : 'not confirmed. Nothing changed.\n',
          );
          return 2;
        }
      }
      const usageKeys = await usageKeysToRebuild(kafka, io.env, plan);
      // The plan took a while to read: a service started meanwhile must still stop us.
      const lateLive = await liveGroups(admin, groups);
      if (lateLive.length > 0) {
        io.err(formatLiveGroups(lateLive));
        return 2;
      }
      let outcome;
      try {
        outcome = await applyReplay(pool, plan, usageKeys);
      } catch (error) {
        if (!(error instanceof PlanChangedError)) throw error;
        io.err(`${error.message}\n`);
        return 2;
      }
      io.out(
        `replayed: ${outcome.partitionsMoved} partitions rewound, ${outcome.usageRowsDeleted} billing_usage rows to rebuild, in one transaction.\n`,
      );
      // Kafka's committed offsets are only a hint, left alone: kafkajs can only set them by joining the group, which
      // would race a service starting now; the service's first batch after the rewind commits the new position.
      if (parsed.watch) await watchUntilDone(pool, plan, parsed.interval * 1000, io);
      else io.err('start the service to rebuild; `--watch` follows its progress.\n');
      return 0;
    } finally {
      await admin.disconnect();
      await pool.end();
    }
  },
};
