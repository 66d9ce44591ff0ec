// The zone routing part of the configuration: how clients are kept in their zone when
// Turnout presents its own nodes (the "turnout-nodes" presentation), and the checks that keep
// node ids unique across the instances of one virtual cluster.
//
//   zoneRouting.followerFetching  fetch from an in-sync replica in the client's zone
//   zoneRouting.fallbacks         client zone → zones to serve it from, nearest first
//   zoneRouting.peers             the other instances' nodes (zone, host, ports, ids)
//   zoneRouting.peerHealth        how often peers are probed and when one counts as down
//   listeners[].nodeIdBase        first node id of a listener's nodes
//   domains[].locality.leaders    report partitions whose leaders sit outside the producers' zones
import { z } from 'zod';
import { zoneNameSchema } from './zone-schema.js';

/** Node ids are int32 on the wire; a listener or peer has at most this many nodes. */
export const MAX_NODES_PER_GROUP = 256;
const MAX_NODE_ID_BASE = 2 ** 31 - 1 - MAX_NODES_PER_GROUP;

export const nodeIdBaseSchema = z.number().int().min(0).max(MAX_NODE_ID_BASE);

const peerSchema = z
  .object({
    /** For logs and error messages. */
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"'),
    zone: zoneNameSchema,
    advertisedHost: z.string().min(1),
    /** The peer's node N (counted from its nodeIdBase) listens on nodePortBase + N. */
    nodePortBase: z.number().int().min(1).max(65535),
    nodeIdBase: nodeIdBaseSchema,
    nodes: z.number().int().min(1).max(MAX_NODES_PER_GROUP).default(3),
  })
  .strict();

export type PeerConfig = z.output<typeof peerSchema>;

const PEER_HEALTH_DEFAULTS = { intervalMs: 3_000, timeoutMs: 1_500, failuresBeforeDown: 2 };

const peerHealthSchema = z
  .object({
    /** How often each peer is asked ApiVersions on its first node port. */
    intervalMs: z.number().int().min(100).max(600_000).default(PEER_HEALTH_DEFAULTS.intervalMs),
    /** A probe not answered within this fails (connect and answer each). */
    timeoutMs: z.number().int().min(50).max(600_000).default(PEER_HEALTH_DEFAULTS.timeoutMs),
    /** Failed probes in a row before the peer's zone is served from elsewhere; one good probe brings it back. */
    failuresBeforeDown: z.number().int().min(1).max(100).default(PEER_HEALTH_DEFAULTS.failuresBeforeDown),
  })
  .strict()
  .default(PEER_HEALTH_DEFAULTS);

export type PeerHealthConfig = z.output<typeof peerHealthSchema>;

const zoneRoutingSchema = z
  .object({
    followerFetching: z.boolean().default(true),
    fallbacks: z.record(zoneNameSchema, z.array(zoneNameSchema)).default({}),
    peers: z.array(peerSchema).default([]),
    peerHealth: peerHealthSchema,
  })
  .strict();

export type ZoneRoutingConfig = z.output<typeof zoneRoutingSchema>;

export const zoneRoutingField = zoneRoutingSchema.default({ followerFetching: true, fallbacks: {}, peers: [], peerHealth: PEER_HEALTH_DEFAULTS });

/** What a domain's leaders are checked against (reporting only: Turnout moves no leader). */
export const localitySchema = z
  .object({
    leaders: z.enum(['producer-zone', 'any']).default('any'),
  })
  .strict();

export const PRESENTATIONS = ['turnout-nodes', 'broker-per-node'] as const;
export type Presentation = (typeof PRESENTATIONS)[number];

export const presentationSchema = z.enum(PRESENTATIONS);

type AddIssue = (path: PropertyKey[], message: string) => void;

export interface ZoneRoutingCheckInput {
  zones: readonly string[];
  virtualCluster: { presentation?: Presentation | undefined };
  listeners: ReadonlyArray<{ name: string; zone?: string | undefined; nodeIdBase: number; nodes: number }>;
  backends: readonly unknown[];
  zoneRouting: ZoneRoutingConfig;
}

