// Which of Turnout's nodes a client is shown: the nodes of its own zone, so that it never
// opens a connection to another zone while its zone has a Turnout node.
//
// A node group is a set of Turnout nodes at one advertised host: a listener of this instance
// (its ports are the bound ones) or a peer instance from zoneRouting.peers (nodePortBase + i).
// A peer counts only while it is up (`peerUp`, from src/routing/peer-health.ts): a zone whose
// peers are all down has no nodes, so its clients are served as if it had none.
// For a client in zone Z that connected to listener L:
//   - no zone, or Z is L's zone: L's nodes (as without zones);
//   - else the nodes of zone Z: this instance's first listener in Z, else every peer in Z
//     that is up;
//   - else (no node in Z anywhere) the nearest zone that has nodes: the zones listed in
//     zoneRouting.fallbacks[Z] in order, then the others in the order of `zones`. This is a
//     fallback, counted by the caller; L itself is preferred among groups of the chosen zone.
// The nodes' rack is the zone they are in, so a client with client.rack set sees its own.
import type { NodeEndpoint } from './multi/multi-context.js';
import type { ListenerView } from './virtual-cluster-router.js';
import { nameHash } from './multi/destinations.js';

/** A set of Turnout nodes reachable at one host. */
export interface NodeGroup {
  /** The listener's name, or `peer:NAME`. */
  readonly name: string;
  readonly zone: string | null;
  readonly nodeIds: readonly number[];
  /** The node's endpoint, or undefined while its port is not bound. */
  endpoint(nodeId: number): NodeEndpoint | undefined;
}

/** The nodes one client is shown. */
export interface ServedNodes {
  readonly group: NodeGroup;
  /** The zone of the nodes (and their rack), null without zones. */
  readonly zone: string | null;
  /** True when the client's zone has no node and a nearer one serves it. */
  readonly fallback: boolean;
}

export interface ListenerNodes {
  readonly listener: ListenerView;
  readonly zone: string | null;
  readonly nodeIdBase: number;
  readonly nodes: number;
}

export interface PeerNodes {
  readonly name: string;
  readonly zone: string;
  readonly advertisedHost: string;
  readonly nodePortBase: number;
  readonly nodeIdBase: number;
  readonly nodes: number;
}

export interface ZoneNodesOptions {
  zones: readonly string[];
  /** Client zone → zones to serve it from, nearest first. */
  fallbacks?: Readonly<Record<string, readonly string[]>>;
  listeners: readonly ListenerNodes[];
  peers?: readonly PeerNodes[];
  /** Whether a peer (by name) is serving; every peer is, without it. */
  peerUp?: (name: string) => boolean;
}

function idsFrom(base: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => base + i);
}

function listenerGroup(l: ListenerNodes): NodeGroup {
  const ids = idsFrom(l.nodeIdBase, l.nodes);
  const first = l.nodeIdBase;
  const last = l.nodeIdBase + l.nodes - 1;
  return {
    name: l.listener.name,
    zone: l.zone,
    nodeIds: ids,
    endpoint: (nodeId) => {
      if (nodeId < first || nodeId > last) return undefined;
      const port = l.listener.nodePort(nodeId);
      return port === undefined ? undefined : { nodeId, host: l.listener.advertisedHost, port, rack: l.zone };
    },
  };
}

function peerGroup(peers: readonly PeerNodes[], zone: string): NodeGroup {
  const byId = new Map<number, NodeEndpoint>();
  for (const p of peers) {
    for (let i = 0; i < p.nodes; i++) byId.set(p.nodeIdBase + i, { nodeId: p.nodeIdBase + i, host: p.advertisedHost, port: p.nodePortBase + i, rack: zone });
  }
  return { name: peers.map((p) => `peer:${p.name}`).join(','), zone, nodeIds: [...byId.keys()].sort((a, b) => a - b), endpoint: (id) => byId.get(id) };
}

export class ZoneNodes {
  private readonly zones: readonly string[];
  private readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  private readonly byListener = new Map<string, NodeGroup>();
  /** Zone → this instance's group clients of that zone are shown (when they connected elsewhere). */
  private readonly byZone = new Map<string, NodeGroup>();
  /** Zone → its peers, for zones without a listener of this instance. */
  private readonly peersByZone = new Map<string, readonly PeerNodes[]>();
  /** Zone → the group of its peers that are up, and which ones those were. */
  private readonly peerGroups = new Map<string, { upKey: string; group: NodeGroup }>();
  private readonly peerUp: (name: string) => boolean;
  /** Client zone → where it falls back to, worked out once. */
  private readonly fallbackOrder = new Map<string, readonly string[]>();

