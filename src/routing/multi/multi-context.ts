// What every multi-backend handler works with: the backends' topologies, the policy in effect,
// Turnout's own nodes per listener, the virtual<->real maps, and the small lookups built on
// them (the backend of a topic or key, a backend broker's address, the virtual leader of a
// partition). Handlers are functions of this context, a session and a request.
import { ProduceSequenceGate } from '../produce-sequence-gate.js';
import type { Registry } from 'prom-client';
import type { MetadataResponseBroker } from '../../codec/generated/metadata.js';
import type { BrokerAddress, ClientSession, RequestExchange } from '../../net/request-router.js';
import type { Logger } from '../../observability/logger.js';
import type { DomainPolicy, PolicySnapshot } from '../../policy/policy-snapshot.js';
import { apiName } from '../api-names.js';
import type { BackendTopology } from '../backend-topology.js';
import { UNKNOWN_TOPIC_OR_PARTITION } from '../error-codes.js';
import { buildFailureResponse } from '../failure-responses.js';
import { LeaderEpochMap } from '../leader-epoch-map.js';
import { LeaderPlacement } from '../leader-placement.js';
import { producerBindingKey, segmentEpochToVirtual, type OffsetSegmentMap } from '../offset-segments.js';
import type { ProducerBindingStore } from '../producer-binding-store.js';
import type { ProducerIdMap } from '../producer-id-map.js';
import { DestinationFailure, type RouteError } from '../split-route.js';
import { TopicIdMap } from '../topic-id-map.js';
import { TransactionPartitions } from '../transaction-partitions.js';
import { TransactionalGroups } from '../transactional-groups.js';
import type { ListenerView } from '../virtual-cluster-router.js';
import { KEY_TYPE_TRANSACTION } from './multi-codes.js';
import { LastKnownTopics } from './last-known-topics.js';
import { MultiBackendMetrics } from './multi-metrics.js';
import { RecentlyCreatedTopics } from './recently-created-topics.js';
import { PartitionLeaders } from './partition-leaders.js';
import { ZoneRouting } from './zone-routing.js';
import { coordinatorAmong, leaderAmong, ZoneNodes, type ServedNodes } from '../zone-nodes.js';

export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface MultiBackendRouterOptions {
  clusterId: string;
  /** One topology per backend, in configuration order (topics are listed in this order). */
  topologies: readonly BackendTopology[];
  /** The policy in effect, read per decision. */
  policy: () => PolicySnapshot;
  listeners: readonly ListenerView[];
  /** Turnout's nodes without zone routing: ids 0..nodeCount-1 on every listener. */
  nodeCount: number;
  /** Zone-aware nodes and replica choice; without it every client sees nodes 0..nodeCount-1 of its listener and fetches from leaders. */
  zoneRouting?: ZoneRouting;
  log: Logger;
  /** Where the router's own metrics are registered (the proxy's registry); none are kept without it. */
  metrics?: { readonly registry: Registry };
  /** Where virtual producers' real ids outlive this instance; in memory only without it. */
  producerBindings?: ProducerBindingStore;
}

export interface MultiContextOptions extends MultiBackendRouterOptions {
  topicIds: TopicIdMap;
  epochs: LeaderEpochMap;
  segments: OffsetSegmentMap;
}

export class MultiContext {
  readonly clusterId: string;
  readonly topologies: ReadonlyMap<string, BackendTopology>;
  readonly policy: () => PolicySnapshot;
  readonly zones: ZoneRouting;
  readonly log: Logger;
  readonly topicIds: TopicIdMap;
  readonly epochs: LeaderEpochMap;
  /** Cutover offset segments: the partitions whose virtual offsets are translated. */
  readonly segments: OffsetSegmentMap;
  readonly leaders = new PartitionLeaders();
  /** Which Turnout node stands for each real broker. */
  readonly placement: LeaderPlacement;
  readonly metrics: MultiBackendMetrics;
  /** The topics each backend last listed, shown with a retriable error while it does not answer. */
  readonly lastKnownTopics = new LastKnownTopics();
  /** Topics created through Turnout a moment ago: LEADER_NOT_AVAILABLE, not unknown, while brokers learn them. */
  readonly createdTopics = new RecentlyCreatedTopics();
  /** `backend/keyType/key` → real coordinator broker id. */
  readonly coordinators = new Map<string, number>();
  /** Set by the router right after construction (the map obtains real ids through the context). */
  producerIds!: ProducerIdMap;
  /** The partitions of open transactions, by the key they were added under (carried over a cutover). */
  /** Produce batches refused here, which a producer's later batches for the partition wait behind. */
  readonly sequenceGate = new ProduceSequenceGate();
  readonly transactionPartitions = new TransactionPartitions();
  /** The groups each domain's transactional producers commit offsets for (moved with them by a cutover). */
  readonly transactionalGroups = new TransactionalGroups();
  /** Turnout's own requests (InitProducerId for real producer ids) go over this session's upstreams. */
  ownSession: ClientSession | null = null;
  /** `backend/topic` → a Metadata request under way for the topic's leaders there (segment-leaders.ts). */
  readonly leaderLookups = new Map<string, Promise<void>>();
  private readonly listeners: ReadonlyMap<string, ListenerView>;
  constructor(opts: MultiContextOptions) {
    this.clusterId = opts.clusterId;
    this.topologies = new Map(opts.topologies.map((t) => [t.backend, t]));
    this.placement = new LeaderPlacement(opts.topologies);
    this.policy = opts.policy;
    this.listeners = new Map(opts.listeners.map((l) => [l.name, l]));
    this.zones = opts.zoneRouting ?? ZoneRouting.zoneless(ZoneNodes.zoneless(opts.listeners, opts.nodeCount));
    this.log = opts.log;
    this.topicIds = opts.topicIds;
    this.epochs = opts.epochs;
    this.segments = opts.segments;
    this.metrics = new MultiBackendMetrics(opts.metrics?.registry);
  }

