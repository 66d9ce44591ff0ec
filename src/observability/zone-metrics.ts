// Zone metrics: how clients' zones were decided, and the bytes Turnout moves to and from
// backend brokers by client zone and broker zone, the cross-zone part of which clouds bill.
//   turnout_client_zone_decisions_total{zone,source}
//   turnout_zone_bytes_total{client_zone,broker_zone,direction}
//   turnout_cross_zone_bytes_total{direction}
//   turnout_zone_fallbacks_total{client_zone,served_zone}
//   turnout_zone_fetch_partitions_total{client_zone,broker_zone,replica}
//   turnout_zone_fetch_bytes_total{client_zone,broker_zone,replica}
//   turnout_follower_fetch_retries_total{reason}
//   turnout_remote_leader_partitions{domain}
//   turnout_peer_up{peer,zone}
// `direction` is to_broker (requests: produce data) or from_broker (responses: fetch data).
// Produce bytes that cross zones to reach leaders are the to_broker part of the cross-zone
// bytes: Turnout sends produce data straight to the leader, wherever it is.
// Fallbacks count client connections shown another zone's Turnout nodes (their zone has
// none); fetches count partitions fetched and their record bytes, by the replica (leader or
// follower) that served them; retries count follower answers fetched again at the leader.
// A peer is 1 while its probes answer (src/routing/peer-health.ts), 0 while its zone's
// clients are shown another zone.
// A client without a zone is labelled "none" (no zone may be called that); bytes of such a
// client are counted by zone pair but never as cross-zone, since nobody knows.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ZoneSource } from '../policy/zone-resolver.js';
import { NO_ZONE_LABEL } from '../policy/zone-schema.js';

export type ZoneDirection = 'to_broker' | 'from_broker';

/** Bytes between one client zone and one broker zone. */
interface PairCell {
  readonly clientLabel: string;
  readonly brokerZone: string;
  readonly cross: boolean;
  toBrokerBytes: number;
  fromBrokerBytes: number;
}

export interface ZonePairBytes {
  /** null for clients without a zone. */
  clientZone: string | null;
  brokerZone: string;
  crossZone: boolean;
  toBrokerBytes: number;
  fromBrokerBytes: number;
}

export interface ZoneDecisionCount {
  zone: string | null;
  source: ZoneSource;
  count: number;
}

export type FetchReplica = 'leader' | 'follower';

/** Why a follower's answer for a partition was fetched again at the leader. */
export type FollowerRetryReason =
  | 'offset_out_of_range'
  | 'offset_not_available'
  | 'not_leader_or_follower'
  | 'fenced_leader_epoch'
  | 'unknown_leader_epoch'
  | 'replica_not_available'
  | 'unreachable';

export interface ZoneFallbackCount {
  clientZone: string;
  servedZone: string;
  /** Client connections shown the served zone's nodes. */
  connections: number;
}

export interface ZoneFetchCount {
  clientZone: string | null;
  brokerZone: string | null;
  replica: FetchReplica;
  partitions: number;
  recordBytes: number;
}

/** A partition of a producer-zone domain whose leader is outside every zone it is produced from. */
export interface RemoteLeaderPartition {
  domain: string;
  topic: string;
  partition: number;
  leaderZone: string | null;
  producerZones: string[];
}

export interface ZoneTrafficSnapshot {
  /** Every zone pair that carried bytes, sorted by client zone then broker zone. */
  pairs: ZonePairBytes[];
  crossZone: { toBrokerBytes: number; fromBrokerBytes: number };
  decisions: ZoneDecisionCount[];
  fallbacks: ZoneFallbackCount[];
  fetches: ZoneFetchCount[];
  followerRetries: Partial<Record<FollowerRetryReason, number>>;
  remoteLeaders: RemoteLeaderPartition[];
}

// Byte counts are plain numbers on the hot path (a prom-client child's inc hashes its labels
// on every call, some 100 ns); the Prometheus counters are filled from them at scrape time.
export class ZoneMetrics {
  private readonly decisions: Counter<'zone' | 'source'>;
  private readonly crossBytes = { toBroker: 0, fromBroker: 0 };
  /** client zone label → broker zone → cell; two map lookups per count, no string building. */
  private readonly pairs = new Map<string, Map<string, PairCell>>();
  private readonly decisionCounts = new Map<string, ZoneDecisionCount>();
  private readonly fallbackCounts = new Map<string, ZoneFallbackCount>();
  private readonly fetchCounts = new Map<string, ZoneFetchCount>();
  private readonly retryCounts = new Map<FollowerRetryReason, number>();
  private remoteLeaderSource: () => RemoteLeaderPartition[] = () => [];
  private peers: Gauge<'peer' | 'zone'> | null = null;