/**
 * The presentation in effect: the configured one, else Turnout's own nodes when there are
 * several backends (the only way to present them) or zones (clients are kept in theirs by
 * being shown only their zone's nodes), else one virtual node per backend broker.
 */
export function presentationOf(config: Pick<ZoneRoutingCheckInput, 'virtualCluster' | 'backends' | 'zones'>): Presentation {
  return config.virtualCluster.presentation ?? (config.backends.length > 1 || config.zones.length > 0 ? 'turnout-nodes' : 'broker-per-node');
}

interface IdRange {
  path: PropertyKey[];
  what: string;
  first: number;
  last: number;
}

/**
 * Checks zone names in fallbacks and peers, that broker-per-node is not asked for where it
 * cannot work, and that a peer's node ids overlap no other node's: ids name nodes across
 * the instances of a virtual cluster, and a client must never know two addresses for one.
 */
export function checkZoneRouting(config: ZoneRoutingCheckInput, addIssue: AddIssue): void {
  const declared = new Set(config.zones);
  const unknown = (zone: string): string =>
    `names no declared zone: "${zone}" (${config.zones.length === 0 ? 'none declared in zones' : `declared: ${config.zones.join(', ')}`})`;
  const zr = config.zoneRouting;
  for (const [zone, order] of Object.entries(zr.fallbacks)) {
    if (!declared.has(zone)) addIssue(['zoneRouting', 'fallbacks', zone], unknown(zone));
    order.forEach((z, i) => {
      if (!declared.has(z)) addIssue(['zoneRouting', 'fallbacks', zone, i], unknown(z));
      else if (z === zone) addIssue(['zoneRouting', 'fallbacks', zone, i], 'a zone is not its own fallback');
    });
  }
  const peerNames = new Set<string>();
  zr.peers.forEach((p, i) => {
    if (!declared.has(p.zone)) addIssue(['zoneRouting', 'peers', i, 'zone'], unknown(p.zone));
    if (peerNames.has(p.name)) addIssue(['zoneRouting', 'peers', i, 'name'], `peer name "${p.name}" is used twice`);
    peerNames.add(p.name);
  });

  if (presentationOf(config) === 'broker-per-node') {
    const path = ['virtualCluster', 'presentation'];
    if (config.backends.length > 1) addIssue(path, 'broker-per-node presents one backend only; several backends need turnout-nodes');
    if (zr.peers.length > 0) addIssue(path, 'peers are Turnout nodes: they need the turnout-nodes presentation');
    config.listeners.forEach((l, i) => {
      if (l.nodeIdBase !== 0) addIssue(['listeners', i, 'nodeIdBase'], 'node ids are the brokers\' own with broker-per-node: needs the turnout-nodes presentation');
    });
    return;
  }

  const ranges: IdRange[] = [
    ...config.listeners.map((l, i) => ({
      path: ['listeners', i, 'nodeIdBase'],
      what: `listener "${l.name}"`,
      first: l.nodeIdBase,
      last: l.nodeIdBase + l.nodes - 1,
    })),
    ...zr.peers.map((p, i) => ({ path: ['zoneRouting', 'peers', i, 'nodeIdBase'], what: `peer "${p.name}"`, first: p.nodeIdBase, last: p.nodeIdBase + p.nodes - 1 })),
  ];
  const listenerCount = config.listeners.length;
  for (let b = 0; b < ranges.length; b++) {
    for (let a = 0; a < b; a++) {
      const x = ranges[a];
      const y = ranges[b];
      // This instance's listeners may show the same nodes on several networks.
      const sameInstance = a < listenerCount && b < listenerCount;
      if (sameInstance || x.last < y.first || y.last < x.first) continue;
      addIssue(y.path, `node ids ${y.first}..${y.last} of ${y.what} overlap ids ${x.first}..${x.last} of ${x.what}`);
    }
  }
}