  /** The backend of a topic's domain, or the error the topic is refused with. */
  backendOfTopic(name: string, policy: PolicySnapshot): string | RouteError {
    const res = policy.resolve('topic', name);
    if (!res.ok) return { errorCode: res.errorCode, errorMessage: res.reason };
    if (!this.topologies.has(res.domain.backend)) return { errorCode: UNKNOWN_TOPIC_OR_PARTITION };
    return res.domain.backend;
  }

  /** The domain of a topic, or the error the topic is refused with (as backendOfTopic). */
  domainOfTopic(name: string, policy: PolicySnapshot): DomainPolicy | RouteError {
    const res = policy.resolve('topic', name);
    if (!res.ok) return { errorCode: res.errorCode, errorMessage: res.reason };
    if (!this.topologies.has(res.domain.backend)) return { errorCode: UNKNOWN_TOPIC_OR_PARTITION };
    return res.domain;
  }

  /**
   * The backend of a group's or transactional id's domain, or undefined when none claims it.
   * A group is coordinated where its domain's groups stayed behind a cutover (groupBackendOf).
   */
  backendOfKey(keyType: number, key: string): string | undefined {
    const res = this.policy().resolve(keyType === KEY_TYPE_TRANSACTION ? 'transactionalId' : 'group', key);
    if (!res.ok) return undefined;
    const backend = keyType === KEY_TYPE_TRANSACTION ? res.domain.backend : this.groupBackendOf(res.domain, key);
    return this.topologies.has(backend) ? backend : undefined;
  }

  /**
   * Where a consumer group of a domain is coordinated: the backend the domain's groups stayed on
   * behind a cutover (their committed offsets are virtual, so they need not move), else the
   * domain's; a group that moved with the domain's transactional ids is on the domain's.
   */
  groupBackendOf(domain: DomainPolicy, groupId: string): string {
    return this.segments.groupsBackendOf(domain.name, groupId) ?? domain.backend;
  }

  /**
   * The key a virtual producer's real id is bound under for writes to `backend` on behalf of
   * a domain: a new key in each of the domain's cutover eras, so that a producer gets a fresh
   * real id wherever a cutover takes it (offset-segments.ts).
   */
  producerKeyOf(backend: string, domain: DomainPolicy): string {
    return producerBindingKey(backend, this.segments.eraOf(domain.name));
  }

  /**
   * Notes a group a transactional producer commits offsets for, under the producer's domain, when
   * the group belongs to the same domain (a cutover can move only its own domain's groups).
   */
  noteTransactionalGroup(transactionalId: string, groupId: string): void {
    const policy = this.policy();
    const txn = policy.resolve('transactionalId', transactionalId);
    if (!txn.ok) return;
    const group = policy.resolve('group', groupId);
    if (group.ok && group.domain.name === txn.domain.name) this.transactionalGroups.seen(txn.domain.name, groupId);
  }

  /** The producer binding key of a transactional id's domain now, or undefined when none claims it. */
  transactionalKeyOf(transactionalId: string): string | undefined {
    const res = this.policy().resolve('transactionalId', transactionalId);
    if (!res.ok || !this.topologies.has(res.domain.backend)) return undefined;
    return this.producerKeyOf(res.domain.backend, res.domain);
  }

  /**
   * A broker of the backend for a request any broker answers: one in `zone` when there is
   * one (its answer then crosses no zone), else any (round robin).
   */
  anyBrokerOf(backend: string, zone: string | null = null): BrokerAddress {
    const t = this.topologies.get(backend);
    if (t === undefined) return this.addressOf(backend, -1);
    if (zone !== null) {
      for (const id of t.brokers().keys()) if (this.zones.brokerZone(backend, id) === zone) return this.addressOf(backend, id);
    }
    return this.addressOf(backend, t.anyBrokerId());
  }