  constructor(opts: ZoneNodesOptions) {
    this.zones = opts.zones;
    this.fallbacks = opts.fallbacks ?? {};
    this.peerUp = opts.peerUp ?? (() => true);
    for (const l of opts.listeners) {
      const g = listenerGroup(l);
      this.byListener.set(l.listener.name, g);
      if (l.zone !== null && !this.byZone.has(l.zone)) this.byZone.set(l.zone, g);
    }
    const peerZones = new Map<string, PeerNodes[]>();
    for (const p of opts.peers ?? []) peerZones.set(p.zone, [...(peerZones.get(p.zone) ?? []), p]);
    for (const [zone, peers] of peerZones) if (!this.byZone.has(zone)) this.peersByZone.set(zone, peers);
  }

  /** A presentation without zones: ids 0..nodes-1 on every listener. */
  static zoneless(listeners: readonly ListenerView[], nodes: number): ZoneNodes {
    return new ZoneNodes({ zones: [], listeners: listeners.map((listener) => ({ listener, zone: null, nodeIdBase: 0, nodes })) });
  }

  /** The node ids a listener of this instance binds. */
  localNodeIds(listenerName: string): readonly number[] {
    return this.byListener.get(listenerName)?.nodeIds ?? [];
  }

  /** The zones that have nodes, here or at a peer that is up. */
  zonesWithNodes(): string[] {
    return [...this.byZone.keys(), ...[...this.peersByZone.keys()].filter((z) => this.zoneGroup(z) !== undefined)];
  }

  /** The nodes shown to a client in `clientZone` that connected to `listenerName`. */
  servedTo(listenerName: string, clientZone: string | null): ServedNodes {
    const own = this.byListener.get(listenerName);
    if (own === undefined) throw new Error(`no listener named ${listenerName}`);
    if (clientZone === null || clientZone === own.zone || (this.byZone.size === 0 && this.peersByZone.size === 0)) return { group: own, zone: own.zone, fallback: false };
    const exact = this.zoneGroup(clientZone);
    if (exact !== undefined) return { group: exact, zone: clientZone, fallback: false };
    for (const zone of this.fallbackOf(clientZone)) {
      if (zone === own.zone) return { group: own, zone, fallback: true };
      const g = this.zoneGroup(zone);
      if (g !== undefined) return { group: g, zone, fallback: true };
    }
    // Zones with nodes that `zones` does not list cannot happen with a checked configuration.
    return { group: own, zone: own.zone, fallback: own.zone !== null };
  }

  /** The group a zone's clients are shown: this instance's listener there, else its peers that are up. */
  private zoneGroup(zone: string): NodeGroup | undefined {
    const own = this.byZone.get(zone);
    if (own !== undefined) return own;
    const peers = this.peersByZone.get(zone);
    if (peers === undefined) return undefined;
    const up = peers.filter((p) => this.peerUp(p.name));
    if (up.length === 0) return undefined;
    // Built again only when the set of peers up changes: metadata answers call this per request.
    const upKey = up.map((p) => p.name).join('\u0000');
    const cached = this.peerGroups.get(zone);
    if (cached !== undefined && cached.upKey === upKey) return cached.group;
    const group = peerGroup(up, zone);
    this.peerGroups.set(zone, { upKey, group });
    return group;
  }

  /** Zones to try for a client zone without nodes: its configured fallbacks, then `zones` in order. */
  private fallbackOf(clientZone: string): readonly string[] {
    let order = this.fallbackOrder.get(clientZone);
    if (order === undefined) {
      order = [...new Set([...(this.fallbacks[clientZone] ?? []), ...this.zones])].filter((z) => z !== clientZone);
      this.fallbackOrder.set(clientZone, order);
    }
    return order;
  }
}

/**
 * A node for a partition whose leader is not known (MultiContext.virtualLeaderOf places the
 * others by their real broker): spread by topic and partition over the served nodes.
 */
export function leaderAmong(nodeIds: readonly number[], topic: string, partition: number): number {
  return nodeIds[(nameHash(topic) + partition) % nodeIds.length];
}

/** The node presented as the coordinator of a group or transactional id. */
export function coordinatorAmong(nodeIds: readonly number[], key: string): number {
  return nodeIds[nameHash(key) % nodeIds.length];
}
