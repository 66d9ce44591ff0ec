// A devkit cluster whose brokers each have a second client listener, HAPROXY, advertising
// that broker's HAProxy frontend. A Kafka client connects to every broker that Metadata names,
// at the address the listener it asked on advertises: bootstrapped through HAProxy, it is
// told HAProxy's frontends for every broker and so reaches each broker through HAProxy, while
// the PLAINTEXT listener keeps advertising the brokers themselves for the direct path,
// Turnout and replication.
//
// The devkit gives every broker the same extra properties, but each broker needs ports of its
// own. The properties therefore name the listener values through Kafka's FileConfigProvider
// with a relative path, which each broker resolves in its own folder (its working directory):
// `bench-haproxy-listener.properties`, written there before the broker starts.
// `kafka-storage format` reads the same properties once, when the cluster is made, in the
// working directory of whoever starts the cluster; the bench therefore starts it with
// `turnout kafka up` run from a folder holding a placeholder of that file.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterDir, type ClusterInfo } from '../src/devkit/index.js';
import { listClusterNames, nodePaths, readRecord, type ClusterRecord } from '../src/devkit/cluster-record.js';
import { planPorts } from '../src/devkit/cluster-ports.js';
import { kafkaMajor } from '../src/devkit/devkit-paths.js';
import { turnoutCliPath } from './turnout-child.js';

export const HAPROXY_LISTENER = 'HAPROXY';
export const LISTENER_FILE = 'bench-haproxy-listener.properties';
const PROVIDER = 'benchfile';

/** The broker properties of a cluster with the HAProxy listener (the same for every broker). */
export function haproxyListenerBrokerConfig(): Record<string, string> {
  return {
    'config.providers': PROVIDER,
    [`config.providers.${PROVIDER}.class`]: 'org.apache.kafka.common.config.provider.FileConfigProvider',
    listeners: `\${${PROVIDER}:${LISTENER_FILE}:listeners}`,
    'advertised.listeners': `\${${PROVIDER}:${LISTENER_FILE}:advertised.listeners}`,
    'listener.security.protocol.map': `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,${HAPROXY_LISTENER}:PLAINTEXT`,
  };
}

/** One broker's ports: its devkit listener, its listener for HAProxy, and HAProxy's frontend for it. */
export interface BrokerRoute {
  brokerId: number;
  brokerPort: number;
  listenerPort: number;
  frontendPort: number;
}

const HOST = '127.0.0.1';

/** The per-broker file: both listeners, and what each advertises. */
export function listenerFileText(r: BrokerRoute): string {
  return [
    `# Broker ${r.brokerId}'s listeners for the Turnout bench: PLAINTEXT as the devkit has it, ${HAPROXY_LISTENER} behind HAProxy's frontend.`,
    `listeners=PLAINTEXT://${HOST}:${r.brokerPort},${HAPROXY_LISTENER}://${HOST}:${r.listenerPort}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${r.brokerPort},${HAPROXY_LISTENER}://${HOST}:${r.frontendPort}`,
    '',
  ].join('\n');
}

/** The ports in a file `listenerFileText` wrote, or undefined when it is not one. */
export function parseListenerFile(brokerId: number, text: string): BrokerRoute | undefined {
  const value = (key: string): string | undefined => new RegExp(`^${key.replace('.', '\\.')}=(.*)$`, 'm').exec(text)?.[1];
  const port = (list: string | undefined, listener: string): number => Number(new RegExp(`${listener}://[^:,]+:(\\d+)`).exec(list ?? '')?.[1]);
  const listeners = value('listeners');
  const advertised = value('advertised.listeners');
  const route = { brokerId, brokerPort: port(listeners, 'PLAINTEXT'), listenerPort: port(listeners, HAPROXY_LISTENER), frontendPort: port(advertised, HAPROXY_LISTENER) };
  return [route.brokerPort, route.listenerPort, route.frontendPort].every((p) => Number.isInteger(p) && p > 0) ? route : undefined;
}

/** What `kafka-storage format` needs to parse the listeners; never used by a running broker. */
const PLACEHOLDER = 'listeners=PLAINTEXT://127.0.0.1:9092\nadvertised.listeners=PLAINTEXT://127.0.0.1:9092\n';

export class HaproxyListenerError extends Error {
  constructor(cluster: string, reason: string) {
    super(`cluster ${cluster}: ${reason}`);
    this.name = 'HaproxyListenerError';
  }
}

export interface HaproxyClusterOptions {
  name: string;
  brokers: number;
  racks?: readonly string[];
  version: string;
  heapMb?: number;
  log: (line: string) => void;
}

export interface HaproxyCluster {
  info: ClusterInfo;
  /** Per broker, in id order. */
  routes: BrokerRoute[];
}

