// The on-disk description of a devkit cluster (`<cache>/clusters/NAME/cluster.json`) and the
// layout of its folder. Pids live in per-node pid files, not here, so that stopping or
// starting one broker never rewrites the record.
import { readdir, readFile, writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClusterSecurityRecord, SecuredListener } from './cluster-security.js';
import { clusterDir, clustersRoot } from './devkit-paths.js';

export const LOOPBACK = '127.0.0.1';
export const CONTROLLER_NODE_ID = 100;
export const MAX_BROKERS = 64;

export interface Endpoint {
  host: string;
  port: number;
}

export interface BrokerRecord {
  id: number;
  port: number;
  rack: string;
  /** Client listener address; default the cluster's `host`. */
  host?: string;
  /** A separate replication listener, when the cluster has one. */
  replication?: Endpoint;
  /** Network namespace the broker runs in; default the caller's. */
  netns?: string;
  /** A secured cluster's further client listeners (SASL_SSL, SSL, SASL_PLAINTEXT). */
  secured?: SecuredListener[];
}

export interface ControllerRecord {
  id: number;
  port: number;
  /** Default the cluster's `host`. */
  host?: string;
  netns?: string;
}

export interface ClusterRecord {
  name: string;
  version: string;
  clusterId: string;
  host: string;
  controller: ControllerRecord;
  brokers: BrokerRecord[];
  heapMb: number;
  /** Nodes run with the client compiler only (StartClusterOptions.quickStart). */
  quickStart?: boolean;
  /** Broker properties given at creation, kept for restarts. */
  brokerConfig: Record<string, string>;
  /** Set for a secured cluster: its protocols, users, certificates and client settings. */
  security?: ClusterSecurityRecord;
  /** A process whose death makes the cluster stale (a test run); absent for clusters started by hand. */
  ownerPid?: number;
  createdAt: string;
}

export interface NodePaths {
  dir: string;
  configFile: string;
  logConfigFile: string;
  dataDir: string;
  logFile: string;
  stdoutFile: string;
  pidFile: string;
}

export function nodePaths(clusterFolder: string, role: 'broker' | 'controller', id: number, major: number): NodePaths {
  const dir = join(clusterFolder, role === 'controller' ? 'controller' : `broker-${id}`);
  return {
    dir,
    configFile: join(dir, 'server.properties'),
    logConfigFile: join(dir, major >= 4 ? 'log4j2.properties' : 'log4j.properties'),
    dataDir: join(dir, 'data'),
    logFile: join(dir, 'server.log'),
    stdoutFile: join(dir, 'stdout.log'),
    pidFile: join(dir, 'pid'),
  };
}

export function recordFile(name: string, root?: string): string {
  return join(clusterDir(name, root), 'cluster.json');
}

export async function readRecord(name: string, root?: string): Promise<ClusterRecord | undefined> {
  let text: string;
  try {
    text = await readFile(recordFile(name, root), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as ClusterRecord;
  } catch (err) {
    throw new Error(`${recordFile(name, root)} is not valid JSON (${err instanceof Error ? err.message : String(err)}); remove the folder`);
  }
}

export async function writeRecord(record: ClusterRecord, root?: string): Promise<void> {
  const file = recordFile(record.name, root);
  await writeFile(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

/** Names of every cluster with a record, sorted. */
export async function listClusterNames(root?: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(clustersRoot(root));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const name of names) {
    if (name.startsWith('.') || name.endsWith('.lock')) continue;
    if ((await readRecord(name, root).catch(() => undefined)) !== undefined) out.push(name);
  }
  return out.sort();
}

/** The address a node listens on: its own when placed, else the cluster's. */
export function nodeHost(record: Pick<ClusterRecord, 'host'>, node: { host?: string }): string {
  return node.host ?? record.host;
}

export function bootstrapServers(record: Pick<ClusterRecord, 'host' | 'brokers'>): string {
  return record.brokers.map((b) => `${nodeHost(record, b)}:${b.port}`).join(',');
}
