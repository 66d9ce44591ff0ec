// `turnout start --config FILE` as a separate process a test can kill: ready once /readyz
// answers 200, stopped with SIGKILL (a crash: nothing flushed, nothing closed) or SIGTERM.
// Killed when the calling test finishes, whatever happened. And any other `turnout` command
// run to its end, as an operator runs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, onTestFinished } from 'vitest';
import { waitFor } from './rig.js';

const ROOT = resolve(import.meta.dirname, '../..');
const OUTPUT_TAIL_CHARS = 64 * 1024;

export class TurnoutProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  private tail = '';

  constructor(
    readonly configFile: string,
    readonly adminPort: number,
  ) {
    if (expect.getState().currentTestName !== undefined) onTestFinished(() => this.kill());
  }

  /** The last 64 KiB of what the process printed (JSON log lines), across its restarts. */
  output(): string {
    return this.tail;
  }

  /** Starts the process and waits until it is ready. */
  async start(timeoutMs = 60_000): Promise<void> {
    if (this.child !== null) throw new Error(`turnout on ${this.configFile} is already running`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'start', '--config', this.configFile, '--log-level', 'info'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (b: Buffer): void => {
      this.tail = (this.tail + b.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((r) => child.once('exit', (code) => r(code)));
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`turnout exited with ${child.exitCode}: ${this.tail.slice(-2_000)}`);
        const res = await fetch(`http://127.0.0.1:${this.adminPort}/readyz`).catch(() => undefined);
        await res?.arrayBuffer();
        return res?.status === 200;
      },
      { timeoutMs, intervalMs: 100, what: `turnout on ${this.configFile} to be ready` },
    );
  }

  /** Produce requests this process has received from clients (its /metrics). */
  async produceRequests(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.adminPort}/metrics`)).text();
    let total = 0;
    for (const m of text.matchAll(/^turnout_requests_total\{[^}]*api="Produce"[^}]*\} (\d+)$/gm)) total += Number(m[1]);
    return total;
  }

  /** SIGSTOP: the process stops answering anything (clients, peers, the store) until resume(), as a hung instance. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  /** SIGCONT after pause(). */
  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** SIGKILL: the process ends at once, as in a crash. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM: a clean stop; resolves with the exit code (null when it was not running or ended by a signal). */
  stop(): Promise<number | null> {
    return this.signal('SIGTERM');
  }

  private async signal(sig: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (child === null) return null;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    return this.exited;
  }
}

/** Runs a `turnout` command to its end (with `env` added to this process's); resolves with its exit code and output. */
export function runTurnoutCli(args: readonly string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((r) => child.on('exit', (code) => r({ code, stdout, stderr })));
}
