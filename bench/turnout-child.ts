// Turnout as a child process (`turnout start`), the way it is deployed. The bench measures it
// from outside: it does not share an event loop, a heap or a garbage collector with the bench
// driver, and its CPU time can be read on its own from /proc.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withMallocTunables } from '../src/commands/malloc-tunables.js';
import { spawnOwned, waitUntilReady } from './owned-child.js';
import { processMeter, type ProcessMeter } from './proc-stats.js';
import type { ClientBytes, MeasuredProxy } from './proxy-run.js';

export interface TurnoutChild extends MeasuredProxy {
  pid: number;
  bootstrapServers: string;
  adminPort: number;
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

/**
 * `count` consecutive loopback ports free right now, from a random start: the node ports of a
 * Turnout of several processes, which must be fixed (processes-schema.ts).
 */
export async function freePortBlock(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 9_000);
    const bound: Array<ReturnType<typeof createServer>> = [];
    try {
      for (let i = 0; i < count; i++) {
        const server = createServer();
        bound.push(server);
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(base + i, '127.0.0.1', () => resolve());
        });
      }
      return base;
    } catch {
      // One of them is taken: another block.
    } finally {
      await Promise.all(bound.map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
    }
  }
  throw new Error(`no ${count} consecutive free loopback ports`);
}

/** Node ports reserved for a Turnout of several processes: more than the bench's clusters have brokers. */
const NODE_PORT_BLOCK = 8;

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
  /** Consumer groups of this backend's domain start with this (several backends only; default: none). */
  groupPrefix?: string;
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
    `    nodePortBase: ${ports.nodePortBase ?? 0}`,
    ...(ports.nodes !== undefined ? [`    nodes: ${ports.nodes}`] : []),
    'backends:',
    ...backends.flatMap((b) => [`  - name: ${b.name}`, '    bootstrapServers:', ...b.bootstrapServers.map((s) => `      - ${s}`)]),
  ];
  if (several) {
    lines.push('domains:');
    for (const b of backends) {
      if (b.topicPrefix === undefined) throw new Error(`backend ${b.name}: a topic prefix is needed with several backends`);
      lines.push(`  - name: ${b.name}`, '    owner: bench', '    topics:', `      - {prefix: ${JSON.stringify(b.topicPrefix)}}`);
      if (b.groupPrefix !== undefined) lines.push('    groups:', `      - {prefix: ${JSON.stringify(b.groupPrefix)}}`);
      lines.push(`    backend: ${b.name}`);
    }
  }
  lines.push('admin:', '  host: 127.0.0.1', `  port: ${ports.adminPort}`, 'logging:', '  level: warn');
  if (ports.processes !== undefined && ports.processes > 1) lines.push(`processes: ${ports.processes}`);
  lines.push('');
  return lines.join('\n');
}

/** How a child is started, beyond its configuration. */
export interface TurnoutChildOptions {
  readyTimeoutMs?: number;
  /** Node options before the CLI path (`--cpu-prof`, `--cpu-prof-dir=...`). (default: none) */
  nodeArgs?: readonly string[];
  /** The compiled CLI to run, to compare two builds. (default: turnoutCliPath()) */
  cliPath?: string;
  /** Environment variables added to the child's (allocator tunables, say). (default: none) */
  env?: Readonly<Record<string, string>>;
  /** Turnout processes behind the ports (its `processes`): with more than 1 the node ports are fixed. (default: 1) */
  processes?: number;
  /** Turnout's own nodes on the listener (`listeners[].nodes`; several backends only). (default: Turnout's, 3) */
  nodes?: number;
}

export function startTurnoutChild(backends: readonly ChildBackend[], opts: TurnoutChildOptions = {}): Promise<TurnoutChild> {
  return startTurnoutChildWith(async (configFile, ports) => writeFile(configFile, turnoutChildConfig(backends, ports)), opts);
}

/**
 * A child's environment: the allocator settings `bin/turnout` starts Turnout with (the bench
 * measures Turnout as it is run), then the caller's variables, which win.
 */
export function turnoutChildEnv(extra?: Readonly<Record<string, string>>): Record<string, string> {
  return { GLIBC_TUNABLES: withMallocTunables(process.env.GLIBC_TUNABLES), ...extra };
}

/** The ports a child's configuration binds, and its processes. */
export interface ChildPorts {
  bootstrapPort: number;
  adminPort: number;
  /** Fixed node ports from here on (several processes), else absent: ports the system picks. */
  nodePortBase?: number;
  processes?: number;
  /** Turnout's own nodes on the listener (several backends), when not Turnout's default. */
  nodes?: number;
}

/**
 * Starts `turnout start` on a configuration `writeConfig` writes to `configFile`, in a folder
 * of the child's own (removed when it stops) where it may put what the configuration names:
 * certificates, the users file.
 */
export async function startTurnoutChildWith(writeConfig: (configFile: string, ports: ChildPorts) => Promise<void>, opts: TurnoutChildOptions = {}): Promise<TurnoutChild> {
  const dir = await mkdtemp(join(tmpdir(), 'turnout-bench-'));
  const bootstrapPort = await freePort();
  const adminPort = await freePort();
  const processes = opts.processes ?? 1;
  const configFile = join(dir, 'turnout.yaml');
  try {
    await writeConfig(configFile, {
      bootstrapPort,
      adminPort,
      ...(processes > 1 ? { processes, nodePortBase: await freePortBlock(NODE_PORT_BLOCK) } : {}),
      ...(opts.nodes !== undefined ? { nodes: opts.nodes } : {}),
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const child = spawnOwned(process.execPath, [...(opts.nodeArgs ?? []), opts.cliPath ?? turnoutCliPath(), 'start', '--config', configFile], { dir, graceMs: 10_000, env: turnoutChildEnv(opts.env) });
  const ready = (): Promise<boolean> =>
    fetch(`http://127.0.0.1:${adminPort}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
  await waitUntilReady(child, ready, {
    timeoutMs: opts.readyTimeoutMs ?? 60_000,
    intervalMs: 200,
    fail: (reason, output) => new Error(`turnout start ${reason}: ${output.slice(-2_000)}`),
  });
  const pid = child.pid;
  const bytes = async (): Promise<Record<string, number>> => parseBytesMetrics(await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text());
  const meter: ProcessMeter = processMeter('Turnout', pid);
  return {
    pid,
    bootstrapServers: `127.0.0.1:${bootstrapPort}`,
    adminPort,
    meter,
    bytes,
    clientBytes: async (): Promise<ClientBytes> => {
      const b = await bytes();
      return { inBytes: b['client/in'] ?? 0, outBytes: b['client/out'] ?? 0 };
    },
    output: child.output,
    stop: child.stop,
  };
}

