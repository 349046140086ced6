import { rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Logger } from '@tally/log';
import pg from 'pg';
import { daemon, stopDaemon } from './daemon.ts';
import { portIsFree } from './ports.ts';
import { registryAnswers, startRegistry } from './schema-registry.ts';
import { waitUntil } from './wait-until.ts';

/**
 * A schema registry of a test's own, with its own PostgreSQL schema for storage, so that the test can
 * stop and restart it (or lose it) without disturbing the tests that share the stack's registry.
 */
export interface PrivateRegistry {
  /** Confluent-compatible base URL, as SCHEMA_REGISTRY_URL would be. */
  url: string;
  port: number;
  /** The PostgreSQL schema holding its storage. */
  dbSchema: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(downMs?: number): Promise<void>;
  /** Stops it and removes its storage and run folder. */
  destroy(): Promise<void>;
}

async function freePort(from: number): Promise<number> {
  for (let port = from; port < from + 400; port += 1) {
    if (await portIsFree(port)) return port;
  }
  throw new Error(`no free port from ${from}`);
}

export async function startPrivateRegistry(
  name: string,
  databaseUrl: string,
  log: Logger,
  timeoutMs = 120_000,
): Promise<PrivateRegistry> {
  const port = await freePort(28_081 + Math.floor(Math.random() * 400));
  const dbSchema = `apicurio_test_${randomBytes(5).toString('hex')}`;
  const d = daemon(`private-registry/${name}`);
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  const start = async () => {
    await startRegistry(log, port, { databaseUrl, dbSchema }, d);
    await waitUntil(`private schema registry ${name}`, () => registryAnswers(url), timeoutMs, `see ${d.logFile}`);
  };
  const stop = async () => {
    await stopDaemon(d);
  };
  await start();
  return {
    url,
    port,
    dbSchema,
    start,
    stop,
    async restart(downMs = 0) {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async destroy() {
      await stop();
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${dbSchema}" CASCADE`);
      } finally {
        await client.end();
      }
      rmSync(d.dir, { recursive: true, force: true });
    },
  };
}
