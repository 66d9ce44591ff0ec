import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { javaKey, toolArchive } from '../../../src/devkit/class-data-archive.js';

describe('class data archives for tools', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function fakeJava(): Promise<{ home: string; java: string }> {
    const home = await mkdtemp(join(tmpdir(), 'turnout-cds-'));
    dirs.push(home);
    const java = join(home, 'bin', 'java');
    await mkdir(join(home, 'bin'));
    await writeFile(java, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    return { home, java };
  }

  it('maps an archive that is in place and dumps none when told not to create', async () => {
    const { home, java } = await fakeJava();
    const req = { java, home, classpath: 'x/*', mainClass: 'a.B', create: false };
    expect((await toolArchive(req)).jvmArgs).toEqual([]);
    const key = javaKey(java) as string;
    await mkdir(join(home, 'cds', key), { recursive: true });
    await writeFile(join(home, 'cds', key, 'a.B.jsa'), 'archive');
    expect((await toolArchive(req)).jvmArgs).toContain(`-XX:SharedArchiveFile=${join(home, 'cds', key, 'a.B.jsa')}`);
  });

  it('dumps to a temporary file and keeps it only after a successful run and check', async () => {
    const { home, java } = await fakeJava();
    const plan = await toolArchive({ java, home, classpath: 'x/*', mainClass: 'a.C', create: true });
    const dump = plan.jvmArgs.find((a) => a.startsWith('-XX:ArchiveClassesAtExit='))?.split('=')[1] as string;
    expect(dump).toMatch(/a\.C\.jsa\.\d+-[0-9a-f]+\.tmp$/);
    await writeFile(dump, 'archive');
    await plan.finish(1);
    const again = await toolArchive({ java, home, classpath: 'x/*', mainClass: 'a.C', create: true });
    expect(again.jvmArgs.some((a) => a.startsWith('-XX:ArchiveClassesAtExit='))).toBe(true);
    const dump2 = again.jvmArgs.find((a) => a.startsWith('-XX:ArchiveClassesAtExit='))?.split('=')[1] as string;
    await writeFile(dump2, 'archive');
    await again.finish(0); // the stand-in java "maps" it fine
    expect((await toolArchive({ java, home, classpath: 'x/*', mainClass: 'a.C', create: true })).jvmArgs.some((a) => a.startsWith('-XX:SharedArchiveFile='))).toBe(true);
  });

  it('is off with TURNOUT_KAFKA_CDS=0 and when there is no java', async () => {
    const { home, java } = await fakeJava();
    expect((await toolArchive({ java, home, classpath: 'x/*', mainClass: 'a.D', create: true, env: { TURNOUT_KAFKA_CDS: '0' } })).jvmArgs).toEqual([]);
    expect((await toolArchive({ java: join(home, 'nope'), home, classpath: 'x/*', mainClass: 'a.D', create: true })).jvmArgs).toEqual([]);
  });
});
