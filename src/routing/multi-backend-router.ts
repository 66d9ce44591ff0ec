// The router for several backend clusters presented as one virtual cluster (used when the
// configuration has more than one backend).
//
// Turnout's own nodes are the only brokers a client sees (those of its zone, zone-nodes.ts;
// without zones, 0..nodeCount-1 on every listener);
// each presents itself as the leader of the partitions placed on it (those of the real
// brokers it stands for: the broker that serves the client's fetches of a partition, its
// in-zone replica with follower fetching, else its leader; leader-placement.ts) and forwards
// their traffic to the real leader on the backend of the topic's domain. A node asked to
// Fetch a partition it does not lead (the leader moved since the client's Metadata) answers
// NOT_LEADER_OR_FOLLOWER naming the node that does. Requests are answered through `exchange.deferred` from requests this router
// sends over the client's own upstream connections:
//   ApiVersions      answered by the request pipeline from this router's offer: what the codec
//                    and every broker of every backend support, limited to the apis below
//   Metadata         asked of every backend at v12 (real topic ids and epochs), merged
//   Produce, Fetch   split per destination (backend + real leader), merged in the client's order;
//                    a Fetch one leader serves whole is forwarded instead and its answer
//                    streamed back rewritten in place (multi/fetch-forward.ts); a partition
//                    of a cut-over topic is fetched from the offset segment holding the
//                    client's offset and its offsets shifted (multi/fetch-segments.ts)
//   ListOffsets, OffsetForLeaderEpoch
//                    split per destination, merged
//   CreateTopics, DeleteTopics, DescribeConfigs (topics)
//                    split per backend of each topic's domain, merged
//   FindCoordinator  answered here with a Turnout node; the group apis then go to the real
//                    coordinator on the group's domain backend (found with FindCoordinator,
//                    cached, forgotten on NOT_COORDINATOR)
//   InitProducerId   answered here for idempotent producers (virtual producer ids); with a
//                    transactional id sent to its coordinator on the id's domain backend
//   AddPartitionsToTxn, AddOffsetsToTxn, EndTxn
//                    to the transaction coordinator, producer ids to real; a transaction
//                    whose partitions or group live on another backend is refused
//                    (INVALID_TXN_STATE), never split
//   TxnOffsetCommit  to the group coordinator, producer ids to real
//   DescribeGroups   split per real coordinator, merged
//   DeleteGroups     split per real coordinator, merged; OffsetDelete to the group's coordinator
//   ListGroups       asked of every broker of every backend; a Turnout node lists the groups
//                    it is the coordinator of (all of them from the bootstrap port)
//   DescribeCluster  answered here with Turnout's nodes
//   DeleteRecords, DescribeProducers
//                    split per partition leader, merged (producer ids shown virtual where known)
//   CreatePartitions, AlterConfigs, IncrementalAlterConfigs
//                    per backend of each topic's domain; manual replica assignments and
//                    broker / broker-logger config resources refused (INVALID_REPLICA_ASSIGNMENT,
//                    INVALID_REQUEST with a message): Turnout's nodes are no backend brokers
//   DescribeTopicPartitions
//                    every backend asked for its domains' topics from the cursor, one merged page
//   ListTransactions, DescribeTransactions
//                    every broker asked / split per real transaction coordinator
//   ConsumerGroupHeartbeat, ConsumerGroupDescribe
//                    to the group's real coordinator (KIP-848), topic ids translated; a
//                    subscription reaching another backend refused with INVALID_REQUEST
//   Metadata with a backend not answering: its known topics LEADER_NOT_AVAILABLE, never left out
// Topic ids, leader epochs and producer ids are translated between virtual and real per backend.
// Each concern lives in its own module under ./multi/; this class owns the state they share
// and dispatches each request to its handler.
import { ApiKey, DecodeError, EncodeError, ZERO_UUID, decodeHeartbeatRequest, decodeLeaveGroupRequest, decodeOffsetCommitRequest, decodeSyncGroupRequest, type MetadataResponse } from '../codec/index.js';
import { TURNOUT_CLIENT_ID } from './multi/multi-codes.js';
import { RequestRejectedError, type BrokerAddress, type ClientSession, type RequestExchange, type RequestRouter, type ResponseBytesSink, type ResponseStream } from '../net/request-router.js';
import type { UpstreamError } from '../net/upstream-connection.js';
import type { RemoteLeaderPartition } from '../observability/zone-metrics.js';
import { apiName } from './api-names.js';
import { ApiVersionsTable, type BrokerApiVersions } from './api-versions.js';
import { buildFailureResponse } from './failure-responses.js';
import { LeaderEpochMap } from './leader-epoch-map.js';
import { backendOfBindingKey, OffsetSegmentMap } from './offset-segments.js';
import type { TopicPartition } from './transaction-partitions.js';
import type { TransactionalGroups } from './transactional-groups.js';
import { decodeRequestFrame, type BodyDecoder } from '../codec/message-frames.js';
import { ProducerIdMap } from './producer-id-map.js';
import { TopicIdMap } from './topic-id-map.js';
import { findCoordinator, toGroupCoordinator } from './multi/coordinators.js';
import { describeCluster } from './multi/describe-cluster.js';
import { ForwardedFetch, forwardedFetchAnswer, forwardedFetchFailure, forwardedFetchStream, routeFetch } from './multi/fetch-forward.js';
import { bindOtherBackendTopicIds } from './multi/fetch-segments.js';
import { deleteGroups, offsetDelete } from './multi/group-admin.js';
import { describeGroups, joinGroup, listGroups, offsetFetch } from './multi/groups.js';
import { listOffsets, offsetForLeaderEpoch } from './multi/leader-requests.js';
import { askBackendMetadata, metadata } from './multi/metadata.js';
import { ReplicaRefresh } from './multi/replica-refresh.js';
import { MultiContext, type MultiBackendRouterOptions } from './multi/multi-context.js';
import { offeredVersionsOf } from './multi/offered-apis.js';
import { produce } from './multi/produce.js';
import { createPartitions, createTopics, deleteTopics } from './multi/topic-requests.js';
import { alterConfigs, describeConfigs, incrementalAlterConfigs } from './multi/config-requests.js';
import { consumerGroupDescribe, consumerGroupHeartbeat } from './multi/consumer-groups.js';
import { describeTopicPartitions } from './multi/describe-topic-partitions.js';
import { deleteRecords, describeProducers } from './multi/leader-admin-requests.js';
import { describeTransactions, listTransactions } from './multi/transaction-listing.js';
import { addOffsetsToTxn, addPartitionsToTxn, endTxn, initProducerId, initTransactionalId, obtainProducerId, txnOffsetCommit } from './multi/transactions.js';

