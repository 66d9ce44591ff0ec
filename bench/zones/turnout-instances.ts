// The Turnout instances of the zone benchmark's `turnout` mode: one `turnout start` per zone,
// run inside the zone's network namespace from the built CLI (dist/src/cli.js), each with the
// configuration of turnout-config.ts. Started together, waited for until every /readyz says
// ready, read through GET /v1/zones, and stopped with SIGTERM (SIGKILL if they hang) on every
// path, also when one of them fails to start.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { inNetns, type ClusterInfo, type ZoneLayout } from '../../src/devkit/index.js';
import { turnoutChildEnv } from '../turnout-child.js';
import { checkTurnoutPorts, DEFAULT_TURNOUT_ZONE_PORTS, turnoutZoneConfig, type TurnoutZonePorts } from './turnout-config.js';
import { zonesViewSchema, type ZoneViews } from './turnout-zone-view.js';

export class TurnoutInstanceError extends Error {
  constructor(readonly zone: string, reason: string, output: string) {
    super(`Turnout in ${zone}: ${reason}${output.trim() !== '' ? `\noutput: ${output.trim().slice(-2_000)}` : ''}`);
    this.name = 'TurnoutInstanceError';
  }
}

/** dist/src/cli.js of this checkout (built by `npm run build`), from bench/ or dist/bench/. */
export function turnoutCli(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const cli = join(dir, 'dist', 'src', 'cli.js');
      if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
      return cli;
    }
    dir = dirname(dir);
  }
  throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
}

/** Runs `command args` inside `netns` and returns its stdout (curl against the zone's loopback). */
function runIn(netns: string, command: string, args: readonly string[], timeoutMs: number): Promise<{ code: number; stdout: string }> {
  const cmd = inNetns(netns, command, args);
  return new Promise((resolveRun) => {
    execFile(cmd.command, cmd.args, { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
      resolveRun({ code, stdout });
    });
  });
}

class TurnoutInstance {
  readonly pid: number;
  private output = '';
  private exitCode: number | null | undefined = undefined;
  readonly exited: Promise<void>;

  constructor(readonly zone: string, readonly netns: string, readonly adminPort: number, private readonly child: ChildProcess) {
    // `ip netns exec` execs Turnout in place: the child's pid is Turnout's.
    this.pid = child.pid as number;
    const keep = (b: Buffer): void => {
      this.output = (this.output + b.toString('utf8')).slice(-16_384);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolveExit) => {
      child.once('close', (code) => {
        this.exitCode = code;
        resolveExit();
      });
    });
  }

  private adminUrl(path: string): string {
    return `http://127.0.0.1:${this.adminPort}${path}`;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitCode !== undefined) throw new TurnoutInstanceError(this.zone, `exited with ${this.exitCode} before it was ready`, this.output);
      const r = await runIn(this.netns, 'curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', this.adminUrl('/readyz')], 5_000);
      if (r.stdout.trim() === '200') return;
      if (Date.now() > deadline) throw new TurnoutInstanceError(this.zone, `/readyz not 200 within ${timeoutMs} ms (last: ${r.stdout.trim() || 'no answer'})`, this.output);
      await sleep(250);
    }
  }

  async zonesView(): Promise<ZoneViews[string]> {
    const r = await runIn(this.netns, 'curl', ['-sf', this.adminUrl('/v1/zones')], 10_000);
    if (r.code !== 0) throw new TurnoutInstanceError(this.zone, `GET /v1/zones failed (curl exit ${r.code})`, this.output);
    let json: unknown;
    try {
      json = JSON.parse(r.stdout);
    } catch {
      throw new TurnoutInstanceError(this.zone, `GET /v1/zones answered no JSON: ${r.stdout.slice(0, 200)}`, this.output);
    }
    return zonesViewSchema.parse(json);
  }

  /** SIGTERM (Turnout drains and exits), SIGKILL after `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface TurnoutZoneInstances {
  /** Where clients in each zone bootstrap: `zone → host:port` of their zone's instance. */
  bootstrapOf(zone: string): string;
  /** GET /v1/zones of every instance, by zone. */
  views(): Promise<ZoneViews>;
  /** The instances' process ids. */
  pids(): number[];
  stop(): Promise<void>;
}

export interface StartTurnoutOptions {
  ports?: TurnoutZonePorts;
  readyTimeoutMs?: number;
  log: (line: string) => void;
}

/** Starts one Turnout per zone and waits until all are ready; stops them all if one fails. */
export async function startTurnoutInZones(layout: ZoneLayout, cluster: ClusterInfo, opts: StartTurnoutOptions): Promise<TurnoutZoneInstances> {
  const ports = opts.ports ?? DEFAULT_TURNOUT_ZONE_PORTS;
  checkTurnoutPorts(cluster, ports);
  const cli = turnoutCli();
  const dir = await mkdtemp(join(tmpdir(), 'turnout-zones-'));
  const instances: TurnoutInstance[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(instances.map((i) => i.stop(15_000)));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const [index, zone] of layout.zones.entries()) {
      const file = join(dir, `${zone.zone}.yaml`);
      await writeFile(file, stringify(turnoutZoneConfig(layout, cluster, index, ports)));
      const cmd = inNetns(zone.netns, process.execPath, [cli, 'start', '--config', file, '--drain-timeout-ms', '2000']);
      const child = spawn(cmd.command, cmd.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...turnoutChildEnv() } });
      await new Promise<void>((resolveSpawn, reject) => {
        child.once('spawn', resolveSpawn);
        child.once('error', reject);
      });
      instances.push(new TurnoutInstance(zone.zone, zone.netns, ports.adminPort, child));
    }
    await Promise.all(instances.map((i) => i.waitReady(opts.readyTimeoutMs ?? 60_000)));
    opts.log(`turnout: ready in ${layout.zones.map((z) => `${z.zone} at ${z.clientHost}:${ports.bootstrapPort}`).join(', ')}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    bootstrapOf: (zoneName) => {
      const zone = layout.zones.find((z) => z.zone === zoneName);
      if (zone === undefined) throw new Error(`no zone ${zoneName}`);
      return `${zone.clientHost}:${ports.bootstrapPort}`;
    },
    views: async () => Object.fromEntries(await Promise.all(instances.map(async (i) => [i.zone, await i.zonesView()] as const))),
    pids: () => instances.map((i) => i.pid),
    stop,
  };
}
