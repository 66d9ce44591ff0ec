// A redis-server a test file owns: on a loopback port that stays the same across its
// restarts, without persistence, stopped at the end (the machine's own Redis is never
// touched). Shared by the tests of everything Turnout keeps in Redis.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

export class TestRedis {
  readonly port: number;
  private proc: ChildProcess | null = null;

  constructor(port: number) {
    this.port = port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.proc !== null && this.proc.exitCode === null) return;
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    let output = '';
    proc.stdout?.on('data', (b: Buffer) => (output += b.toString()));
    proc.stderr?.on('data', (b: Buffer) => (output += b.toString()));
    const deadline = Date.now() + 10_000;
    while (!output.includes('Ready to accept connections')) {
      if (proc.exitCode !== null) {
        this.proc = null;
        throw new Error(`redis-server exited: ${output}`);
      }
      if (Date.now() > deadline) throw new Error(`redis-server not ready: ${output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (proc === null || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  /** Last resort for a crashed test run: synchronous, so it works from process 'exit'. */
  killNow(): void {
    if (this.proc !== null && this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

/**
 * A loopback port free right now, below the ephemeral range: a server a test stops and starts
 * again on it (Redis, a Turnout instance) would otherwise find it taken meanwhile as the local
 * port of some outgoing connection, its own clients' reconnects included.
 */
export function freePort(): Promise<number> {
  return freePortBlock(1);
}

/** A block of `count` consecutive loopback ports free right now (below the rig's clusters). */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 12_000 + Math.floor(Math.random() * 7_900);
    const bound: net.Server[] = [];
    try {
      for (let i = 0; i < count; i++) {
        const s = net.createServer();
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen({ host: '127.0.0.1', port: base + i }, resolve);
        });
        bound.push(s);
      }
      return base;
    } catch {
      // taken: try another block
    } finally {
      await Promise.all(bound.map((s) => new Promise<void>((done) => s.close(() => done()))));
    }
  }
  throw new Error(`no ${count} consecutive free ports`);
}
