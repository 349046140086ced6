import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureJava, javaMajorVersion } from './java.ts';

describe('java', () => {
  it('reads the major version of old and new version strings', () => {
    expect(javaMajorVersion('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toBe(17);
    expect(javaMajorVersion('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajorVersion('java version "1.8.0_402"')).toBe(8);
    expect(javaMajorVersion('command not found')).toBeUndefined();
  });

  it('says how to install Java when there is none', async () => {
    await expect(ensureJava({ JAVA_HOME: '/nonexistent-jdk', PATH: process.env['PATH'] })).rejects.toThrowError(
      /run on Java[\s\S]*Install Java 17 or later[\s\S]*apt-get install openjdk-17-jre-headless[\s\S]*JAVA_HOME/,
    );
  });

  it('refuses Java 8 and accepts the Java on this machine', async () => {
    const home = mkdtempSync(join(tmpdir(), 'old-jdk-'));
    mkdirSync(join(home, 'bin'));
    writeFileSync(join(home, 'bin', 'java'), '#!/bin/sh\necho \'java version "1.8.0_402"\' >&2\n');
    chmodSync(join(home, 'bin', 'java'), 0o755);
    await expect(ensureJava({ JAVA_HOME: home })).rejects.toThrowError(/is Java 8; the local stack needs Java 17/);
    await expect(ensureJava()).resolves.toBeUndefined();
  });
});
