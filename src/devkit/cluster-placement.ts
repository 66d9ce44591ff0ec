// Where the nodes of a devkit cluster live on the network. By default every node listens on
// loopback in the caller's network namespace; a placement puts each node at its own address,
// optionally inside a network namespace (`ip netns exec`), with brokers replicating over a
// separate address. The zone rig (scripts/zones) uses this to give each availability zone
// its own namespace, so that cross-zone bytes show up on known network devices.
import { isIPv4 } from 'node:net';
import type { BrokerRecord, ControllerRecord } from './cluster-record.js';
import { checkNetnsName } from './netns.js';

export interface NodePlacement {
  /** IPv4 address the node binds and advertises. */
  host: string;
  /** Network namespace the node's JVM runs in; default the caller's. */
  netns?: string;
}

export interface BrokerPlacement extends NodePlacement {
  /**
   * Address of a separate listener for replication (inter.broker.listener.name). Kafka wants
   * a broker's listeners on distinct ports, so it listens on the client port + 1; the address
   * must therefore be the broker's alone (no other node listens there).
   */
  replicationHost?: string;
}

/** The replication listener's port, given the broker's client port. */
export function replicationPortOf(clientPort: number): number {
  return clientPort + 1;
}

export interface ClusterPlacement {
  controller: NodePlacement;
  /** Broker i+1 is placed at brokers[i]; exactly one entry per broker. */
  brokers: readonly BrokerPlacement[];
}

function checkHost(host: string, what: string): string {
  if (!isIPv4(host)) throw new Error(`${what}: ${JSON.stringify(host)} is not an IPv4 address`);
  return host;
}

function checkNode(node: NodePlacement, what: string): void {
  checkHost(node.host, what);
  if (node.netns !== undefined) checkNetnsName(node.netns);
}

/** Throws unless the placement fits a cluster of `brokerCount` brokers. */
export function checkPlacement(placement: ClusterPlacement, brokerCount: number): ClusterPlacement {
  if (placement.brokers.length !== brokerCount) {
    throw new Error(`placement lists ${placement.brokers.length} brokers for a cluster of ${brokerCount}`);
  }
  checkNode(placement.controller, 'controller host');
  const shared = new Set([placement.controller.host, ...placement.brokers.map((b) => b.host)]);
  const replication = new Set<string>();
  placement.brokers.forEach((b, i) => {
    checkNode(b, `broker ${i + 1} host`);
    if (b.replicationHost === undefined) return;
    checkHost(b.replicationHost, `broker ${i + 1} replication host`);
    if (shared.has(b.replicationHost) || replication.has(b.replicationHost)) {
      throw new Error(`broker ${i + 1} replication host ${b.replicationHost} is not its own (another node or listener uses it)`);
    }
    replication.add(b.replicationHost);
  });
  return placement;
}

/** The placement fields of a broker record (empty when unplaced). */
export function placedBroker(placement: ClusterPlacement | undefined, index: number, port: number): Partial<Pick<BrokerRecord, 'host' | 'replication' | 'netns'>> {
  const b = placement?.brokers[index];
  if (b === undefined) return {};
  return {
    host: b.host,
    ...(b.replicationHost !== undefined ? { replication: { host: b.replicationHost, port: replicationPortOf(port) } } : {}),
    ...(b.netns !== undefined ? { netns: b.netns } : {}),
  };
}

export function placedController(placement: ClusterPlacement | undefined): Partial<Pick<ControllerRecord, 'host' | 'netns'>> {
  if (placement === undefined) return {};
  return { host: placement.controller.host, ...(placement.controller.netns !== undefined ? { netns: placement.controller.netns } : {}) };
}

/** Differences between a recorded cluster's placement and a requested one, for error messages. */
export function placementConflicts(
  recorded: { controller: ControllerRecord; brokers: readonly BrokerRecord[] },
  wanted: ClusterPlacement | undefined,
): string[] {
  const out: string[] = [];
  const same = (a: object, b: object): boolean => JSON.stringify(a) === JSON.stringify(b);
  const c = { host: recorded.controller.host, netns: recorded.controller.netns };
  const wc = placedController(wanted);
  if (!same(c, { host: wc.host, netns: wc.netns })) out.push(`controller at ${c.host ?? 'loopback'}${c.netns !== undefined ? ` in ${c.netns}` : ''}`);
  recorded.brokers.forEach((b, i) => {
    const w = placedBroker(wanted, i, b.port);
    const have = { host: b.host, replication: b.replication, netns: b.netns };
    if (!same(have, { host: w.host, replication: w.replication, netns: w.netns })) {
      out.push(`broker ${b.id} at ${b.host ?? 'loopback'}${b.netns !== undefined ? ` in ${b.netns}` : ''}`);
    }
  });
  return out;
}
