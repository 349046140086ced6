import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@tally/log';
import pg from 'pg';
import { apicurioJar, ensureApicurioArtifacts } from './artifacts.ts';
import { daemon, startDaemon, type Daemon } from './daemon.ts';
import { ensureJava, javaCommand } from './java.ts';
import {
  describeRegistryStorage,
  registryDbSchemaPattern,
  registryStorageEnv,
  type RegistryStorage,
} from './registry-storage.ts';

export const registryDaemon = daemon('schema-registry');

const java = () => javaCommand();

/** Apicurio creates its tables, not the schema that holds them. */
export async function ensureRegistryDbSchema(storage: RegistryStorage): Promise<void> {
  if (!registryDbSchemaPattern.test(storage.dbSchema)) throw new Error(`bad registry schema "${storage.dbSchema}"`);
  const client = new pg.Client({ connectionString: storage.databaseUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${storage.dbSchema}"`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`schema registry: cannot prepare its storage at ${describeRegistryStorage(storage)}: ${reason}`, {
      cause: error,
    });
  } finally {
    await client.end().catch(() => undefined);
  }
}

function storageMarker(d: Daemon): string {
  return join(d.dir, 'storage');
}

/** The storage the registry of this daemon was last started with, or undefined (an older, in-memory start). */
export function startedStorage(d: Daemon = registryDaemon): string | undefined {
  const file = storageMarker(d);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * Apicurio Registry with its SQL storage on PostgreSQL (see registry-storage.ts): schemas and their ids
 * outlive the process, so records written with any earlier version still decode after a restart.
 */
export async function startRegistry(
  log: Logger,
  port: number,
  storage: RegistryStorage,
  d: Daemon = registryDaemon,
): Promise<void> {
  await ensureJava();
  await ensureApicurioArtifacts(log);
  await ensureRegistryDbSchema(storage);
  mkdirSync(d.dir, { recursive: true });
  writeFileSync(storageMarker(d), describeRegistryStorage(storage));
  log.info({ port, storage: describeRegistryStorage(storage) }, 'schema registry storage');
  startDaemon(
    d,
    java(),
    [
      '-Xms128m',
      '-Xmx512m',
      // C1 only and the serial collector: on a busy 2-core machine the registry answers in ~11 s instead of
      // ~46 s (measured under load 15); it serves a few lookups per schema id, so peak speed does not matter.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Dquarkus.http.port=${port}`,
      '-Dquarkus.http.host=127.0.0.1',
      '-Dquarkus.log.console.json=false',
      '-jar',
      apicurioJar,
    ],
    // Through the environment, not -D, so that a password in DATABASE_URL never shows in `ps`.
    { ...process.env, ...registryStorageEnv(storage) },
  );
}

export async function registryAnswers(url: string): Promise<boolean> {
  const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
  return response.ok;
}
