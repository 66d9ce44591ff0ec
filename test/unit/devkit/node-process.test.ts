// A pid file names our process only while that process is alive and carries our marker, and a
// process in the middle of an exec (as a broker started through `ip netns exec` is, just after
// its spawn) still counts as alive: it once failed a cluster start as "broker 1 process exited".
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { livePid } from '../../../src/devkit/node-process.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function pidFileFor(pid: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'turnout-node-process-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'pid');
  await writeFile(file, `${pid}\n`);
  return file;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

describe('livePid', () => {
  it('takes a process for ours from its spawn on, through the exec it starts with', async () => {
    let misses = 0;
    for (let run = 0; run < 5; run++) {
      const marker = `-Dturnout.node=/test/exec-${run}`;
      // The shell execs a second one, which keeps the marker as its $0: for a moment in
      // between, the process shows an empty command line.
      const child = spawn('sh', ['-c', `exec sh -c 'sleep 0.4' '${marker}'`, marker], { stdio: 'ignore' });
      cleanups.push(async () => {
        child.kill('SIGKILL');
        await exited(child);
      });
      const pidFile = await pidFileFor(child.pid as number);
      const until = Date.now() + 150;
      while (Date.now() < until) if ((await livePid(pidFile, marker)) !== child.pid) misses++;
      await exited(child);
      expect(await livePid(pidFile, marker)).toBeUndefined();
    }
    expect(misses).toBe(0);
  });

  it('does not take a live process without the marker for ours', async () => {
    const child = spawn('sleep', ['1'], { stdio: 'ignore' });
    cleanups.push(async () => {
      child.kill('SIGKILL');
      await exited(child);
    });
    const pidFile = await pidFileFor(child.pid as number);
    expect(await livePid(pidFile, '-Dturnout.node=/test/other')).toBeUndefined();
  });

  it('finds nothing in a pid file that is missing or holds no pid', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnout-node-process-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    expect(await livePid(join(dir, 'none'), '-Dx')).toBeUndefined();
    await writeFile(join(dir, 'junk'), 'not a pid');
    expect(await livePid(join(dir, 'junk'), '-Dx')).toBeUndefined();
  });
});
