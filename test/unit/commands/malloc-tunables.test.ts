import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allocatorSettings, TURNOUT_MALLOC_TUNABLES, withMallocTunables } from '../../../src/commands/malloc-tunables.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const LAUNCHER = path.join(ROOT, 'bin', 'turnout');
const OURS = 'glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=4194304';

describe('the allocator settings Turnout starts with', () => {
  it('adds both tunables when none is set', () => {
    expect(withMallocTunables(undefined)).toBe(OURS);
    expect(withMallocTunables('')).toBe(OURS);
  });

  it("keeps the operator's tunables and adds only the names they do not set", () => {
    expect(withMallocTunables('glibc.malloc.arena_max=2')).toBe(`glibc.malloc.arena_max=2:${OURS}`);
    expect(withMallocTunables('glibc.malloc.trim_threshold=1024')).toBe('glibc.malloc.trim_threshold=1024:glibc.malloc.mmap_threshold=4194304');
    expect(withMallocTunables(`glibc.malloc.mmap_threshold=1:glibc.malloc.trim_threshold=2`)).toBe('glibc.malloc.mmap_threshold=1:glibc.malloc.trim_threshold=2');
  });

  it('does not take a longer name for one of its own', () => {
    expect(withMallocTunables('glibc.malloc.trim_threshold_x=1')).toBe(`glibc.malloc.trim_threshold_x=1:${OURS}`);
  });

  it('reports which of its tunables a process was started with', () => {
    expect(allocatorSettings(undefined)).toEqual({ set: [], missing: ['glibc.malloc.trim_threshold', 'glibc.malloc.mmap_threshold'] });
    expect(allocatorSettings('glibc.malloc.trim_threshold=5')).toEqual({ set: ['glibc.malloc.trim_threshold'], missing: ['glibc.malloc.mmap_threshold'] });
    expect(allocatorSettings(OURS)).toEqual({ set: ['glibc.malloc.trim_threshold', 'glibc.malloc.mmap_threshold'], missing: [] });
  });
});

describe('bin/turnout', () => {
  let dir: string;

  beforeEach(async () => {
    // The launcher as shipped, beside a stand-in for the compiled CLI that prints what it was started with.
    dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-launcher-'));
    await mkdir(path.join(dir, 'bin'));
    await mkdir(path.join(dir, 'dist', 'src'), { recursive: true });
    await copyFile(LAUNCHER, path.join(dir, 'bin', 'turnout'));
    await chmod(path.join(dir, 'bin', 'turnout'), 0o755);
    await writeFile(path.join(dir, 'dist', 'src', 'cli.js'), 'console.log(JSON.stringify({ pid: process.pid, tunables: process.env.GLIBC_TUNABLES ?? null, args: process.argv.slice(2) }));\n');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function launch(env: Record<string, string | undefined>): Promise<{ childPid: number; seen: { pid: number; tunables: string | null; args: string[] } }> {
    const childEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, NODE: process.execPath, ...env })) if (v !== undefined) childEnv[k] = v;
    return new Promise((resolve, reject) => {
      const child = spawn(path.join(dir, 'bin', 'turnout'), ['start', '--config', 'a b.yaml'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (err += b.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve({ childPid: child.pid as number, seen: JSON.parse(out) }) : reject(new Error(`launcher exited ${code}: ${err}`))));
    });
  }

  it('starts the CLI in its own process with the tunables and the arguments as given', async () => {
    const { childPid, seen } = await launch({ GLIBC_TUNABLES: undefined });
    expect(seen.tunables).toBe(OURS);
    expect(seen.args).toEqual(['start', '--config', 'a b.yaml']);
    // exec: the process a supervisor started and signals is Node itself.
    expect(seen.pid).toBe(childPid);
  });

  it("keeps the caller's tunables and fills in only the others", async () => {
    expect((await launch({ GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=1024' })).seen.tunables).toBe('glibc.malloc.trim_threshold=1024:glibc.malloc.mmap_threshold=4194304');
    expect((await launch({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' })).seen.tunables).toBe(`glibc.malloc.arena_max=2:${OURS}`);
    expect((await launch({ GLIBC_TUNABLES: '' })).seen.tunables).toBe(OURS);
  });

  it('carries the same names and values as the TypeScript list', async () => {
    const script = await readFile(LAUNCHER, 'utf8');
    const listed = [...script.matchAll(/(glibc\.malloc\.[a-z_]+)=(\d+)/g)].map((m) => [m[1], Number(m[2])]);
    expect(listed).toEqual(TURNOUT_MALLOC_TUNABLES.map(([n, v]) => [n, v]));
  });
});
