// Background JVM processes: start detached (they outlive the CLI), find them again from a
// pid file, and stop them (SIGTERM, wait, SIGKILL). A pid is trusted only while its command
// line still carries our marker, so a recycled pid is never signalled.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The -D system property that ties a JVM to its node folder. */
export function processMarker(nodeDir: string): string {
  return `-Dturnout.node=${nodeDir}`;
}

function readCmdline(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return null;
  }
}

function cmdlineHas(pid: number, marker: string): boolean {
  // A zombie (exited, not yet reaped) has an empty command line: it counts as gone.
  return readCmdline(pid)?.includes(marker) === true;
}

function isZombie(pid: number): boolean {
  try {
    // The state follows the command name, which is in parentheses and may itself hold any.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/** How long an empty command line of a live process is waited out (an exec in progress). */
const EXEC_WINDOW_MS = 1_000;

/**
 * Whether the live process `pid` is ours. A process in the middle of an exec shows an empty
 * command line for a moment (a broker started through `ip netns exec` often does, just after
 * its spawn); that is asked again until it shows one, rather than taken for gone.
 */
async function isOurs(pid: number, marker: string): Promise<boolean> {
  const deadline = Date.now() + EXEC_WINDOW_MS;
  for (;;) {
    const args = readCmdline(pid);
    if (args === null || !isPidAlive(pid) || isZombie(pid)) return false;
    if (args.length > 1 || args[0] !== '') return args.includes(marker);
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
}

/** The pid in `pidFile` if that process is alive and is the one we started there. */
export async function livePid(pidFile: string, marker: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  return (await isOurs(pid, marker)) ? pid : undefined;
}

export interface DetachedSpawn {
  command: string;
  args: string[];
  cwd: string;
  /** stdout and stderr both go here (appended). */
  outputFile: string;
  pidFile: string;
  env?: NodeJS.ProcessEnv;
}

export async function spawnDetached(spec: DetachedSpawn): Promise<number> {
  const fd = openSync(spec.outputFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    const pid = await new Promise<number>((resolvePid, reject) => {
      child.once('error', reject);
      child.once('spawn', () => {
        if (child.pid === undefined) reject(new Error(`spawn of ${spec.command} gave no pid`));
        else resolvePid(child.pid);
      });
    });
    child.unref();
    await writeFile(spec.pidFile, `${pid}\n`);
    return pid;
  } finally {
    closeSync(fd);
  }
}

export interface StopOptions {
  /** Grace period after SIGTERM before SIGKILL. */
  timeoutMs?: number;
  /** SIGKILL at once (a crash, for failure tests). */
  kill?: boolean;
}

async function waitGone(pid: number, marker: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isPidAlive(pid) || !cmdlineHas(pid, marker)) return true;
    await sleep(100);
  }
  return !isPidAlive(pid) || !cmdlineHas(pid, marker);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Stops the process in `pidFile` (if it is ours and alive) and removes the pid file. */
export async function stopProcess(pidFile: string, marker: string, opts: StopOptions = {}): Promise<'stopped' | 'killed' | 'not-running'> {
  const pid = await livePid(pidFile, marker);
  let outcome: 'stopped' | 'killed' | 'not-running' = 'not-running';
  if (pid !== undefined) {
    if (opts.kill === true) {
      signal(pid, 'SIGKILL');
      await waitGone(pid, marker, 10_000);
      outcome = 'killed';
    } else {
      signal(pid, 'SIGTERM');
      if (await waitGone(pid, marker, opts.timeoutMs ?? 30_000)) {
        outcome = 'stopped';
      } else {
        signal(pid, 'SIGKILL');
        await waitGone(pid, marker, 10_000);
        outcome = 'killed';
      }
    }
  }
  await rm(pidFile, { force: true });
  return outcome;
}
