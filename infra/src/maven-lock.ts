/**
 * The artifacts the local stack fetches from Maven Central, pinned by SHA-256 in `infra/maven/*.lock`: one line
 * per file, `<sha256>  <group>:<artifact>:<version>[:<classifier>]@<extension>`, `#` starts a comment. A lock is
 * generated once with Maven (`node infra/src/lock-artifacts.ts`), so a machine running the stack needs no Maven.
 */
export interface LockedArtifact {
  readonly group: string;
  readonly artifact: string;
  readonly version: string;
  readonly classifier: string | undefined;
  readonly extension: string;
  readonly sha256: string;
}

const line = /^([0-9a-f]{64})\s+([\w.-]+):([\w.-]+):([\w.+-]+)(?::([\w.-]+))?@([\w.]+)$/;

/**
 * @example
 * parseLock('ab…(64 hex)  org.apache.kafka:kafka-clients:3.9.1@jar')[0].artifact // 'kafka-clients'
 */
export function parseLock(text: string, source = 'lock'): LockedArtifact[] {
  const artifacts: LockedArtifact[] = [];
  text.split('\n').forEach((raw, index) => {
    const content = raw.replace(/#.*/, '').trim();
    if (content === '') return;
    const match = line.exec(content);
    if (match === null)
      throw new Error(`${source}:${index + 1}: not "<sha256>  group:artifact:version[:classifier]@ext"`);
    const [, sha256, group, artifact, version, classifier, extension] = match as unknown as [
      string,
      string,
      string,
      string,
      string,
      string | undefined,
      string,
    ];
    artifacts.push({ group, artifact, version, classifier, extension, sha256 });
  });
  return artifacts;
}

export function formatLock(artifacts: readonly LockedArtifact[], header: string): string {
  const lines = artifacts
    .map(
      (a) =>
        `${a.sha256}  ${a.group}:${a.artifact}:${a.version}${a.classifier ? `:${a.classifier}` : ''}@${a.extension}`,
    )
    .sort((x, y) => x.slice(66).localeCompare(y.slice(66)));
  return `${header
    .split('\n')
    .map((h) => `# ${h}`.trimEnd())
    .join('\n')}\n${lines.join('\n')}\n`;
}

/** The file name Maven's copy-dependencies gives it (the layout of an existing `.cache`). */
export function fileName(a: Pick<LockedArtifact, 'artifact' | 'version' | 'classifier' | 'extension'>): string {
  return `${a.artifact}-${a.version}${a.classifier ? `-${a.classifier}` : ''}.${a.extension}`;
}

/** Where a Maven 2 repository serves it, relative to the repository's root. */
export function repositoryPath(a: Omit<LockedArtifact, 'sha256'>): string {
  return `${a.group.replaceAll('.', '/')}/${a.artifact}/${a.version}/${fileName(a)}`;
}
