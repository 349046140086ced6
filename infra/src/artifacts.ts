import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@tally/log';
import { run } from './run-command.ts';
import { cacheDir, repoRoot } from './paths.ts';

const pom = join(repoRoot, 'infra', 'maven', 'pom.xml');
export const KAFKA_VERSION = '3.9.1';
export const APICURIO_VERSION = '3.0.9';

export const kafkaLibs = join(cacheDir, 'kafka', KAFKA_VERSION, 'libs');
export const apicurioHome = join(cacheDir, 'apicurio', APICURIO_VERSION);
export const apicurioJar = join(apicurioHome, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);

function done(dir: string): boolean {
  return existsSync(join(dir, '.complete'));
}

function markDone(dir: string): void {
  writeFileSync(join(dir, '.complete'), new Date().toISOString());
}

/** Kafka's runtime classpath from Maven Central, once; Maven checks every checksum (-C). */
export async function ensureKafkaArtifacts(log: Logger): Promise<void> {
  const dir = join(kafkaLibs, '..');
  if (done(dir)) return;
  log.info({ version: KAFKA_VERSION }, 'fetching Apache Kafka from Maven Central (once)');
  mkdirSync(kafkaLibs, { recursive: true });
  await run('mvn', [
    '-B',
    '-q',
    '-C',
    '-f',
    pom,
    `-Dkafka.version=${KAFKA_VERSION}`,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${kafkaLibs}`,
    '-DincludeScope=runtime',
  ]);
  markDone(dir);
}

/**
 * Apicurio Registry's "all" distribution, once. Plugin 2.8 copies it by coordinates without reading its
 * parent POM, which Maven Central does not carry for this artifact.
 */
export async function ensureApicurioArtifacts(log: Logger): Promise<void> {
  if (done(apicurioHome)) return;
  log.info({ version: APICURIO_VERSION }, 'fetching Apicurio Registry from Maven Central (once)');
  mkdirSync(apicurioHome, { recursive: true });
  const artifact = `io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`;
  await run('mvn', [
    '-B',
    '-q',
    '-C',
    '-f',
    pom,
    'org.apache.maven.plugins:maven-dependency-plugin:2.8:copy',
    `-Dartifact=${artifact}`,
    `-DoutputDirectory=${apicurioHome}`,
  ]);
  const tarball = join(apicurioHome, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
  await run('tar', ['-xzf', tarball, '-C', apicurioHome]);
  if (!existsSync(apicurioJar)) throw new Error(`Apicurio archive did not contain ${apicurioJar}`);
  markDone(apicurioHome);
}

export function readClusterId(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}
