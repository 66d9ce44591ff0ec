// The TypeScript side of scripts/zones/zones.sh: three simulated availability zones made of
// Linux network namespaces. The script owns the layout (names, addresses, devices); this
// module runs it, reads the layout it prints, turns it into a devkit cluster placement, and
// reads the per-zone, per-traffic-class byte counters it reports. Needs root.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { ClusterPlacement } from './cluster-placement.js';

export const ZONES_SCRIPT_RELATIVE = join('scripts', 'zones', 'zones.sh');

/** Traffic classes the rig separates; `local` is a zone's loopback (traffic that stayed in it). */
export const ZONE_TRAFFIC_CLASSES = ['client', 'repl', 'ctrl', 'local'] as const;
export type ZoneTrafficClass = (typeof ZONE_TRAFFIC_CLASSES)[number];

const zoneSchema = z.object({
  zone: z.string(),
  netns: z.string(),
  clientHost: z.string(),
  replicationHost: z.string(),
  controlHost: z.string(),
});

const layoutSchema = z.object({
  prefix: z.string(),
  coreNetns: z.string(),
  controllerHost: z.string(),
  classes: z.array(z.string()),
  zones: z.array(zoneSchema).min(1),
});

export type Zone = z.infer<typeof zoneSchema>;
export type ZoneLayout = z.infer<typeof layoutSchema>;

export interface DeviceCounters {
  zone: string;
  trafficClass: ZoneTrafficClass;
  device: string;
  txBytes: number;
  rxBytes: number;
  txPackets: number;
  rxPackets: number;
}

export interface ZoneCounters {
  /** When they were read (ms since the epoch). */
  readAtMs: number;
  devices: DeviceCounters[];
}

export class ZoneRigError extends Error {
  constructor(readonly action: string, readonly code: number | null, readonly stderr: string) {
    super(`zones.sh ${action} failed (exit ${code}): ${stderr.trim().slice(-1_500)}`);
    this.name = 'ZoneRigError';
  }
}

export interface ZoneRigOptions {
  /** Namespace name prefix (TURNOUT_ZONES_PREFIX); default `tz`. Lets two rigs coexist. */
  prefix?: string;
  /** The script; default scripts/zones/zones.sh of this checkout. */
  script?: string;
}

/** scripts/zones/zones.sh of the checkout this module belongs to (from src/ or dist/src/). */
export function zonesScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, ZONES_SCRIPT_RELATIVE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`cannot find ${ZONES_SCRIPT_RELATIVE} above ${fileURLToPath(import.meta.url)}`);
}

function runScript(args: readonly string[], opts: ZoneRigOptions): Promise<string> {
  const env = { ...process.env, ...(opts.prefix !== undefined ? { TURNOUT_ZONES_PREFIX: opts.prefix } : {}) };
  return new Promise((resolveRun, reject) => {
    const child = spawn('bash', [opts.script ?? zonesScript(), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.once('error', reject);
    child.once('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolveRun(Buffer.concat(out).toString('utf8'));
      else reject(new ZoneRigError(args[0] ?? '', code, stderr));
    });
  });
}

/** The layout the script builds (works whether or not the zones are up). */
export async function zoneLayout(opts: ZoneRigOptions = {}): Promise<ZoneLayout> {
  const text = await runScript(['layout'], opts);
  return parseZoneLayout(text);
}

export function parseZoneLayout(text: string): ZoneLayout {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`zones.sh layout printed no JSON (${err instanceof Error ? err.message : String(err)}): ${text.slice(0, 200)}`);
  }
  return layoutSchema.parse(json);
}

/**
 * Builds the zones (clearing leftovers of a crashed run first) and returns their layout.
 * `ownerPid` marks who uses them: a later `up` refuses while that process lives.
 */
export async function zonesUp(opts: ZoneRigOptions & { ownerPid?: number } = {}): Promise<ZoneLayout> {
  await runScript(['up', '--owner', String(opts.ownerPid ?? process.pid)], opts);
  return zoneLayout(opts);
}

/** Removes the zones and everything in them. Idempotent. */
export async function zonesDown(opts: ZoneRigOptions = {}): Promise<void> {
  await runScript(['down'], opts);
}

/** Network namespaces with the rig's prefix that exist now (none after `zonesDown`). */
export async function zoneNamespaces(opts: ZoneRigOptions = {}): Promise<string[]> {
  const prefix = `${opts.prefix ?? 'tz'}-`;
  const names = await readdir('/run/netns').catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(prefix)).sort();
}

export async function readZoneCounters(opts: ZoneRigOptions = {}): Promise<ZoneCounters> {
  const text = await runScript(['counters'], opts);
  return { readAtMs: Date.now(), devices: parseZoneCounters(text) };
}

function isTrafficClass(text: string): text is ZoneTrafficClass {
  return (ZONE_TRAFFIC_CLASSES as readonly string[]).includes(text);
}

/** Lines `zone class device tx_bytes rx_bytes tx_packets rx_packets`; `#` lines are comments. */
export function parseZoneCounters(text: string): DeviceCounters[] {
  const out: DeviceCounters[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(/\s+/);
    const numbers = f.slice(3).map(Number);
    const [zone, trafficClass, device] = f;
    if (f.length !== 7 || zone === undefined || device === undefined || trafficClass === undefined || !isTrafficClass(trafficClass) || numbers.some((n) => !Number.isSafeInteger(n) || n < 0)) {
      throw new Error(`zones.sh counters line ${i + 1} is malformed: ${JSON.stringify(line)}`);
    }
    const [txBytes, rxBytes, txPackets, rxPackets] = numbers as [number, number, number, number];
    out.push({ zone, trafficClass, device, txBytes, rxBytes, txPackets, rxPackets });
  }
  return out;
}

/** What moved between two readings, device by device (the same devices must be in both). */
export function counterDelta(before: ZoneCounters, after: ZoneCounters): ZoneCounters {
  const key = (d: DeviceCounters): string => `${d.zone}/${d.device}`;
  const earlier = new Map(before.devices.map((d) => [key(d), d]));
  const devices = after.devices.map((d) => {
    const b = earlier.get(key(d));
    if (b === undefined) throw new Error(`device ${key(d)} missing from the earlier counter reading`);
    if (d.txBytes < b.txBytes || d.rxBytes < b.rxBytes) throw new Error(`counters of ${key(d)} went backwards (was the rig rebuilt in between?)`);
    return { ...d, txBytes: d.txBytes - b.txBytes, rxBytes: d.rxBytes - b.rxBytes, txPackets: d.txPackets - b.txPackets, rxPackets: d.rxPackets - b.rxPackets };
  });
  return { readAtMs: after.readAtMs, devices };
}

/**
 * A devkit cluster placement with one broker per zone (broker i+1 in zones[i], its client
 * listener on the zone's client address, replication on the zone's replication address) and
 * the controller in the core namespace, outside every zone, so that its traffic is counted
 * once as control traffic and never as any zone's client or replication bytes.
 */
export function zoneClusterPlacement(layout: ZoneLayout): ClusterPlacement {
  return {
    controller: { host: layout.controllerHost, netns: layout.coreNetns },
    brokers: layout.zones.map((z) => ({ host: z.clientHost, replicationHost: z.replicationHost, netns: z.netns })),
  };
}