export type { MultiBackendRouterOptions } from './multi/multi-context.js';

/** The body of a request frame (decoded synchronously: a malformed frame throws DecodeError here). */
function decodeFrameBody<T>(ex: RequestExchange, decode: BodyDecoder<T>): T {
  return decodeRequestFrame(ex.frame, decode).body;
}

type Handler = (ctx: MultiContext, session: ClientSession, ex: RequestExchange) => Promise<Buffer | null> | Buffer;

/** The handler of each offered api (ApiVersions is answered before dispatch). */
const HANDLERS: ReadonlyMap<number, Handler> = new Map<number, Handler>([
  [ApiKey.Metadata, metadata],
  [ApiKey.Produce, produce],
  [ApiKey.ListOffsets, listOffsets],
  [ApiKey.OffsetForLeaderEpoch, offsetForLeaderEpoch],
  [ApiKey.CreateTopics, createTopics],
  [ApiKey.DeleteTopics, deleteTopics],
  [ApiKey.DescribeConfigs, describeConfigs],
  [ApiKey.FindCoordinator, findCoordinator],
  [ApiKey.InitProducerId, initProducerId],
  [ApiKey.AddPartitionsToTxn, addPartitionsToTxn],
  [ApiKey.AddOffsetsToTxn, addOffsetsToTxn],
  [ApiKey.EndTxn, endTxn],
  [ApiKey.TxnOffsetCommit, txnOffsetCommit],
  [ApiKey.DescribeCluster, describeCluster],
  [ApiKey.JoinGroup, joinGroup],
  [ApiKey.SyncGroup, (ctx, session, ex) => toGroupCoordinator(ctx, session, ex, decodeFrameBody(ex, decodeSyncGroupRequest).groupId)],
  [ApiKey.Heartbeat, (ctx, session, ex) => toGroupCoordinator(ctx, session, ex, decodeFrameBody(ex, decodeHeartbeatRequest).groupId)],
  [ApiKey.LeaveGroup, (ctx, session, ex) => toGroupCoordinator(ctx, session, ex, decodeFrameBody(ex, decodeLeaveGroupRequest).groupId)],
  [ApiKey.OffsetCommit, (ctx, session, ex) => toGroupCoordinator(ctx, session, ex, decodeFrameBody(ex, decodeOffsetCommitRequest).groupId)],
  [ApiKey.DescribeGroups, describeGroups],
  [ApiKey.ListGroups, listGroups],
  [ApiKey.OffsetFetch, offsetFetch],
  [ApiKey.DeleteGroups, deleteGroups],
  [ApiKey.OffsetDelete, offsetDelete],
  [ApiKey.DeleteRecords, deleteRecords],
  [ApiKey.DescribeProducers, describeProducers],
  [ApiKey.CreatePartitions, createPartitions],
  [ApiKey.AlterConfigs, alterConfigs],
  [ApiKey.IncrementalAlterConfigs, incrementalAlterConfigs],
  [ApiKey.DescribeTopicPartitions, describeTopicPartitions],
  [ApiKey.ListTransactions, listTransactions],
  [ApiKey.DescribeTransactions, describeTransactions],
  [ApiKey.ConsumerGroupHeartbeat, consumerGroupHeartbeat],
  [ApiKey.ConsumerGroupDescribe, consumerGroupDescribe],
]);