  addressOf(backend: string, brokerId: number): BrokerAddress {
    const b = this.topologies.get(backend)?.broker(brokerId);
    if (b === undefined) throw new DestinationFailure(`broker ${brokerId} of backend ${backend} is not known`);
    return { backend, brokerId, host: b.host, port: b.port };
  }

  /** Sends a request to a backend broker and returns the response frame. */
  async send(session: ClientSession, address: BrokerAddress, frame: Buffer): Promise<Buffer> {
    const res = await session.sendUpstream(address, frame, true);
    if (res === null) throw new Error(`no response from broker ${address.brokerId} of backend ${address.backend}`);
    return res;
  }

  /** The Turnout nodes shown to a session: its zone's, or its listener's without zones. */
  served(session: ClientSession): ServedNodes {
    return this.zones.served(session);
  }

  /**
   * The Turnout node presented to a session as the leader of a partition: the node of the real
   * broker that serves the session's fetches of it (leader-placement.ts), so that a Fetch to
   * one node has one real destination. That broker is the session's in-zone replica when
   * followers serve the session (placed by the assignment, so that a stopped or lagging
   * follower moves nothing; zone-routing.ts), else the leader. With zones each zone's
   * listener has nodes of its own, so a broker that stops moves placement in its own zone
   * only. A partition with offset segments is placed by its last segment's backend, the one
   * its new records go to: a switch moves its leader like a real leader change (a Fetch still
   * sent to the old node is served there, fetch.ts). `realLeader` is a leader a broker just
   * named for `backend` (CurrentLeader), newer than what Turnout has learned. A partition with
   * neither known is placed by topic and partition.
   */
  virtualLeaderOf(session: ClientSession, served: ServedNodes, backend: string, topic: string, partition: number, realLeader = -1): number {
    const nodeIds = served.group.nodeIds;
    const chain = this.segments.chainOf(topic, partition);
    if (chain !== undefined && chain.last.backend !== backend) {
      backend = chain.last.backend;
      realLeader = -1;
    }
    let state = this.leaders.replicasOf(backend, topic, partition);
    // A last segment's backend may be one no client's Metadata asks yet (the switch just made).
    if (state.leaderId < 0 && chain !== undefined) this.zones.refresh?.request(backend, topic);
    if (realLeader >= 0 && realLeader !== state.leaderId) state = { ...state, leaderId: realLeader, leaderEpoch: -1 };
    const broker = this.zones.servingReplica(session, backend, state);
    return broker < 0 ? leaderAmong(nodeIds, topic, partition) : this.placement.nodeOf(nodeIds, backend, broker);
  }

  /**
   * The leader epoch a Metadata answer would show now for a partition served from `backend`
   * (by its last segment's backend when it has offset segments), -1 when not known.
   */
  shownLeaderEpochOf(backend: string, topic: string, partition: number): number {
    const chain = this.segments.chainOf(topic, partition);
    if (chain !== undefined) return segmentEpochToVirtual(chain.last, this.leaders.replicasOf(chain.last.backend, topic, partition).leaderEpoch ?? -1);
    return this.epochs.toVirtual(topic, partition, backend, this.leaders.replicasOf(backend, topic, partition).leaderEpoch ?? -1);
  }

  /** The Turnout node presented to a session as the coordinator of a group or transactional id. */
  coordinatorNodeOf(session: ClientSession, key: string): number {
    return coordinatorAmong(this.served(session).group.nodeIds, key);
  }

  listenerOf(session: ClientSession): ListenerView {
    return this.listeners.get(session.listenerName) as ListenerView;
  }

  /** The session's Turnout nodes that have a bound port (rack: their zone). */
  brokersFor(session: ClientSession, served = this.served(session)): MetadataResponseBroker[] {
    return this.endpointsOf(served, served.group.nodeIds);
  }

  /** The endpoints of some of the served nodes (Produce and Fetch NodeEndpoints), by id. */
  endpointsOf(served: ServedNodes, ids: Iterable<number>): NodeEndpoint[] {
    const out: NodeEndpoint[] = [];
    for (const id of [...ids].sort((a, b) => a - b)) {
      const e = served.group.endpoint(id);
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  /** The api's generic retriable failure answer; throws for an api that has none (the connection closes). */
  failureFrame(ex: RequestExchange): Buffer {
    const frame = buildFailureResponse(ex);
    if (frame === null) throw new Error(`no failure response for ${apiName(ex.apiKey)}`);
    return frame;
  }
}
