// The zone decisions of the multi-backend router in one place: which Turnout nodes a session
// is shown (and the fallbacks that counts), which replica serves a partition's fetch, the
// refreshes of replica state that choice needs, and the producer zones behind the
// remote-leader report of producer-zone domains.
import type { ClientSession } from '../../net/request-router.js';
import type { FetchReplica, FollowerRetryReason, RemoteLeaderPartition, ZoneMetrics } from '../../observability/zone-metrics.js';
import type { PolicySnapshot } from '../../policy/policy-snapshot.js';
import { ZoneNodes, type ServedNodes } from '../zone-nodes.js';
import type { PartitionLeaders, PartitionReplicas } from './partition-leaders.js';
import { ReadReplicas, type ReplicaChoice } from './read-replicas.js';
import type { ReplicaRefresh } from './replica-refresh.js';

/** Consumer fetches are answered by followers from this Fetch version (rack_id, KIP-392). */
export const FOLLOWER_FETCH_MIN_VERSION = 11;
const DEFAULT_REPLICA_MAX_AGE_MS = 30_000;

export interface ZoneRoutingOptions {
  nodes: ZoneNodes;
  /** The zone of a backend broker (its rack through the backend's rackZones), or null. */
  brokerZone(backend: string, brokerId: number): string | null;
  /** True while the backend lists the broker. */
  isLive(backend: string, brokerId: number): boolean;
  /** Fetch from an in-sync replica in the client's zone. (default: true) */
  followerFetching?: boolean;
  /** Replica state of partitions fetched from followers is refreshed when older than this. */
  replicaMaxAgeMs?: number;
  metrics?: ZoneMetrics;
}

export class ZoneRouting {
  readonly nodes: ZoneNodes;
  readonly replicas: ReadReplicas;
  private readonly opts: ZoneRoutingOptions;
  private readonly followerFetching: boolean;
  private readonly replicaMaxAgeMs: number;
  /** The fallback pair each session was last counted for, so a connection counts once. */
  private readonly countedFallback = new WeakMap<ClientSession, string>();
  /** backend → topic → zones produced from. */
  private readonly producerZones = new Map<string, Map<string, Set<string>>>();
  refresh: ReplicaRefresh | null = null;

  constructor(opts: ZoneRoutingOptions) {
    this.opts = { ...opts, brokerZone: rememberedZones(opts.brokerZone) };
    this.nodes = opts.nodes;
    this.followerFetching = opts.followerFetching ?? true;
    this.replicaMaxAgeMs = opts.replicaMaxAgeMs ?? DEFAULT_REPLICA_MAX_AGE_MS;
    this.replicas = new ReadReplicas({ brokerZone: this.opts.brokerZone, isLive: opts.isLive });
  }

  /** Routing without zones: every client sees its listener's nodes and fetches from leaders. */
  static zoneless(nodes: ZoneNodes): ZoneRouting {
    return new ZoneRouting({ nodes, brokerZone: () => null, isLive: () => true, followerFetching: false });
  }

  brokerZone(backend: string, brokerId: number): string | null {
    return this.opts.brokerZone(backend, brokerId);
  }

  /** The nodes shown to a session; a session shown another zone's nodes is counted once. */
  served(session: ClientSession): ServedNodes {
    const clientZone = session.zone ?? null;
    const served = this.nodes.servedTo(session.listenerName, clientZone);
    if (served.fallback && clientZone !== null && served.zone !== null) {
      const pair = `${clientZone}\u0000${served.zone}`;
      if (this.countedFallback.get(session) !== pair) {
        this.countedFallback.set(session, pair);
        this.opts.metrics?.fallback(clientZone, served.zone);
      }
    }
    return served;
  }

  /**
   * The replica to fetch a partition from for a session: a follower in its zone when the
   * client's Fetch version lets followers answer, else the leader. Asks for a refresh of the
   * partition's state when it is old or a follower of it is set aside.
   */
  readReplica(session: ClientSession, leaders: PartitionLeaders, backend: string, topic: string, partition: number, fetchVersion: number): ReplicaChoice {
    const state = leaders.replicasOf(backend, topic, partition);
    const clientZone = session.zone ?? null;
    if (!this.followerFetching || clientZone === null || fetchVersion < FOLLOWER_FETCH_MIN_VERSION) return { brokerId: state.leaderId, follower: false };
    // Whenever a follower could serve the client, keep the ISR fresh: that is how a follower
    // that left it stops being used, and one that is back gets used again.
    if (this.brokerZone(backend, state.leaderId) !== clientZone && Date.now() - state.learnedAtMs > this.staleAfterMs(backend, topic, partition)) {
      this.refresh?.request(backend, topic);
    }
    return this.replicas.choose(backend, topic, partition, clientZone, state);
  }