export class MultiBackendRouter implements RequestRouter {
  readonly topicIds = new TopicIdMap();
  readonly epochs = new LeaderEpochMap();
  /** Cutover offset segments, set by the cutover state (src/policy/cutover-*). */
  readonly segments = new OffsetSegmentMap();
  readonly producerIds: ProducerIdMap;
  private readonly ctx: MultiContext;
  private readonly apiVersions = new ApiVersionsTable();

  constructor(opts: MultiBackendRouterOptions) {
    this.ctx = new MultiContext({
      clusterId: opts.clusterId,
      topologies: opts.topologies,
      policy: opts.policy,
      listeners: opts.listeners,
      nodeCount: opts.nodeCount,
      zoneRouting: opts.zoneRouting,
      log: opts.log.child({ component: 'multi-backend-router' }),
      metrics: opts.metrics,
      topicIds: this.topicIds,
      epochs: this.epochs,
      segments: this.segments,
    });
    this.producerIds = new ProducerIdMap({
      obtain: (backend) => obtainProducerId(this.ctx, backend),
      initTransactional: (transactionalId, backend, timeoutMs) => initTransactionalId(this.ctx, transactionalId, backend, timeoutMs),
      transactionalKeyOf: (transactionalId) => this.ctx.transactionalKeyOf(transactionalId),
      store: opts.producerBindings,
      log: this.ctx.log,
    });
    this.ctx.producerIds = this.producerIds;
    this.ctx.zones.refresh = new ReplicaRefresh({ leaders: this.ctx.leaders, ask: (backend, topics) => this.askReplicas(backend, topics), log: this.ctx.log });
  }

  /** Turnout's own Metadata request for some topics' replicas, on its own session. */
  private askReplicas(backend: string, topics: string[]): Promise<MetadataResponse> {
    const session = this.ctx.ownSession;
    const topology = this.ctx.topologies.get(backend);
    if (session === null || topology === undefined) return Promise.reject(new Error(`cannot refresh replicas of backend ${backend}: no own session or topology`));
    return askBackendMetadata(this.ctx, session, topology, {
      topics: topics.map((name) => ({ topicId: ZERO_UUID, name })),
      allowAutoTopicCreation: false,
      includeTopicAuthorizedOperations: false,
      clientId: TURNOUT_CLIENT_ID,
    }).then((answer) => {
      // An older offset segment's backend is one no client's Metadata asks any more.
      bindOtherBackendTopicIds(this.ctx, backend, answer);
      return answer;
    });
  }

  /** The groups each domain's transactional producers were seen committing offsets for, here. */
  get transactionalGroups(): TransactionalGroups {
    return this.ctx.transactionalGroups;
  }

  /**
   * The transactional ids of a domain whose open transaction added its consumer offsets on
   * `backend` (AddOffsetsToTxn forwarded there, the transaction not ended), with the partitions
   * it added there.
   */
  transactionsWithOffsetsOn(domain: string, backend: string): Array<{ transactionalId: string; partitions: TopicPartition[] }> {
    const policy = this.ctx.policy();
    const onBackend = (key: string): boolean => backendOfBindingKey(key) === backend;
    return this.ctx.transactionPartitions
      .withOffsetsUnder(onBackend)
      .filter((id) => {
        const r = policy.resolve('transactionalId', id);
        return r.ok && r.domain.name === domain;
      })
      .map((transactionalId) => ({ transactionalId, partitions: this.ctx.transactionPartitions.partitionsUnder(transactionalId, onBackend) }));
  }

