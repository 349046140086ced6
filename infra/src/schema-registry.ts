import { join } from 'node:path';
import type { Logger } from '@tally/log';
import { apicurioJar, ensureApicurioArtifacts } from './artifacts.ts';
import { daemon, startDaemon } from './daemon.ts';

export const registryDaemon = daemon('schema-registry');

function java(): string {
  return process.env['JAVA_HOME'] ? join(process.env['JAVA_HOME'], 'bin', 'java') : 'java';
}

/** Apicurio Registry with in-memory storage: schemas are re-registered by `stack up` after each start. */
export async function startRegistry(log: Logger, port: number): Promise<void> {
  await ensureApicurioArtifacts(log);
  startDaemon(registryDaemon, java(), [
    '-Xms128m',
    '-Xmx512m',
    `-Dquarkus.http.port=${port}`,
    '-Dquarkus.http.host=127.0.0.1',
    '-Dquarkus.log.console.json=false',
    '-jar',
    apicurioJar,
  ]);
}

export async function registryAnswers(url: string): Promise<boolean> {
  const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
  return response.ok;
}
