// A workload client (zone-client.ts) running inside a zone's network namespace, seen from
// the runner: its JSON events as they arrive, and ways to wait for them.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { inNetns, type Command } from '../../src/devkit/index.js';
import { parseClientEvent, type ClientEvent } from './client-events.js';

/** The package root (where package.json is), so `--import tsx` resolves when run from sources. */
function packageRoot(from: string): string {
  let dir = dirname(from);
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`no package.json above ${from}`);
}

/** `node zone-client.js`, or `node --import tsx zone-client.ts` when running from sources. */
function clientCommand(): { args: string[]; cwd: string } {
  const self = fileURLToPath(import.meta.url);
  const fromSources = self.endsWith('.ts');
  const file = join(dirname(self), fromSources ? 'zone-client.ts' : 'zone-client.js');
  return { args: fromSources ? ['--import', 'tsx', file] : [file], cwd: packageRoot(self) };
}

export class ZoneClientError extends Error {
  constructor(readonly label: string, reason: string, stderr: string) {
    super(`zone client ${label}: ${reason}${stderr.trim() !== '' ? `\nstderr: ${stderr.trim().slice(-1_500)}` : ''}`);
    this.name = 'ZoneClientError';
  }
}

export class ZoneClient {
  readonly events: ClientEvent[] = [];
  private stderrTail = '';
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;
  private done = false;

  private constructor(readonly label: string, private readonly child: ChildProcess) {
    this.exited = new Promise((resolveExit) => {
      child.once('close', (code: number | null) => {
        this.done = true;
        this.wake();
        resolveExit(code);
      });
    });
    child.stderr?.on('data', (b: Buffer) => {
      this.stderrTail = (this.stderrTail + b.toString('utf8')).slice(-8_192);
    });
    child.stdin?.on('error', () => undefined);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const event = parseClientEvent(line);
      if (event === undefined) return;
      this.events.push(event);
      this.wake();
    });
  }

  /** Starts `zone-client <role> args...` inside `netns`. */
  static start(label: string, netns: string, role: 'consume', args: readonly string[]): Promise<ZoneClient> {
    const { args: nodeArgs, cwd } = clientCommand();
    return ZoneClient.run(label, inNetns(netns, process.execPath, [...nodeArgs, role, ...args]), cwd);
  }

  /** Starts any command that reports with the same JSON events (the Java producer). */
  static async run(label: string, cmd: Command, cwd?: string): Promise<ZoneClient> {
    const child = spawn(cmd.command, cmd.args, { ...(cwd !== undefined ? { cwd } : {}), stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolveSpawn, reject) => {
      child.once('spawn', resolveSpawn);
      child.once('error', reject);
    });
    return new ZoneClient(label, child);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private failure(): Error | undefined {
    const error = this.events.find((e) => e.event === 'error');
    if (error !== undefined) return new ZoneClientError(this.label, error.message, this.stderrTail);
    return undefined;
  }

  /** Throws when the client reported an error or exited without its final report. */
  check(): void {
    const failure = this.failure();
    if (failure !== undefined) throw failure;
    if (this.done && this.last('produced') === undefined && this.last('consumed') === undefined) {
      throw new ZoneClientError(this.label, 'exited without a report', this.stderrTail);
    }
  }

  /** Waits until `pick` finds what it wants in the events so far; fails on an error event or exit. */
  async waitFor<T>(what: string, pick: (events: readonly ClientEvent[]) => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const failure = this.failure();
      if (failure !== undefined) throw failure;
      const found = pick(this.events);
      if (found !== undefined) return found;
      if (this.done) throw new ZoneClientError(this.label, `exited before ${what}`, this.stderrTail);
      const left = deadline - Date.now();
      if (left <= 0) throw new ZoneClientError(this.label, `no ${what} within ${timeoutMs} ms`, this.stderrTail);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  /** The last event of a kind, if any. */
  last<K extends ClientEvent['event']>(kind: K): Extract<ClientEvent, { event: K }> | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i] as ClientEvent;
      if (e.event === kind) return e as Extract<ClientEvent, { event: K }>;
    }
    return undefined;
  }

  /** Asks a consumer to finish (it then reports what it saw and exits). */
  requestStop(): void {
    this.child.stdin?.end('stop\n');
  }

  /** Ends the process whatever it is doing (SIGTERM, then SIGKILL after 5 s). */
  async kill(): Promise<void> {
    if (this.done) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