  /** Refreshes the leaders of some topics on a backend in the background (a cutover's target, before its switch). */
  primeLeaders(backend: string, topics: readonly string[]): void {
    for (const topic of topics) this.ctx.zones.refresh?.request(backend, topic);
  }

  /** Gives the router a session of its own for the requests it sends on no client's behalf. */
  setOwnSession(session: ClientSession): void {
    this.ctx.ownSession = session;
  }

  /**
   * Recomputes the offered api versions from every known backend's brokers; call after a
   * topology change. A backend not reached yet does not hold the others hostage: the versions
   * are those of the backends known so far (its topics get retriable errors meanwhile), and
   * narrow when it is learned; a client that then sends a version no longer offered gets
   * UNSUPPORTED_VERSION or has its connection closed, and asks ApiVersions again.
   */
  updateApiVersions(): void {
    const brokers: BrokerApiVersions[] = [];
    const unknown: string[] = [];
    for (const t of this.ctx.topologies.values()) {
      if (!t.isKnown) unknown.push(t.backend);
      else for (const b of t.brokerApiVersions()) brokers.push(offeredVersionsOf(b));
    }
    if (unknown.length > 0 && brokers.length > 0) this.ctx.log.warn({ unknownBackends: unknown }, 'api versions offered from the backends known so far');
    this.apiVersions.update(brokers);
  }

  /** The node ids a listener of this instance binds, in order. */
  nodeIds(listenerName: string): readonly number[] {
    return this.ctx.zones.nodes.localNodeIds(listenerName);
  }

  /** Producer-zone domains' partitions whose leaders are outside their producers' zones. */
  remoteLeaders(): RemoteLeaderPartition[] {
    return this.ctx.zones.remoteLeaders(this.ctx.policy(), this.ctx.leaders);
  }

  /** What this router offers clients (the request pipeline answers ApiVersions from it). */
  get offeredApis(): ApiVersionsTable {
    return this.apiVersions;
  }

  routeRequest(session: ClientSession, ex: RequestExchange): void {
    const { apiKey, apiVersion } = ex;
    try {
      if (apiKey === ApiKey.Fetch) routeFetch(this.ctx, session, ex);
      else ex.deferred = this.handle(session, ex);
    } catch (err) {
      if (err instanceof DecodeError || err instanceof EncodeError) {
        throw new RequestRejectedError('malformed_request', apiKey, apiVersion, err.message);
      }
      throw err;
    }
  }

  /** Only forwarded Fetch requests (fetch-forward.ts) come back through here. */
  rewriteResponse(session: ClientSession, ex: RequestExchange, frame: Buffer): Buffer {
    if (ex.routeState instanceof ForwardedFetch) return forwardedFetchAnswer(this.ctx, session, ex, ex.routeState, frame);
    return frame;
  }

  streamResponse(session: ClientSession, ex: RequestExchange, frameBytes: number, sink: ResponseBytesSink): ResponseStream | null {
    if (!(ex.routeState instanceof ForwardedFetch)) return null;
    return forwardedFetchStream(this.ctx, session, ex, ex.routeState, frameBytes, sink);
  }

  failureResponse(_session: ClientSession, ex: RequestExchange, err: UpstreamError): Buffer | null {
    // A forwarded Fetch's frame is the backend's request now: answer from the client's.
    if (ex.routeState instanceof ForwardedFetch) return forwardedFetchFailure(this.ctx, ex, ex.routeState, err);
    return buildFailureResponse(ex, this.apiVersions);
  }

  brokerAddress(): BrokerAddress | null {
    return null;
  }

  /** Decodes synchronously (a malformed request closes the connection) and returns the answer to come. */
  private handle(session: ClientSession, ex: RequestExchange): Promise<Buffer | null> {
    const handler = HANDLERS.get(ex.apiKey);
    if (handler === undefined) {
      throw new RequestRejectedError('unsupported_version', ex.apiKey, ex.apiVersion, `${apiName(ex.apiKey)} is not routed over several backends`);
    }
    return Promise.resolve(handler(this.ctx, session, ex));
  }
}