  constructor(registry: Registry) {
    const registers = [registry];
    this.decisions = new Counter({
      name: 'turnout_client_zone_decisions_total',
      help: 'Client zone decisions (a connection\'s first, and each later change), by zone and by the source that gave it',
      labelNames: ['zone', 'source'],
      registers,
    });
    const pairs = this.pairs;
    new Counter({
      name: 'turnout_zone_bytes_total',
      help: 'Bytes between Turnout and backend brokers, by the client\'s zone, the broker\'s zone and direction (to_broker, from_broker)',
      labelNames: ['client_zone', 'broker_zone', 'direction'],
      registers,
      collect() {
        this.reset();
        for (const byBroker of pairs.values()) {
          for (const c of byBroker.values()) {
            this.labels(c.clientLabel, c.brokerZone, 'to_broker').inc(c.toBrokerBytes);
            this.labels(c.clientLabel, c.brokerZone, 'from_broker').inc(c.fromBrokerBytes);
          }
        }
      },
    });
    const crossBytes = this.crossBytes;
    new Counter({
      name: 'turnout_cross_zone_bytes_total',
      help: 'Bytes between Turnout and a backend broker in another zone than the client\'s, by direction (to_broker, from_broker)',
      labelNames: ['direction'],
      registers,
      // Both directions always present, so a dashboard shows 0 rather than no data.
      collect() {
        this.reset();
        this.labels('to_broker').inc(crossBytes.toBroker);
        this.labels('from_broker').inc(crossBytes.fromBroker);
      },
    });
    this.registerRoutingMetrics(registers);
  }

  /** Where the remote-leader report comes from (the router that knows leaders and producers). */
  reportRemoteLeaders(source: () => RemoteLeaderPartition[]): void {
    this.remoteLeaderSource = source;
  }

  /** Sets whether a peer instance answers its probes. */
  peerUp(peer: string, zone: string, up: boolean): void {
    this.peers?.labels(peer, zone).set(up ? 1 : 0);
  }

  /** Counts a client connection shown the nodes of `servedZone` because `clientZone` has none. */
  fallback(clientZone: string, servedZone: string): void {
    const key = `${clientZone}\u0000${servedZone}`;
    const c = this.fallbackCounts.get(key);
    if (c === undefined) this.fallbackCounts.set(key, { clientZone, servedZone, connections: 1 });
    else c.connections++;
  }

  /** Counts partitions fetched for a client from one broker, and their record bytes. */
  fetched(clientZone: string | null, brokerZone: string | null, replica: FetchReplica, partitions: number, recordBytes: number): void {
    const key = `${clientZone ?? NO_ZONE_LABEL}\u0000${brokerZone ?? NO_ZONE_LABEL}\u0000${replica}`;
    const c = this.fetchCounts.get(key);
    if (c === undefined) this.fetchCounts.set(key, { clientZone, brokerZone, replica, partitions, recordBytes });
    else {
      c.partitions += partitions;
      c.recordBytes += recordBytes;
    }
  }

  /** Counts a partition a follower answered that was fetched again at the leader. */
  followerRetry(reason: FollowerRetryReason): void {
    this.retryCounts.set(reason, (this.retryCounts.get(reason) ?? 0) + 1);
  }

  /** Counts a decision about a client's zone. */
  decided(zone: string | null, source: ZoneSource): void {
    const label = zone ?? NO_ZONE_LABEL;
    this.decisions.labels(label, source).inc();
    const key = `${label}\u0000${source}`;
    const counted = this.decisionCounts.get(key);
    if (counted === undefined) this.decisionCounts.set(key, { zone, source, count: 1 });
    else counted.count++;
  }

  /**
   * Counts bytes sent to (`to_broker`) or received from (`from_broker`) a backend broker in
   * `brokerZone` on behalf of a client in `clientZone` (null: unknown).
   */
  brokerBytes(clientZone: string | null, brokerZone: string, direction: ZoneDirection, bytes: number): void {
    const cell = this.cell(clientZone, brokerZone);
    if (direction === 'to_broker') {
      cell.toBrokerBytes += bytes;
      if (cell.cross) this.crossBytes.toBroker += bytes;
    } else {
      cell.fromBrokerBytes += bytes;
      if (cell.cross) this.crossBytes.fromBroker += bytes;
    }
  }

