// Two views of one cluster: what a client sees through Turnout (virtual nodes, Turnout's
// cluster id) and what is really there (the brokers behind it). Both come from a Metadata
// request on the wire (the devkit's standalone probe, which does not share Turnout's codec),
// and are lined up by partition leadership: the virtual node a client is told leads a
// partition stands for the broker that really leads it.
import { probeKafka } from '../devkit/index.js';
import { splitHostPort } from '../policy/config.js';

export interface NodeView {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface ClusterView {
  clusterId: string | null;
  controllerId: number;
  brokers: NodeView[];
}

/** Leader of one partition as seen through Turnout and directly. */
export interface PartitionLeaders {
  partition: number;
  virtualLeader: number;
  realLeader: number;
}

/** One virtual node, the broker behind it, and the demo traffic it led. */
export interface NodeRoute {
  virtual: NodeView;
  real: NodeView | null;
  /** Partitions of the demo topic this node leads. */
  partitions: number[];
  records: number;
  payloadBytes: number;
}

/** Asks each bootstrap address in turn for Metadata; the first answer wins. */
export async function viewCluster(bootstrapServers: readonly string[], timeoutMs = 5_000): Promise<ClusterView> {
  const errors: string[] = [];
  for (const address of bootstrapServers) {
    const { host, port } = splitHostPort(address);
    const probe = await probeKafka(host, port, { metadata: true, timeoutMs });
    if (probe.brokers !== undefined) {
      return {
        clusterId: probe.clusterId ?? null,
        controllerId: probe.controllerId ?? -1,
        brokers: probe.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
      };
    }
    errors.push(`${address}: ${probe.error ?? 'no metadata'}`);
  }
  throw new Error(`no broker answered Metadata (${errors.join('; ')})`);
}

/**
 * Pairs every virtual node with the broker behind it: by the partitions it leads, and for a
 * node that leads none, by its rack when exactly one broker has that rack.
 */
export function mapVirtualNodes(seen: ClusterView, real: ClusterView, leaders: readonly PartitionLeaders[]): NodeRoute[] {
  const realById = new Map(real.brokers.map((b) => [b.nodeId, b]));
  const routes = new Map<number, NodeRoute>();
  for (const v of seen.brokers) routes.set(v.nodeId, { virtual: v, real: null, partitions: [], records: 0, payloadBytes: 0 });
  for (const l of leaders) {
    const route = routes.get(l.virtualLeader);
    if (route === undefined) continue;
    route.partitions.push(l.partition);
    if (route.real === null) route.real = realById.get(l.realLeader) ?? null;
  }
  const taken = new Set([...routes.values()].flatMap((r) => (r.real === null ? [] : [r.real.nodeId])));
  for (const route of routes.values()) {
    if (route.real !== null || route.virtual.rack === null) continue;
    const sameRack = real.brokers.filter((b) => b.rack === route.virtual.rack && !taken.has(b.nodeId));
    if (sameRack.length === 1) {
      route.real = sameRack[0] as NodeView;
      taken.add(route.real.nodeId);
    }
  }
  for (const route of routes.values()) route.partitions.sort((a, b) => a - b);
  return [...routes.values()].sort((a, b) => a.virtual.nodeId - b.virtual.nodeId);
}

/**
 * Anything of the real cluster that shows in the client's view: a broker address or the
 * real cluster id. Empty when Turnout hides the backend as it must.
 */
export function leakedIdentifiers(seen: ClusterView, real: ClusterView): string[] {
  const leaks: string[] = [];
  const realAddresses = new Set(real.brokers.map((b) => `${b.host}:${b.port}`));
  for (const b of seen.brokers) {
    const address = `${b.host}:${b.port}`;
    if (realAddresses.has(address)) leaks.push(`node ${b.nodeId} is advertised at broker address ${address}`);
  }
  if (real.clusterId !== null && seen.clusterId === real.clusterId) leaks.push(`cluster id ${real.clusterId} is the backend's`);
  return leaks;
}
