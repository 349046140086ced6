import { inTransaction, type Pool } from '@tally/db';
import { positionKey, type RedriveLedger } from '@tally/kafka';

/**
 * The redrive ledger in PostgreSQL (table redriven_dead_letters): one row per re-driven dead letter. A redrive holds
 * a transaction-scoped advisory lock on its dead-letter topic, so two operators re-driving at once take turns and
 * neither sends what the other did.
 */
export function pgRedriveLedger(pool: Pool): RedriveLedger {
  const load = async (db: Pick<Pool, 'query'>, topic: string): Promise<Set<string>> => {
    const result = await db.query<{ partition: number; offset: string }>(
      'SELECT partition, "offset" FROM redriven_dead_letters WHERE dlq_topic = $1',
      [topic],
    );
    return new Set(result.rows.map((row) => positionKey(row)));
  };
  return {
    redriven: (topic) => load(pool, topic),
    redrive: (topic, send) =>
      inTransaction(pool, async (client) => {
        await client.query("SELECT pg_advisory_xact_lock(hashtext('tally.redrive:' || $1))", [topic]);
        const sent = await send(await load(client, topic));
        if (sent.length > 0) {
          await client.query(
            `INSERT INTO redriven_dead_letters (dlq_topic, partition, "offset", error_class)
             SELECT $1, * FROM unnest($2::integer[], $3::bigint[], $4::text[])
             ON CONFLICT DO NOTHING`,
            [topic, sent.map((v) => v.partition), sent.map((v) => v.offset), sent.map((v) => v.errorClass)],
          );
        }
        return sent;
      }),
  };
}
