// What `turnout demo` writes before Turnout starts, in one folder: Turnout's configuration and
// the admin token its cutover commands need. The configuration is one virtual cluster over two
// Kafka clusters, east and west:
//   - a listener per zone (az-a, az-b, az-c), each with one Turnout node of its own, as with one
//     Turnout instance per zone: a client is shown its zone's node as the leader of every
//     partition, whichever broker of whichever cluster really leads it;
//   - both clusters' broker racks mapped to those zones, so that Turnout knows which replica is
//     in a client's zone and counts the bytes that cross zones;
//   - two service domains: orders (topics orders.*, groups and transactional ids orders-*) on
//     east with west as its migration target, and payments (payments.*) on west.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { LogLevel } from '../observability/logger.js';
import type { TurnoutConfigInput } from '../policy/config.js';

/** A real cluster behind Turnout. */
export interface DemoBackend {
  bootstrapServers: readonly string[];
  /** Kafka version, for the summary, when known. */
  kafkaVersion?: string;
  /** How the summary names the cluster ("cluster demo-east"). */
  label: string;
}

/** The two clusters: the orders domain starts on east and moves to west. */
export interface DemoBackends {
  east: DemoBackend;
  west: DemoBackend;
}

export type DemoBackendName = keyof DemoBackends;
export const DEMO_BACKEND_NAMES: readonly DemoBackendName[] = ['east', 'west'];

export const DEMO_ZONES = ['az-a', 'az-b', 'az-c'] as const;
export type DemoZone = (typeof DEMO_ZONES)[number];

/** Turnout nodes per zone listener. */
export const NODES_PER_ZONE = 1;

export interface DemoDomain {
  name: string;
  owner: string;
  /** Topics, groups and transactional ids of the domain start with these. */
  topicPrefix: string;
  groupPrefix: string;
  backend: DemoBackendName;
  migrationTarget?: DemoBackendName;
}

export interface DemoDomains {
  orders: DemoDomain & { migrationTarget: DemoBackendName };
  payments: DemoDomain;
}

/**
 * The two domains; `namePrefix` goes in front of every name pattern, so that a run on shared
 * clusters (the integration tests') has domains no other topic or group falls into.
 */
export function demoDomains(namePrefix = ''): DemoDomains {
  return {
    orders: { name: 'orders', owner: 'team-orders', topicPrefix: `${namePrefix}orders.`, groupPrefix: `${namePrefix}orders-`, backend: 'east', migrationTarget: 'west' },
    payments: { name: 'payments', owner: 'team-payments', topicPrefix: `${namePrefix}payments.`, groupPrefix: `${namePrefix}payments-`, backend: 'west' },
  };
}

export const DEMO_DOMAINS: DemoDomains = demoDomains();

export const DEMO_CLUSTER_ID = 'tUrNoUtDeMoViRtUaLcLu0';

export interface DemoConfigOptions {
  clusterId?: string;
  logLevel: LogLevel;
  adminTokenFile: string;
  /** Default DEMO_DOMAINS. */
  domains?: DemoDomains;
}

/** The first node id of a zone's listener: 1, 11, 21. */
export function zoneNodeIdBase(zone: DemoZone): number {
  return DEMO_ZONES.indexOf(zone) * 10 + 1;
}

export function demoConfig(backends: DemoBackends, opts: DemoConfigOptions): TurnoutConfigInput {
  const rackZones = Object.fromEntries(DEMO_ZONES.map((z) => [z, z]));
  const domain = (d: DemoDomain): NonNullable<TurnoutConfigInput['domains']>[number] => ({
    name: d.name,
    owner: d.owner,
    topics: [`${d.topicPrefix}*`],
    groups: [`${d.groupPrefix}*`],
    transactionalIds: [`${d.groupPrefix}*`],
    backend: d.backend,
    ...(d.migrationTarget !== undefined ? { migrationTarget: d.migrationTarget } : {}),
  });
  return {
    virtualCluster: { clusterId: opts.clusterId ?? DEMO_CLUSTER_ID },
    zones: [...DEMO_ZONES],
    listeners: DEMO_ZONES.map((zone) => ({
      name: zone,
      bindHost: '127.0.0.1',
      advertisedHost: '127.0.0.1',
      bootstrapPort: 0,
      nodePortBase: 0,
      nodes: NODES_PER_ZONE,
      nodeIdBase: zoneNodeIdBase(zone),
      zone,
    })),
    backends: DEMO_BACKEND_NAMES.map((name) => ({ name, bootstrapServers: [...backends[name].bootstrapServers], rackZones })),
    domains: [domain(opts.domains?.orders ?? DEMO_DOMAINS.orders), domain(opts.domains?.payments ?? DEMO_DOMAINS.payments)],
    admin: { host: '127.0.0.1', port: 0, auth: { tokenFile: opts.adminTokenFile, openReads: true } },
    logging: { level: opts.logLevel },
  };
}

export interface DemoWorkspace {
  dir: string;
  domains: DemoDomains;
  configFile: string;
  adminTokenFile: string;
  adminToken: string;
  remove(): Promise<void>;
}

/** Writes the configuration and a fresh admin token into a new folder under the system's temporary folder. */
export async function createDemoWorkspace(backends: DemoBackends, opts: Omit<DemoConfigOptions, 'adminTokenFile'>): Promise<DemoWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), 'turnout-demo-'));
  try {
    const adminTokenFile = join(dir, 'admin-token');
    const adminToken = randomBytes(24).toString('hex');
    await writeFile(adminTokenFile, `${adminToken}\n`, { mode: 0o600 });
    const configFile = join(dir, 'turnout.yaml');
    const domains = opts.domains ?? DEMO_DOMAINS;
    await writeFile(configFile, stringify(demoConfig(backends, { ...opts, domains, adminTokenFile })));
    return { dir, domains, configFile, adminTokenFile, adminToken, remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
