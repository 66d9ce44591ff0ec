import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { LockTimeoutError, withLock } from '../../../src/devkit/file-lock.js';

describe('file lock', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  async function lockPath(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'turnout-lock-'));
    dirs.push(dir);
    return join(dir, 'x.lock');
  }

  it('runs holders one at a time', async () => {
    const path = await lockPath();
    const events: string[] = [];
    const holder = (name: string) =>
      withLock(path, async () => {
        events.push(`${name} in`);
        await sleep(50);
        events.push(`${name} out`);
      });
    await Promise.all([holder('a'), holder('b')]);
    expect(events).toHaveLength(4);
    // Whoever got in first got out before the other came in.
    expect(events[1]).toBe(events[0]?.replace('in', 'out'));
    expect(events[3]).toBe(events[2]?.replace('in', 'out'));
  });

  it('takes over a lock whose holder died', async () => {
    const path = await lockPath();
    await mkdir(path);
    await writeFile(join(path, 'pid'), '999999999');
    expect(await withLock(path, async () => 'taken', { timeoutMs: 2_000 })).toBe('taken');
  });

  it('gives up after the timeout while a live holder keeps it', async () => {
    const path = await lockPath();
    let release: () => void = () => undefined;
    let entered: () => void = () => undefined;
    const inside = new Promise<void>((r) => (entered = r));
    const held = withLock(path, () => {
      entered();
      return new Promise<void>((r) => (release = r));
    });
    await inside;
    await expect(withLock(path, async () => 'never', { timeoutMs: 300 })).rejects.toBeInstanceOf(LockTimeoutError);
    release();
    await held;
  });
});
