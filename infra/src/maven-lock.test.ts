import { describe, expect, it } from 'vitest';
import { fileName, formatLock, parseLock, repositoryPath, type LockedArtifact } from './maven-lock.ts';

const hash = (c: string) => c.repeat(64);

describe('maven lock', () => {
  const artifacts: LockedArtifact[] = [
    {
      group: 'org.apache.kafka',
      artifact: 'kafka_2.13',
      version: '4.1.1',
      classifier: undefined,
      extension: 'jar',
      sha256: hash('a'),
    },
    {
      group: 'io.apicurio',
      artifact: 'apicurio-registry-app',
      version: '3.0.9',
      classifier: 'all',
      extension: 'tar.gz',
      sha256: hash('b'),
    },
  ];

  it('reads back what it writes, in coordinate order, comments ignored', () => {
    const text = formatLock(artifacts, 'generated\nby a test');
    expect(text.startsWith('# generated\n# by a test\n')).toBe(true);
    expect(parseLock(text)).toEqual([artifacts[1], artifacts[0]]);
  });

  it('names files as copy-dependencies does and finds them in the repository', () => {
    expect(fileName(artifacts[0]!)).toBe('kafka_2.13-4.1.1.jar');
    expect(repositoryPath(artifacts[1]!)).toBe(
      'io/apicurio/apicurio-registry-app/3.0.9/apicurio-registry-app-3.0.9-all.tar.gz',
    );
  });

  it('names the line it cannot read', () => {
    expect(() => parseLock(`# fine\n${hash('c')}  org.x:y:1@jar\nnot a line\n`, 'kafka-4.1.1.lock')).toThrowError(
      /^kafka-4\.1\.1\.lock:3: /,
    );
    expect(() => parseLock(`${hash('g')}  org.x:y:1@jar`)).toThrowError(/:1: /);
  });
});
