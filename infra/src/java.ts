import { join } from 'node:path';
import { run } from './run-command.ts';

/** Kafka 4 and Apicurio 3 need Java 17 or later. */
export const MINIMUM_JAVA = 17;

export function javaCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env['JAVA_HOME'] ? join(env['JAVA_HOME'], 'bin', 'java') : 'java';
}

const howToInstall = [
  `Install Java ${MINIMUM_JAVA} or later (a JRE is enough), then run the command again:`,
  '  Debian/Ubuntu:  sudo apt-get install openjdk-17-jre-headless',
  '  Fedora/RHEL:    sudo dnf install java-17-openjdk-headless',
  '  macOS:          brew install openjdk@17',
  '  any system:     a Temurin build from https://adoptium.net, or `sdk install java 17.0.15-tem` (SDKMAN!)',
  'or set JAVA_HOME to a Java 17+ installation.',
].join('\n');

/**
 * The major version in `java -version` output: `openjdk version "17.0.15"` → 17, `java version "1.8.0_402"` → 8.
 *
 * @example
 * javaMajorVersion('openjdk version "21.0.2" 2024-01-16') // 21
 */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

const checked = new Map<string, Promise<void>>();

/** Fails with how to install Java when `java` (JAVA_HOME's, else the PATH's) is missing or older than 17. */
export function ensureJava(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const java = javaCommand(env);
  const known = checked.get(java);
  if (known !== undefined) return known;
  const check = (async () => {
    let output: string;
    try {
      output = await run(java, ['-version'], { env });
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      throw new Error(`The local Kafka broker and schema registry run on Java, and ${reason}.\n${howToInstall}`, {
        cause: error,
      });
    }
    const major = javaMajorVersion(output);
    if (major === undefined || major < MINIMUM_JAVA) {
      throw new Error(
        `${java} is Java ${major ?? '(unknown version)'}; the local stack needs Java ${MINIMUM_JAVA} or later.\n${howToInstall}`,
      );
    }
  })();
  checked.set(java, check);
  return check;
}
