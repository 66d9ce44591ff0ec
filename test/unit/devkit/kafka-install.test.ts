import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedKafka, cachedKafkaVersions, ensureKafka, KafkaInstallError, missingLogBinding, renderFetchPom } from '../../../src/devkit/kafka-install.js';

// A stand-in for Maven: records its arguments and drops the jars a real run would copy.
const FAKE_MVN = `#!/bin/sh
echo "$*" >> "$FAKE_MVN_LOG"
out=""
for a in "$@"; do case "$a" in -DoutputDirectory=*) out="\${a#-DoutputDirectory=}";; esac; done
case "$*" in
  *copy-dependencies*)
    [ -n "$FAKE_MVN_FAIL" ] && { echo "[ERROR] Could not resolve dependencies" ; exit 1; }
    v=$(sed -n 's/.*<artifactId>kafka_2.13<\\/artifactId><version>\\([^<]*\\)<.*/\\1/p' pom.xml)
    for j in kafka_2.13-$v.jar kafka-tools-$v.jar kafka-clients-$v.jar log4j-core-2.24.3.jar log4j-api-2.24.3.jar slf4j-api-1.7.36.jar; do : > "$out/$j"; done ;;
  *dependency-plugin*:copy\\ *)
    art=$(printf '%s\\n' "$@" | sed -n 's/^-Dartifact=//p')
    name=$(echo "$art" | cut -d: -f2); ver=$(echo "$art" | cut -d: -f3)
    : > "$out/$name-$ver.jar" ;;
esac
`;

describe('Kafka install', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    delete process.env.FAKE_MVN_LOG;
    delete process.env.FAKE_MVN_FAIL;
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function fakeMaven(): Promise<{ root: string; mvn: string; calls: () => Promise<string[]> }> {
    const root = await mkdtemp(join(tmpdir(), 'turnout-devkit-'));
    dirs.push(root);
    const mvn = join(root, 'fake-mvn');
    await writeFile(mvn, FAKE_MVN);
    await chmod(mvn, 0o755);
    const log = join(root, 'mvn-calls.log');
    process.env.FAKE_MVN_LOG = log;
    return { root, mvn, calls: async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '') };
  }

  it('names kafka_2.13 and kafka-tools of the version in the throwaway pom', () => {
    const pom = renderFetchPom('3.9.1');
    expect(pom).toContain('<artifactId>kafka_2.13</artifactId><version>3.9.1</version>');
    expect(pom).toContain('<artifactId>kafka-tools</artifactId><version>3.9.1</version>');
    expect(pom).toContain('<packaging>pom</packaging>');
  });

  it('adds the log4j2 binding matching log4j-core, and nothing when a binding is there', () => {
    expect(missingLogBinding(['log4j-core-2.24.3.jar', 'slf4j-api-1.7.36.jar'])).toBe('org.apache.logging.log4j:log4j-slf4j-impl:2.24.3');
    expect(missingLogBinding(['log4j-core-2.25.0.jar', 'slf4j-api-2.0.17.jar'])).toBe('org.apache.logging.log4j:log4j-slf4j2-impl:2.25.0');
    expect(missingLogBinding(['reload4j-1.2.25.jar', 'slf4j-api-1.7.36.jar', 'slf4j-reload4j-1.7.36.jar'])).toBeUndefined();
    expect(missingLogBinding(['reload4j-1.2.25.jar', 'slf4j-api-1.7.36.jar'])).toBe('org.slf4j:slf4j-reload4j:1.7.36');
  });

  it('downloads once with Maven, then serves the cache without running Maven again', async () => {
    const { root, mvn, calls } = await fakeMaven();
    expect(cachedKafka('4.1.1', root)).toBeUndefined();
    const install = await ensureKafka('4.1.1', { mvn, cacheRoot: root });
    expect(install.libsDir).toBe(join(root, 'kafka', '4.1.1', 'libs'));
    expect(install.classpath).toBe(join(install.libsDir, '*'));
    const jars = await readdir(install.libsDir);
    expect(jars).toContain('kafka_2.13-4.1.1.jar');
    expect(jars).toContain('log4j-slf4j-impl-2.24.3.jar');
    expect(await readFile(install.toolLogConfig, 'utf8')).toContain('SYSTEM_ERR');
    expect(await calls()).toHaveLength(2);
    await ensureKafka('4.1.1', { mvn, cacheRoot: root });
    expect(await calls()).toHaveLength(2);
    expect(await cachedKafkaVersions(root)).toEqual(['4.1.1']);
  });

  it('fails with Maven\'s own words and leaves no partial install', async () => {
    const { root, mvn } = await fakeMaven();
    process.env.FAKE_MVN_FAIL = '1';
    const failed = ensureKafka('3.9.1', { mvn, cacheRoot: root });
    await expect(failed).rejects.toBeInstanceOf(KafkaInstallError);
    await expect(failed).rejects.toThrow('Could not resolve dependencies');
    expect(cachedKafka('3.9.1', root)).toBeUndefined();
    expect((await readdir(join(root, 'kafka'))).filter((n) => !n.endsWith('.lock'))).toEqual([]);
  });

  it('rejects a version that is not one', async () => {
    await expect(ensureKafka('latest')).rejects.toThrow('invalid Kafka version');
  });
});
