import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@tally/log';
import { downloadVerified, mavenRepository } from './download.ts';
import { fileName, parseLock, repositoryPath, type LockedArtifact } from './maven-lock.ts';
import { run } from './run-command.ts';
import { cacheDir, repoRoot } from './paths.ts';

/** The Kafka the local stack runs unless TALLY_KAFKA_VERSION says otherwise. */
export const DEFAULT_KAFKA_VERSION = '4.1.1';
export const APICURIO_VERSION = '3.0.9';

const lockDir = join(repoRoot, 'infra', 'maven');
export const kafkaLockFile = (version: string) => join(lockDir, `kafka-${version}.lock`);
export const apicurioLockFile = (version: string) => join(lockDir, `apicurio-${version}.lock`);

/** The Kafka versions with a pinned artifact list in infra/maven/. */
export function lockedKafkaVersions(): string[] {
  return readdirSync(lockDir)
    .map((f) => /^kafka-(.+)\.lock$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined)
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

export const kafkaLibs = (version: string) => join(cacheDir, 'kafka', version, 'libs');
export const apicurioHome = join(cacheDir, 'apicurio', APICURIO_VERSION);
export const apicurioJar = join(apicurioHome, `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`);

function done(dir: string): boolean {
  return existsSync(join(dir, '.complete'));
}

function markDone(dir: string): void {
  writeFileSync(join(dir, '.complete'), new Date().toISOString());
}

function readLock(file: string): LockedArtifact[] {
  return parseLock(readFileSync(file, 'utf8'), file);
}

/** Downloads what is not there yet, a few files at a time; each file is checked against its pinned SHA-256. */
async function fetchAll(artifacts: readonly LockedArtifact[], dir: string): Promise<void> {
  const queue = artifacts.filter((a) => !existsSync(join(dir, fileName(a))));
  const worker = async () => {
    for (let a = queue.shift(); a !== undefined; a = queue.shift()) {
      await downloadVerified(`${mavenRepository()}/${repositoryPath(a)}`, join(dir, fileName(a)), a.sha256);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

/**
 * Kafka's runtime classpath, once, straight from Maven Central (no Maven needed): the jars listed with their
 * SHA-256 in infra/maven/kafka-<version>.lock. An earlier Maven-made `.cache/kafka/<version>` is reused as is.
 */
export async function ensureKafkaArtifacts(log: Logger, version: string): Promise<string> {
  const libs = kafkaLibs(version);
  const dir = join(libs, '..');
  if (done(dir)) return libs;
  const lock = kafkaLockFile(version);
  if (!existsSync(lock)) {
    throw new Error(
      `Kafka ${version} has no pinned artifact list (${lock}); TALLY_KAFKA_VERSION may be one of ${lockedKafkaVersions().join(', ')}, or generate one with: node infra/src/lock-artifacts.ts kafka ${version}`,
    );
  }
  const artifacts = readLock(lock);
  log.info({ version, files: artifacts.length }, `fetching Apache Kafka ${version} from Maven Central (once)`);
  mkdirSync(libs, { recursive: true });
  await fetchAll(artifacts, libs);
  markDone(dir);
  return libs;
}

/** Apicurio Registry's "all" distribution, once, from Maven Central, checked against its pinned SHA-256. */
export async function ensureApicurioArtifacts(log: Logger): Promise<void> {
  if (done(apicurioHome)) return;
  const [archive] = readLock(apicurioLockFile(APICURIO_VERSION));
  if (archive === undefined) throw new Error(`${apicurioLockFile(APICURIO_VERSION)} lists no archive`);
  log.info({ version: APICURIO_VERSION }, `fetching Apicurio Registry ${APICURIO_VERSION} from Maven Central (once)`);
  mkdirSync(apicurioHome, { recursive: true });
  const tarball = join(apicurioHome, fileName(archive));
  await fetchAll([archive], apicurioHome);
  await run('tar', ['-xzf', tarball, '-C', apicurioHome]);
  if (!existsSync(apicurioJar)) throw new Error(`Apicurio archive did not contain ${apicurioJar}`);
  // The extracted tree is what runs; the archive would only take 100 MB.
  rmSync(tarball, { force: true });
  markDone(apicurioHome);
}
