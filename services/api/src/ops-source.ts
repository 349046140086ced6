import { createPool, type Pool } from '@tally/db';
import { createRegistry, listDeadLetters, dlqTopicName, positionKey, type DeadLetterView } from '@tally/kafka';
import {
  cliKafka,
  loadOwners,
  loadReplayed,
  pgRedriveLedger,
  readLateRecords,
  selectLate,
  statusReport,
  summarizeLate,
  type LateFilter,
  type LateGroup,
  type StatusReport,
} from '@tally/cli/ops';
import { loadConfig } from '@tally/config';
import { meteringEnv } from '@tally/metering/config';

export interface DeadLetterSummary {
  readonly topic: string;
  readonly count: number;
  /** Not re-driven yet (null entries: the ledger could not be read). */
  readonly waiting: number;
  readonly latest: (DeadLetterView & { readonly redriven: boolean | null })[];
}

export interface LateSummary {
  readonly topic: string;
  readonly undecodable: number;
  readonly records: number;
  readonly groups: LateGroup[];
}

/**
 * The operator views, computed as the CLI computes them (`tally status`, `dlq list`, `late list`): the API adds no
 * second reading of the pipeline. Each call reads the broker afresh; these are an operator's occasional questions.
 */
export interface OpsSource {
  status(stallAfterSeconds: number): Promise<StatusReport>;
  deadLetters(topic: string, limit: number): Promise<DeadLetterSummary>;
  late(filter: LateFilter, limit: number): Promise<LateSummary>;
  close(): Promise<void>;
}

/**
 * The real source, from the same environment the CLI reads (KAFKA_BROKERS, registry, the services' topic and group
 * names). Its pools are the read URL's; the redrive ledger lives in billing's schema (as for `tally dlq list`),
 * inventory and late replays in metering's.
 */
export function cliOpsSource(
  env: NodeJS.ProcessEnv,
  readUrl: string,
  schemas: { billing: string; metering: string; abuse: string },
): OpsSource {
  const pools = new Map<string, Pool>();
  const poolOf = (schema: string): Pool => {
    let pool = pools.get(schema);
    if (pool === undefined) {
      pool = createPool(readUrl, { schema, max: 2, applicationName: 'tally-api-ops' });
      pools.set(schema, pool);
    }
    return pool;
  };
  const metering = loadConfig(meteringEnv, { ...env, DB_SCHEMA: schemas.metering });
  return {
    status: (stallAfter) => statusReport(env, stallAfter),
    async deadLetters(topic, limit) {
      const letters = await listDeadLetters(cliKafka(env), topic);
      const done = await pgRedriveLedger(poolOf(schemas.billing))
        .redriven(dlqTopicName(topic))
        .catch(() => undefined);
      const rows = letters.map((letter) => ({
        ...letter,
        redriven: done === undefined ? null : done.has(positionKey(letter)),
      }));
      // Latest first: by the time the letter was written, then position.
      const latest = [...rows].sort((a, b) =>
        a.time === b.time ? Number(b.offset) - Number(a.offset) : a.time < b.time ? 1 : -1,
      );
      return {
        topic,
        count: rows.length,
        waiting: rows.filter((r) => r.redriven !== true).length,
        latest: latest.slice(0, limit),
      };
    },
    async late(filter, limit) {
      const topic = metering.METERING_LATE_TOPIC;
      const pool = poolOf(schemas.metering);
      const { records, undecodable } = await readLateRecords(
        cliKafka(env),
        createRegistry(metering.SCHEMA_REGISTRY_URL),
        topic,
      );
      const owners = await loadOwners(
        pool,
        records.map((r) => r.late.sample.instanceId),
      );
      const selected = selectLate(records, owners, filter);
      const groups = summarizeLate(selected, owners, await loadReplayed(pool, topic));
      return { topic, undecodable, records: selected.length, groups: groups.slice(-limit) };
    },
    async close() {
      await Promise.all([...pools.values()].map((pool) => pool.end()));
    },
  };
}