  snapshot(): ZoneTrafficSnapshot {
    const pairs: ZonePairBytes[] = [];
    for (const [clientLabel, byBroker] of this.pairs) {
      for (const [brokerZone, c] of byBroker) {
        pairs.push({
          clientZone: clientLabel === NO_ZONE_LABEL ? null : clientLabel,
          brokerZone,
          crossZone: c.cross,
          toBrokerBytes: c.toBrokerBytes,
          fromBrokerBytes: c.fromBrokerBytes,
        });
      }
    }
    pairs.sort((a, b) => compareZones(a.clientZone, b.clientZone) || a.brokerZone.localeCompare(b.brokerZone));
    const decisions = [...this.decisionCounts.values()]
      .map((d) => ({ ...d }))
      .sort((a, b) => compareZones(a.zone, b.zone) || a.source.localeCompare(b.source));
    const byZones = <T extends { clientZone: string | null }>(a: T, b: T): number => compareZones(a.clientZone, b.clientZone);
    return {
      pairs,
      crossZone: { toBrokerBytes: this.crossBytes.toBroker, fromBrokerBytes: this.crossBytes.fromBroker },
      decisions,
      fallbacks: [...this.fallbackCounts.values()].map((c) => ({ ...c })).sort((a, b) => byZones(a, b) || a.servedZone.localeCompare(b.servedZone)),
      fetches: [...this.fetchCounts.values()]
        .map((c) => ({ ...c }))
        .sort((a, b) => byZones(a, b) || compareZones(a.brokerZone, b.brokerZone) || a.replica.localeCompare(b.replica)),
      followerRetries: Object.fromEntries([...this.retryCounts].sort(([a], [b]) => a.localeCompare(b))),
      remoteLeaders: this.remoteLeaders(),
    };
  }

  private remoteLeaders(): RemoteLeaderPartition[] {
    try {
      return this.remoteLeaderSource();
    } catch {
      // A report is not worth failing a scrape or an admin answer for.
      return [];
    }
  }

  private registerRoutingMetrics(registers: Registry[]): void {
    const fallbacks = this.fallbackCounts;
    new Counter({
      name: 'turnout_zone_fallbacks_total',
      help: 'Client connections shown the Turnout nodes of another zone because their own has none, by client zone and the zone served',
      labelNames: ['client_zone', 'served_zone'],
      registers,
      collect() {
        this.reset();
        for (const c of fallbacks.values()) this.labels(c.clientZone, c.servedZone).inc(c.connections);
      },
    });
    const fetches = this.fetchCounts;
    const fetchCounter = (name: string, help: string, value: (c: ZoneFetchCount) => number): void => {
      new Counter({
        name,
        help,
        labelNames: ['client_zone', 'broker_zone', 'replica'],
        registers,
        collect() {
          this.reset();
          for (const c of fetches.values()) this.labels(c.clientZone ?? NO_ZONE_LABEL, c.brokerZone ?? NO_ZONE_LABEL, c.replica).inc(value(c));
        },
      });
    };
    fetchCounter('turnout_zone_fetch_partitions_total', 'Partitions fetched for clients, by client zone, the serving broker\'s zone and replica (leader, follower)', (c) => c.partitions);
    fetchCounter('turnout_zone_fetch_bytes_total', 'Record bytes fetched for clients, by client zone, the serving broker\'s zone and replica (leader, follower)', (c) => c.recordBytes);
    const retries = this.retryCounts;
    new Counter({
      name: 'turnout_follower_fetch_retries_total',
      help: 'Partitions a follower answered with an error (or could not be reached for) that were fetched again at the leader, by reason',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, n] of retries) this.labels(reason).inc(n);
      },
    });
    this.peers = new Gauge({
      name: 'turnout_peer_up',
      help: 'Whether a peer Turnout instance (zoneRouting.peers) answers its probes: 1 up, 0 down (its zone\'s clients are shown another zone)',
      labelNames: ['peer', 'zone'],
      registers,
    });
    const remote = (): RemoteLeaderPartition[] => this.remoteLeaders();
    new Gauge({
      name: 'turnout_remote_leader_partitions',
      help: 'Partitions of domains with locality.leaders producer-zone whose leader is outside every zone they are produced from, by domain',
      labelNames: ['domain'],
      registers,
      collect() {
        this.reset();
        const byDomain = new Map<string, number>();
        for (const p of remote()) byDomain.set(p.domain, (byDomain.get(p.domain) ?? 0) + 1);
        for (const [domain, n] of byDomain) this.labels(domain).set(n);
      },
    });
  }

  private cell(clientZone: string | null, brokerZone: string): PairCell {
    const clientLabel = clientZone ?? NO_ZONE_LABEL;
    let byBroker = this.pairs.get(clientLabel);
    if (byBroker === undefined) this.pairs.set(clientLabel, (byBroker = new Map()));
    let cell = byBroker.get(brokerZone);
    if (cell === undefined) {
      cell = {
        clientLabel,
        brokerZone,
        cross: clientZone !== null && clientZone !== brokerZone,
        toBrokerBytes: 0,
        fromBrokerBytes: 0,
      };
      byBroker.set(brokerZone, cell);
    }
    return cell;
  }
}

/** Zones by name, clients without a zone last. */
function compareZones(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a.localeCompare(b);
}
