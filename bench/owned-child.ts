// A long-running child process the bench owns (a Turnout, an HAProxy): the tail of its output
// kept for error messages, a readiness wait that gives up when it exits, and a stop that sends
// SIGTERM, SIGKILL after a grace period, and removes the folder it was given.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { rm } from 'node:fs/promises';

export interface OwnedChild {
  pid: number;
  /** The last 8 KiB it wrote to stdout and stderr. */
  output(): string;
  hasExited(): boolean;
  stop(): Promise<void>;
}

export function spawnOwned(command: string, args: readonly string[], opts: { dir: string; graceMs: number; env?: Readonly<Record<string, string>> }): OwnedChild {
  const env = opts.env === undefined ? process.env : { ...process.env, ...opts.env };
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let tail = '';
  const keep = (b: Buffer): void => {
    tail = (tail + b.toString('utf8')).slice(-8_192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    const done = (): void => {
      exited = true;
      resolve();
    };
    child.once('exit', done);
    // Not started at all (no such command): counts as exited, with the reason in its output.
    child.once('error', (err) => {
      keep(Buffer.from(`\n${err.message}`));
      done();
    });
  });
  return {
    pid: child.pid as number,
    output: () => tail,
    hasExited: () => exited,
    stop: async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.graceMs);
        await exit;
        clearTimeout(timer);
      }
      await rm(opts.dir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls `ready` every `intervalMs` until it says yes. When the child exits first or
 * `timeoutMs` passes, stops it and throws what `fail` makes of the reason and its output.
 */
export async function waitUntilReady(child: OwnedChild, ready: () => Promise<boolean>, o: { timeoutMs: number; intervalMs: number; fail: (reason: string, output: string) => Error }): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if (child.hasExited()) {
      await child.stop();
      throw o.fail('exited before it was ready', child.output());
    }
    if (await ready()) return;
    if (Date.now() > deadline) {
      await child.stop();
      throw o.fail(`not ready after ${o.timeoutMs} ms`, child.output());
    }
    await new Promise((r) => setTimeout(r, o.intervalMs));
  }
}

/** Whether something accepts connections on `port` of 127.0.0.1 now: a child's readiness. */
export function acceptsOnLoopback(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