/** Ports that the records of other devkit clusters hold, even stopped ones. */
async function portsOfOtherClusters(except: string): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const name of await listClusterNames()) {
    if (name === except) continue;
    const r = await readRecord(name).catch(() => undefined);
    for (const b of r?.brokers ?? []) [b.port, ...(b.secured ?? []).map((l) => l.port)].forEach((p) => ports.add(p));
    if (r !== undefined) ports.add(r.controller.port);
  }
  return ports;
}

function brokerDir(name: string, version: string, id: number): string {
  return nodePaths(clusterDir(name), 'broker', id, kafkaMajor(version)).dir;
}

async function recordedRoutes(record: ClusterRecord): Promise<BrokerRoute[] | undefined> {
  const routes: BrokerRoute[] = [];
  for (const b of record.brokers) {
    const text = await readFile(join(brokerDir(record.name, record.version, b.id), LISTENER_FILE), 'utf8').catch(() => '');
    const route = parseListenerFile(b.id, text);
    if (route === undefined || route.brokerPort !== b.port) return undefined;
    routes.push(route);
  }
  return routes;
}

/** Ports for a cluster made now: the devkit's block for its brokers, and a block of two ports a broker for HAProxy. */
async function plannedRoutes(name: string, brokers: number, existing: ClusterRecord | undefined): Promise<BrokerRoute[]> {
  const reserved = await portsOfOtherClusters(name);
  const brokerPorts = existing?.brokers.map((b) => b.port) ?? (await planPorts(name, brokers, { reserved })).brokerPorts;
  if (existing !== undefined) reserved.add(existing.controller.port);
  for (const p of brokerPorts) reserved.add(p);
  const block = await planPorts(`${name}-haproxy`, brokers, { extraPerBroker: 1, reserved });
  return brokerPorts.map((brokerPort, i) => ({
    brokerId: existing?.brokers[i]?.id ?? i + 1,
    brokerPort,
    listenerPort: block.brokerPorts[i] as number,
    frontendPort: block.extraPorts[i]?.[0] as number,
  }));
}

function runCli(args: readonly string[], cwd: string, log: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [turnoutCliPath(), ...args], { cwd, timeout: 600_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`turnout ${args.slice(0, 2).join(' ')} failed: ${err.message}\n${stderr.slice(-2_000)}`));
      else resolve(stdout);
    });
    let partial = '';
    child.stderr?.on('data', (b: Buffer) => {
      const lines = (partial + b.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') log(line.replace(/^turnout kafka: /, ''));
    });
  });
}

/**
 * Starts the named cluster with the HAProxy listener on every broker (or finds it running)
 * and returns each broker's ports. A recorded cluster made without that listener is an error:
 * its brokers cannot be given one without being made anew.
 */
export async function startHaproxyCluster(opts: HaproxyClusterOptions): Promise<HaproxyCluster> {
  const config = haproxyListenerBrokerConfig();
  const record = await readRecord(opts.name);
  if (record !== undefined && record.brokerConfig.listeners !== config.listeners) {
    throw new HaproxyListenerError(opts.name, `was made without the ${HAPROXY_LISTENER} listener the HAProxy path needs; stop it (turnout kafka down --cluster ${opts.name}) or run with --no-haproxy`);
  }
  const routes = (record !== undefined ? await recordedRoutes(record) : undefined) ?? (await plannedRoutes(opts.name, opts.brokers, record));
  for (const r of routes) {
    const dir = brokerDir(opts.name, opts.version, r.brokerId);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, LISTENER_FILE), listenerFileText(r));
  }
  const work = await mkdtemp(join(tmpdir(), 'turnout-bench-kafka-up-'));
  try {
    await writeFile(join(work, LISTENER_FILE), PLACEHOLDER);
    const args = [
      'kafka', 'up',
      '--cluster', opts.name,
      '--brokers', String(opts.brokers),
      '--version', opts.version,
      '--base-port', String(routes[0]?.brokerPort),
      ...(opts.racks !== undefined ? ['--racks', opts.racks.join(',')] : []),
      ...(opts.heapMb !== undefined ? ['--heap-mb', String(opts.heapMb)] : []),
      ...Object.entries(config).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
      '--json',
    ];
    const info = JSON.parse(await runCli(args, work, opts.log)) as ClusterInfo;
    return { info, routes };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** HAProxy's frontends for a cluster's brokers, and the bootstrap servers through them. */
export function haproxyFrontends(cluster: string, routes: readonly BrokerRoute[]): Array<{ name: string; listenPort: number; target: { host: string; port: number } }> {
  return routes.map((r) => ({ name: `${cluster}-broker-${r.brokerId}`, listenPort: r.frontendPort, target: { host: HOST, port: r.listenerPort } }));
}

export function haproxyBootstrap(routes: readonly BrokerRoute[]): string {
  return routes.map((r) => `${HOST}:${r.frontendPort}`).join(',');
}
