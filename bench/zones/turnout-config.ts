// The configuration of the Turnout instance in each simulated zone: one listener on the
// zone's client address (in that zone, with node ids of its own), the namespaced cluster as
// its one backend (broker rack = zone), the other zones' instances as peers, and each zone's
// client address mapped to its zone. Clients in a zone bootstrap to their zone's instance and
// are shown only its nodes; fetches go to the in-sync replica in their zone.
import type { ClusterInfo, ZoneLayout } from '../../src/devkit/index.js';
import type { TurnoutConfigInput } from '../../src/policy/config.js';

/** Ports every instance uses, each on its own zone's address (the admin port on its loopback). */
export interface TurnoutZonePorts {
  bootstrapPort: number;
  /** Node i of an instance listens on nodePortBase + i. */
  nodePortBase: number;
  adminPort: number;
}

export const DEFAULT_TURNOUT_ZONE_PORTS: TurnoutZonePorts = { bootstrapPort: 29092, nodePortBase: 29093, adminPort: 29190 };
/** Nodes per instance, and the spacing of their ids between zones (zone i: ids 100 i ...). */
export const NODES_PER_ZONE = 3;
export const NODE_ID_STRIDE = 100;
export const VIRTUAL_CLUSTER_ID = 'tUrNoUtZoNeSbEnChMaRk0';
/** Turnout's topology refresh: metadata refreshes cross zones, yet leader moves are followed within this. */
export const TOPOLOGY_REFRESH_MS = 5_000;

/** Throws when an instance port would clash with a broker port on the same address. */
export function checkTurnoutPorts(cluster: ClusterInfo, ports: TurnoutZonePorts): void {
  const ours = [ports.bootstrapPort, ...Array.from({ length: NODES_PER_ZONE }, (_, i) => ports.nodePortBase + i)];
  for (const b of cluster.brokers) {
    const taken = [b.port, ...(b.replication !== undefined ? [b.replication.port] : [])];
    const clash = ours.find((p) => taken.includes(p));
    if (clash !== undefined) throw new Error(`Turnout port ${clash} is broker ${b.id}'s port on ${b.host}; choose other Turnout ports`);
  }
}

/** The configuration of the instance in `layout.zones[index]`. */
export function turnoutZoneConfig(layout: ZoneLayout, cluster: ClusterInfo, index: number, ports: TurnoutZonePorts = DEFAULT_TURNOUT_ZONE_PORTS): TurnoutConfigInput {
  const zone = layout.zones[index];
  if (zone === undefined) throw new Error(`no zone ${index} in the layout (${layout.zones.length} zones)`);
  const zones = layout.zones.map((z) => z.zone);
  return {
    virtualCluster: { clusterId: VIRTUAL_CLUSTER_ID, presentation: 'turnout-nodes' },
    listeners: [
      {
        name: zone.zone,
        bindHost: zone.clientHost,
        advertisedHost: zone.clientHost,
        bootstrapPort: ports.bootstrapPort,
        nodePortBase: ports.nodePortBase,
        nodes: NODES_PER_ZONE,
        nodeIdBase: index * NODE_ID_STRIDE,
        zone: zone.zone,
      },
    ],
    backends: [
      {
        name: 'zones',
        // Every broker, so an instance starts (and restarts) while any one of them is down.
        bootstrapServers: cluster.brokers.map((b) => `${b.host}:${b.port}`),
        rackZones: Object.fromEntries(cluster.brokers.map((b) => [b.rack, b.rack])),
      },
    ],
    zones,
    // Clients reach their own zone's instance from the zone's own address; the map also names
    // the zone of a client that strays to another zone's instance.
    clientZones: { cidrs: Object.fromEntries(layout.zones.map((z) => [`${z.clientHost}/32`, z.zone])) },
    zoneRouting: {
      followerFetching: true,
      peers: layout.zones.flatMap((z, i) =>
        i === index
          ? []
          : [{ name: `turnout-${z.zone}`, zone: z.zone, advertisedHost: z.clientHost, nodePortBase: ports.nodePortBase, nodeIdBase: i * NODE_ID_STRIDE, nodes: NODES_PER_ZONE }],
      ),
    },
    store: { type: 'file', watchFile: false },
    // On the zone's loopback: reading it from inside the zone crosses no zone boundary.
    admin: { host: '127.0.0.1', port: ports.adminPort },
    topology: { refreshIntervalMs: TOPOLOGY_REFRESH_MS },
    logging: { level: 'warn' },
  };
}
