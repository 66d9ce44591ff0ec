// Turnout as a child process (`turnout start`), the way it is deployed. The bench measures it
// from outside: it does not share an event loop, a heap or a garbage collector with the bench
// driver, and its CPU time can be read on its own from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TurnoutChild {
  pid: number;
  bootstrapServers: string;
  adminPort: number;
  /** User plus system CPU seconds the process has used so far (NaN off Linux). */
  cpuSeconds(): number;
  /** Turnout's turnout_bytes_total counters, by `side/direction`. */
  bytes(): Promise<Record<string, number>>;
  /** The last lines Turnout wrote (it logs at warn). */
  output(): string;
  stop(): Promise<void>;
}

/** A free loopback port (bound and released; the child binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

/** Parses `turnout_bytes_total{side="client",direction="in"} 123` lines of /metrics. */
export function parseBytesMetrics(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = /^turnout_bytes_total\{side="(\w+)",direction="(\w+)"\} (\S+)$/;
  for (const line of text.split('\n')) {
    const m = re.exec(line);
    if (m !== null) out[`${m[1]}/${m[2]}`] = Number(m[3]);
  }
  return out;
}

/**
 * The compiled CLI: beside this file when it runs compiled (dist/bench/ → dist/src/cli.js),
 * else in dist/ when it runs from source with tsx (bench/ → dist/src/cli.js, built first).
 */
export function turnoutCliPath(): string {
  const beside = fileURLToPath(new URL('../src/cli.js', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
}

/** A backend of the child's config; with several, each gets a domain of the same name. */
export interface ChildBackend {
  name: string;
  bootstrapServers: readonly string[];
  /** Topics of this backend's domain start with this (several backends only). */
  topicPrefix?: string;
}

/**
 * The child's config file. One backend: Turnout in front of one cluster. Several: one
 * virtual cluster of three Turnout nodes over all of them, a domain per backend that owns
 * the topics starting with its prefix.
 */
export function turnoutChildConfig(backends: readonly ChildBackend[], ports: ChildPorts): string {
  const several = backends.length > 1;
  const lines = [
    'virtualCluster:',
    '  clusterId: tUrNoUtBeNcHvIrTuAlCl0',
    'listeners:',
    '  - name: bench',
    '    bindHost: 127.0.0.1',
    '    advertisedHost: 127.0.0.1',
    `    bootstrapPort: ${ports.bootstrapPort}`,
    '    nodePortBase: 0',
    'backends:',
    ...backends.flatMap((b) => [`  - name: ${b.name}`, '    bootstrapServers:', ...b.bootstrapServers.map((s) => `      - ${s}`)]),
  ];
  if (several) {
    lines.push('domains:');
    for (const b of backends) {
      if (b.topicPrefix === undefined) throw new Error(`backend ${b.name}: a topic prefix is needed with several backends`);
      lines.push(`  - name: ${b.name}`, '    owner: bench', '    topics:', `      - {prefix: ${JSON.stringify(b.topicPrefix)}}`, `    backend: ${b.name}`);
    }
  }
  lines.push('admin:', '  host: 127.0.0.1', `  port: ${ports.adminPort}`, 'logging:', '  level: warn', '');
  return lines.join('\n');
}

export function startTurnoutChild(backends: readonly ChildBackend[], opts: { readyTimeoutMs?: number } = {}): Promise<TurnoutChild> {
  return startTurnoutChildWith(async (configFile, ports) => writeFile(configFile, turnoutChildConfig(backends, ports)), opts);
}

/** The ports a child's configuration binds. */
export interface ChildPorts {
  bootstrapPort: number;
  adminPort: number;
}

/**
 * Starts `turnout start` on a configuration `writeConfig` writes to `configFile`, in a folder
 * of the child's own (removed when it stops) where it may put what the configuration names:
 * certificates, the users file.
 */
export async function startTurnoutChildWith(writeConfig: (configFile: string, ports: ChildPorts) => Promise<void>, opts: { readyTimeoutMs?: number } = {}): Promise<TurnoutChild> {
  const dir = await mkdtemp(join(tmpdir(), 'turnout-bench-'));
  const bootstrapPort = await freePort();
  const adminPort = await freePort();
  const configFile = join(dir, 'turnout.yaml');
  try {
    await writeConfig(configFile, { bootstrapPort, adminPort });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const child: ChildProcess = spawn(process.execPath, [turnoutCliPath(), 'start', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (b: Buffer): void => {
    tail = (tail + b.toString('utf8')).slice(-8_192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`turnout start exited before it was ready: ${tail.slice(-2_000)}`);
    }
    const ready = await fetch(`http://127.0.0.1:${adminPort}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`turnout not ready after ${opts.readyTimeoutMs ?? 60_000} ms: ${tail.slice(-2_000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const pid = child.pid as number;
  return {
    pid,
    bootstrapServers: `127.0.0.1:${bootstrapPort}`,
    adminPort,
    cpuSeconds: () => cpuSecondsOf(pid),
    bytes: async () => parseBytesMetrics(await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text()),
    output: () => tail,
    stop,
  };
}

export interface MeasuredRun<T> {
  value: T;
  durationMs: number;
  /** Turnout's CPU seconds and the client bytes it moved during the run (through Turnout only). */
  cpuSec?: number;
  clientInBytes?: number;
  clientOutBytes?: number;
}

/** Runs `run` on `path`; through Turnout, also what the child spent and moved meanwhile. */
export async function measureRun<T>(proxy: TurnoutChild, path: 'direct' | 'turnout', run: () => Promise<T>): Promise<MeasuredRun<T>> {
  const cpu0 = proxy.cpuSeconds();
  const bytes0 = path === 'turnout' ? await proxy.bytes() : {};
  const t0 = performance.now();
  const value = await run();
  const durationMs = performance.now() - t0;
  if (path === 'direct') return { value, durationMs };
  const bytes1 = await proxy.bytes();
  return {
    value,
    cpuSec: proxy.cpuSeconds() - cpu0,
    durationMs,
    clientInBytes: (bytes1['client/in'] ?? 0) - (bytes0['client/in'] ?? 0),
    clientOutBytes: (bytes1['client/out'] ?? 0) - (bytes0['client/out'] ?? 0),
  };
}

/** Throws when Turnout moved fewer bytes than the records hold: the run bypassed it. */
export function checkThroughTurnout(what: string, movedBytes: number | undefined, payloadBytes: number): void {
  if (movedBytes !== undefined && movedBytes < payloadBytes) throw new Error(`${what}: Turnout moved only ${movedBytes} bytes for ${payloadBytes} bytes of records`);
}
