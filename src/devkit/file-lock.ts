// A cross-process lock made of a directory (mkdir is atomic) holding the owner's pid, so
// that two `turnout kafka up` runs, or a test run and a setup script, never download the
// same jars or start the same cluster twice. A lock whose owner died is taken over.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPidAlive } from './node-process.js';

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  timeoutMs?: number;
  /** Called once when the lock is held by someone else and we start waiting. */
  onWait?: (holderPid: number | undefined) => void;
}

export class LockTimeoutError extends Error {
  constructor(readonly lockPath: string, readonly holderPid: number | undefined, readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms waiting for lock ${lockPath} (held by pid ${holderPid ?? 'unknown'})`);
    this.name = 'LockTimeoutError';
  }
}

async function readHolder(lockPath: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(join(lockPath, 'pid'), 'utf8'), 10);
    return Number.isFinite(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function withLock<T>(lockPath: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10 * 60_000;
  const deadline = Date.now() + timeoutMs;
  await mkdir(dirname(lockPath), { recursive: true });
  let waited = false;
  let emptySince: number | undefined;
  for (;;) {
    try {
      await mkdir(lockPath);
      await writeFile(join(lockPath, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(lockPath);
    if (holder === undefined) {
      // Between another process's mkdir and its pid write; a lock left empty for long is stale.
      emptySince ??= Date.now();
      if (Date.now() - emptySince > 5_000) await rm(lockPath, { recursive: true, force: true });
    } else if (holder !== process.pid && !isPidAlive(holder)) {
      await rm(lockPath, { recursive: true, force: true });
      continue;
    } else {
      emptySince = undefined;
    }
    if (!waited) {
      waited = true;
      opts.onWait?.(holder);
    }
    if (Date.now() > deadline) throw new LockTimeoutError(lockPath, holder, timeoutMs);
    await sleep(200);
  }
  try {
    return await fn();
  } finally {
    await rm(lockPath, { recursive: true, force: true });
  }
}
