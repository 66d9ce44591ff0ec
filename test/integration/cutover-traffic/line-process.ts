// A client process of a traffic run whose stdout and stderr are handled line by line as they
// arrive (nothing is kept here: a run of minutes prints a line per record). It ends either
// gently (stdin closed, or SIGTERM: the client finishes, leaves its group, prints its last
// lines) or at once (SIGKILL). `ended` resolves only once its last stdout line was handled.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface LineProcessOptions {
  /** Said in errors. */
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  onStdout(line: string): void;
  onStderr(line: string): void;
}

export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class ProcessStartError extends Error {
  constructor(readonly client: string, readonly command: string, cause: Error) {
    super(`${client} could not start (${command}): ${cause.message}`);
    this.name = 'ProcessStartError';
  }
}

export class LineProcess {
  readonly name: string;
  private readonly child: ChildProcess;
  /** Resolves once the process has exited and its stdout is read to the end. */
  readonly ended: Promise<ProcessEnd>;
  private exitedAt: ProcessEnd | null = null;

  private constructor(opts: LineProcessOptions, child: ChildProcess) {
    this.name = opts.name;
    this.child = child;
    child.stdin?.on('error', () => undefined); // it may exit before stdin is closed
    const out = createInterface({ input: child.stdout! });
    out.on('line', (line) => opts.onStdout(line));
    createInterface({ input: child.stderr! }).on('line', (line) => opts.onStderr(line));
    const outRead = new Promise<void>((r) => out.once('close', () => r()));
    const exited = new Promise<ProcessEnd>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    this.ended = Promise.all([exited, outRead]).then(([end]) => (this.exitedAt = end));
  }

  static async start(opts: LineProcessOptions): Promise<LineProcess> {
    const child = spawn(opts.command, [...opts.args], { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolveSpawn, reject) => {
      child.once('spawn', resolveSpawn);
      child.once('error', (e) => reject(new ProcessStartError(opts.name, opts.command, e)));
    });
    return new LineProcess(opts, child);
  }

  /** How it ended, or null while it runs. */
  end(): ProcessEnd | null {
    return this.exitedAt;
  }

  /** Writes to its stdin (a client that reads its work from there). */
  writeStdin(text: string): void {
    this.child.stdin?.write(text);
  }

  /** The gentle end for clients that stop when stdin closes. */
  closeStdin(): void {
    this.child.stdin?.end();
  }

  /** Asks it to stop (`how`), then kills it after `graceMs`; resolves with how it ended. */
  async stop(how: 'stdin' | 'SIGTERM', graceMs: number): Promise<ProcessEnd> {
    if (this.exitedAt === null) {
      if (how === 'stdin') this.closeStdin();
      else this.child.kill('SIGTERM');
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.ended;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL, for cleanup after a failure. */
  kill(): void {
    if (this.exitedAt === null) this.child.kill('SIGKILL');
  }
}