  /**
   * The replica whose Turnout node a session is shown as a partition's leader: the one that
   * serves the session's fetches while nothing is wrong (ReadReplicas.steadyReplica), not the
   * one `readReplica` picks right now. A follower set aside, out of sync or stopped then leaves
   * the partition on its node (that node's Fetch goes to the leader meanwhile), so no client is
   * told NOT_LEADER_OR_FOLLOWER for it: kafkajs rejoins its group on that error. Clients that
   * fetch below FOLLOWER_FETCH_MIN_VERSION are shown it too, and their fetches go to the
   * leader from there. It stands while the leader is not known (being elected, or forgotten
   * after NOT_LEADER_OR_FOLLOWER): a node that changed for that window would send the client
   * NOT_LEADER_OR_FOLLOWER twice. Pure: asks for no refresh. -1 when neither is known.
   */
  servingReplica(session: ClientSession, backend: string, state: PartitionReplicas): number {
    const clientZone = session.zone ?? null;
    if (!this.followerFetching || clientZone === null) return state.leaderId;
    return this.replicas.steadyReplica(backend, clientZone, state);
  }

  /**
   * A follower answered a partition with `reason` (or was unreachable): set it aside, learn
   * again. A follower that is only behind stays in use when the leader's answer replaces its
   * own within the request (`passedOn` false); when the client was given an error instead
   * (`passedOn`, a forwarded Fetch), the partition is read from the leader for a while.
   */
  followerFailed(backend: string, topic: string, partition: number, brokerId: number, reason: FollowerRetryReason, passedOn = false): void {
    this.opts.metrics?.followerRetry(reason);
    if (!passedOn && (reason === 'offset_out_of_range' || reason === 'offset_not_available')) return;
    this.replicas.setAsideFollower(backend, topic, partition, brokerId);
    this.refresh?.request(backend, topic);
  }

  fetched(session: ClientSession, backend: string, brokerId: number, replica: FetchReplica, partitions: number, recordBytes: number): void {
    this.opts.metrics?.fetched(session.zone ?? null, this.brokerZone(backend, brokerId), replica, partitions, recordBytes);
  }

  /** Notes the zone a topic is produced from (for the remote-leader report). */
  produced(session: ClientSession, backend: string, topic: string): void {
    const zone = session.zone;
    if (zone === null || zone === undefined) return;
    let topics = this.producerZones.get(backend);
    if (topics === undefined) this.producerZones.set(backend, (topics = new Map()));
    let zones = topics.get(topic);
    if (zones === undefined) topics.set(topic, (zones = new Set()));
    zones.add(zone);
  }

  /**
   * Partitions of domains with locality.leaders producer-zone whose real leader is in none of
   * the zones the topic is produced from. Reporting only: Turnout moves no leader.
   */
  remoteLeaders(policy: PolicySnapshot, leaders: PartitionLeaders): RemoteLeaderPartition[] {
    const wanted = new Set(policy.document.domains.filter((d) => d.locality?.leaders === 'producer-zone').map((d) => d.name));
    if (wanted.size === 0) return [];
    const out: RemoteLeaderPartition[] = [];
    for (const [backend, topics] of this.producerZones) {
      for (const [topic, zones] of topics) {
        const res = policy.resolve('topic', topic);
        if (!res.ok || !wanted.has(res.domain.name) || res.domain.backend !== backend) continue;
        for (let partition = 0; ; partition++) {
          const state = leaders.replicasOf(backend, topic, partition);
          if (state.learnedAtMs === 0) break;
          if (state.leaderId < 0) continue;
          const leaderZone = this.brokerZone(backend, state.leaderId);
          if (leaderZone !== null && zones.has(leaderZone)) continue;
          out.push({ domain: res.domain.name, topic, partition, leaderZone, producerZones: [...zones].sort() });
        }
      }
    }
    return out;
  }

  /** A partition with a follower set aside is refreshed at once; others at the configured age. */
  private staleAfterMs(backend: string, topic: string, partition: number): number {
    return this.replicas.hasSetAside(backend, topic, partition) ? 0 : this.replicaMaxAgeMs;
  }
}

/**
 * A broker's zone, remembered while its backend no longer lists it (stopped): the in-zone
 * replica a partition is placed by must stay the same while it is down (servingReplica), and
 * whether it may serve is for liveness to say, not for its zone.
 */
function rememberedZones(zoneOf: (backend: string, brokerId: number) => string | null): (backend: string, brokerId: number) => string | null {
  const known = new Map<string, Map<number, string>>();
  return (backend, brokerId) => {
    const zone = zoneOf(backend, brokerId);
    let zones = known.get(backend);
    if (zone === null) return zones?.get(brokerId) ?? null;
    if (zones === undefined) known.set(backend, (zones = new Map()));
    if (zones.get(brokerId) !== zone) zones.set(brokerId, zone);
    return zone;
  };
}
