// The router for several backend clusters presented as one virtual cluster (used when the
// configuration has more than one backend).
//
// Turnout's own nodes (0..nodeCount-1 on every listener) are the only brokers a client sees;
// each presents itself as the leader of the partitions placed on it (by topic and partition,
// deterministically) and forwards their traffic to the real leader on the backend of the
// topic's domain. Requests are answered through `exchange.deferred` from requests this router
// sends over the client's own upstream connections:
//   ApiVersions      answered here: what the codec and every broker of every backend support,
//                    limited to the apis below (a client never sends an api it was not offered)
//   Metadata         asked of every backend at v12 (real topic ids and epochs), merged
//   Produce, Fetch   split per destination (backend + real leader), merged in the client's order
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
//   ListGroups       asked of every broker of every backend; a Turnout node lists the groups
//                    it is the coordinator of (all of them from the bootstrap port)
//   DescribeCluster  answered here with Turnout's nodes
// Topic ids, leader epochs and producer ids are translated between virtual and real per backend.
import {
  ApiKey,
  DecodeError,
  EncodeError,
  ZERO_UUID,
  createInitProducerIdRequest,
  createMetadataRequest,
  decodeInitProducerIdResponse,
  decodeResponseBody,
  decodeResponseHeader,
  encodeInitProducerIdRequest,
  responseHeaderVersion,
  decodeCreateTopicsRequest,
  decodeCreateTopicsResponse,
  decodeFetchRequest,
  decodeFetchResponse,
  decodeFindCoordinatorRequest,
  decodeFindCoordinatorResponse,
  decodeHeartbeatRequest,
  decodeInitProducerIdRequest,
  decodeJoinGroupRequest,
  createJoinGroupResponse,
  encodeJoinGroupResponse,
  decodeLeaveGroupRequest,
  decodeListOffsetsRequest,
  decodeListOffsetsResponse,
  decodeMetadataRequest,
  decodeMetadataResponse,
  decodeOffsetCommitRequest,
  decodeOffsetFetchRequest,
  decodeProduceRequest,
  decodeProduceResponse,
  decodeSyncGroupRequest,
  encodeCreateTopicsRequest,
  encodeCreateTopicsResponse,
  encodeDescribeClusterResponse,
  encodeFetchRequest,
  encodeFetchResponse,
  encodeFindCoordinatorRequest,
  encodeFindCoordinatorResponse,
  encodeInitProducerIdResponse,
  encodeListOffsetsRequest,
  encodeListOffsetsResponse,
  encodeMetadataRequest,
  encodeMetadataResponse,
  encodeProduceRequest,
  encodeProduceResponse,
  type CreateTopicsRequest,
  type CreateTopicsResponse,
  type DecodedRequestHeader,
  type DescribeClusterResponse,
  type FetchRequest,
  type FetchResponse,
  type FindCoordinatorResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  type MetadataResponse,
  type ProduceResponse,
} from '../codec/index.js';
import { decodeAddOffsetsToTxnRequest, encodeAddOffsetsToTxnRequest, encodeAddOffsetsToTxnResponse } from '../codec/generated/add-offsets-to-txn.js';
import {
  createAddPartitionsToTxnResponse,
  decodeAddPartitionsToTxnRequest,
  encodeAddPartitionsToTxnRequest,
  encodeAddPartitionsToTxnResponse,
} from '../codec/generated/add-partitions-to-txn.js';
import { createCreatableTopicResult } from '../codec/generated/create-topics.js';
import {
  createDescribedGroup,
  decodeDescribeGroupsRequest,
  decodeDescribeGroupsResponse,
  encodeDescribeGroupsRequest,
  encodeDescribeGroupsResponse,
  type DescribeGroupsResponse,
} from '../codec/generated/describe-groups.js';
import {
  createListGroupsResponse,
  decodeListGroupsRequest,
  decodeListGroupsResponse,
  encodeListGroupsRequest,
  encodeListGroupsResponse,
  type ListGroupsResponse,
} from '../codec/generated/list-groups.js';
import {
  createDescribeConfigsResult,
  decodeDescribeConfigsRequest,
  decodeDescribeConfigsResponse,
  encodeDescribeConfigsRequest,
  encodeDescribeConfigsResponse,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
  type DescribeConfigsResult,
} from '../codec/generated/describe-configs.js';
import { createEndTxnResponse, decodeEndTxnRequest, decodeEndTxnResponse, encodeEndTxnRequest, encodeEndTxnResponse } from '../codec/generated/end-txn.js';
import { createOffsetFetchResponse, createOffsetFetchResponseGroup, encodeOffsetFetchResponse } from '../codec/generated/offset-fetch.js';
import { decodeTxnOffsetCommitRequest, encodeTxnOffsetCommitRequest } from '../codec/generated/txn-offset-commit.js';
import {
  createDeletableTopicResult,
  createDeleteTopicState,
  decodeDeleteTopicsRequest,
  decodeDeleteTopicsResponse,
  encodeDeleteTopicsRequest,
  encodeDeleteTopicsResponse,
  type DeleteTopicsRequest,
  type DeleteTopicsResponse,
} from '../codec/generated/delete-topics.js';
import {
  createEpochEndOffset,
  decodeOffsetForLeaderEpochRequest,
  decodeOffsetForLeaderEpochResponse,
  encodeOffsetForLeaderEpochRequest,
  encodeOffsetForLeaderEpochResponse,
  type EpochEndOffset,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
} from '../codec/generated/offset-for-leader-epoch.js';
import { createFindCoordinatorRequest, createFindCoordinatorResponse } from '../codec/generated/find-coordinator.js';
import { createListOffsetsPartitionResponse, type ListOffsetsPartitionResponse } from '../codec/generated/list-offsets.js';
import type { MetadataRequestTopic, MetadataResponseBroker, MetadataResponsePartition } from '../codec/generated/metadata.js';
import { writeResponseCorrelationId } from '../net/correlation.js';
import {
  RequestRejectedError,
  type BrokerAddress,
  type ClientSession,
  type RequestExchange,
  type RequestRouter,
} from '../net/request-router.js';
import type { UpstreamError } from '../net/upstream-connection.js';
import type { Logger } from '../observability/logger.js';
import type { PolicySnapshot } from '../policy/policy-snapshot.js';
import { apiName } from './api-names.js';
import { ApiVersionsTable, type BrokerApiVersions, type VersionRange } from './api-versions.js';
import type { BackendTopology } from './backend-topology.js';
import {
  INVALID_PRODUCER_ID_MAPPING,
  INVALID_TXN_STATE,
  LEADER_NOT_AVAILABLE,
  NOT_LEADER_OR_FOLLOWER,
  UNKNOWN_TOPIC_ID,
  UNKNOWN_TOPIC_OR_PARTITION,
} from './error-codes.js';
import { buildFailureResponse } from './failure-responses.js';
import { fetchResponseBytes, mergeFetchResponses, NOT_ANSWERED, type FetchOutcome } from './fetch-merge.js';
import { splitFetchRequest } from './fetch-split.js';
import { LeaderEpochMap } from './leader-epoch-map.js';
import {
  fetchPartitionEpochsToReal,
  fetchPartitionEpochsToVirtual,
  listOffsetsPartitionEpochsToReal,
  listOffsetsPartitionEpochsToVirtual,
  offsetForLeaderEpochPartitionToReal,
  offsetForLeaderEpochResultToVirtual,
  producePartitionEpochsToVirtual,
  recordsEpochsToReal,
} from './leader-epoch-rewrite.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from './message-frames.js';
import { mergeMetadataResponses } from './metadata-merge.js';
import { readProduceAcks } from './produce-acks.js';
import { mergeProduceResponses, type ProduceOutcome } from './produce-merge.js';
import { splitProduceRequest } from './produce-split.js';
import { ProducerIdMap, ProducerMappingError, type ProducerIdAndEpoch } from './producer-id-map.js';
import { answerIdempotentInitProducerId, initProducerIdRequestToReal, initProducerIdResponseToVirtual } from './producer-id-rewrite.js';
import { DestinationFailure, type PartitionRoute, type RouteError } from './split-route.js';
import { TopicIdMap } from './topic-id-map.js';
import {
  fetchRequestTopicIdsToReal,
  fetchResponseTopicIdsToVirtual,
  fetchTopicName,
  produceRequestTopicIdsToReal,
  produceResponseTopicIdsToVirtual,
  produceTopicName,
} from './topic-id-rewrite.js';
import type { ListenerView } from './virtual-cluster-router.js';

/** The apis this router handles; no other is offered to clients. */
const OFFERED_APIS: ReadonlySet<number> = new Set([
  ApiKey.ApiVersions,
  ApiKey.Metadata,
  ApiKey.Produce,
  ApiKey.Fetch,
  ApiKey.ListOffsets,
  ApiKey.OffsetForLeaderEpoch,
  ApiKey.CreateTopics,
  ApiKey.DeleteTopics,
  ApiKey.DescribeConfigs,
  ApiKey.FindCoordinator,
  ApiKey.JoinGroup,
  ApiKey.SyncGroup,
  ApiKey.Heartbeat,
  ApiKey.LeaveGroup,
  ApiKey.OffsetCommit,
  ApiKey.OffsetFetch,
  ApiKey.DescribeGroups,
  ApiKey.ListGroups,
  ApiKey.InitProducerId,
  ApiKey.AddPartitionsToTxn,
  ApiKey.AddOffsetsToTxn,
  ApiKey.EndTxn,
  ApiKey.TxnOffsetCommit,
  ApiKey.DescribeCluster,
]);

/**
 * Highest versions offered where a later one changes the routing: AddPartitionsToTxn v4+ is
 * the brokers' batched form (several transactional ids per request).
 */
const OFFERED_MAX_VERSIONS: ReadonlyMap<number, number> = new Map([[ApiKey.AddPartitionsToTxn, 3]]);

/** Backends are asked Metadata at this version (real topic ids and leader epochs) or their highest below it. */
const BACKEND_METADATA_VERSION = 12;
/** FindCoordinator version Turnout asks backends with (single key, every broker since 2.4). */
const BACKEND_FIND_COORDINATOR_VERSION = 3;
const CLIENT_ID = 'turnout';

const COORDINATOR_NOT_AVAILABLE = 15;
const NOT_COORDINATOR = 16;
const TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53;
const OPERATION_NOT_ATTEMPTED = 55;
const INCONSISTENT_GROUP_PROTOCOL = 23;
/** DescribeConfigs resource type of a topic. */
const CONFIG_RESOURCE_TOPIC = 2;
/** EndTxn answers with the producer id and epoch from v5. */
const END_TXN_FIRST_PRODUCER_VERSION = 5;
const INVALID_REQUEST = 42;
const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;
/** DescribeCluster and Metadata: "authorized operations not asked for". */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** Produce and Fetch name brokers from these versions (CurrentLeader and NodeEndpoints). */
const PRODUCE_FIRST_LEADER_VERSION = 10;

export interface MultiBackendRouterOptions {
  clusterId: string;
  /** One topology per backend, in configuration order (topics are listed in this order). */
  topologies: readonly BackendTopology[];
  /** The policy in effect, read per decision. */
  policy: () => PolicySnapshot;
  listeners: readonly ListenerView[];
  /** Turnout's nodes: ids 0..nodeCount-1 on every listener. */
  nodeCount: number;
  log: Logger;
}

/** 32-bit FNV-1a: a stable spread of names over Turnout's nodes. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function destinationOf(backend: string, brokerId: number): string {
  return `${backend}/${brokerId}`;
}

function parseDestination(destination: string): { backend: string; brokerId: number } {
  const i = destination.lastIndexOf('/');
  return { backend: destination.slice(0, i), brokerId: Number(destination.slice(i + 1)) };
}

function failureOf(err: unknown): DestinationFailure {
  if (err instanceof DestinationFailure) return err;
  return new DestinationFailure(err instanceof Error ? err.message : String(err));
}

/**
 * The topics of a consumer's subscription (the consumer protocol's metadata: version int16,
 * then the topic names as an int16-length string array). Unreadable metadata subscribes to none.
 */
function subscribedTopics(metadata: Buffer): string[] {
  try {
    if (metadata.length < 6) return [];
    const count = metadata.readInt32BE(2);
    const topics: string[] = [];
    let at = 6;
    for (let i = 0; i < count && at + 2 <= metadata.length; i++) {
      const len = metadata.readInt16BE(at);
      at += 2;
      if (len < 0 || at + len > metadata.length) break;
      topics.push(metadata.toString('utf8', at, at + len));
      at += len;
    }
    return topics;
  } catch {
    return [];
  }
}

/** True when a Fetch answer has a top-level or partition error (a broker answers those at once). */
function hasPartitionError(res: FetchResponse): boolean {
  if (res.errorCode !== 0) return true;
  for (const t of res.responses) for (const p of t.partitions) if (p.errorCode !== 0) return true;
  return false;
}

/** OffsetFetch answered COORDINATOR_NOT_AVAILABLE (v2+ has a group-level error; v0-1 close the connection). */
function offsetFetchUnavailable(ex: RequestExchange, groupId: string): Buffer {
  const v = ex.apiVersion;
  const m = createOffsetFetchResponse();
  if (v >= 8) m.groups = [{ ...createOffsetFetchResponseGroup(), groupId, errorCode: COORDINATOR_NOT_AVAILABLE }];
  else if (v >= 2) m.errorCode = COORDINATOR_NOT_AVAILABLE;
  else throw new Error('no failure response for OffsetFetch v0-1');
  return encodeResponseFrame(ApiKey.OffsetFetch, v, { correlationId: ex.correlationId }, m, encodeOffsetFetchResponse);
}

/** Real partition leaders per backend, learned from the Metadata answers Turnout receives. */
class PartitionLeaders {
  private readonly byBackend = new Map<string, Map<string, number[]>>();

  record(backend: string, topic: string, partition: number, leaderId: number): void {
    let topics = this.byBackend.get(backend);
    if (topics === undefined) this.byBackend.set(backend, (topics = new Map()));
    let leaders = topics.get(topic);
    if (leaders === undefined) topics.set(topic, (leaders = []));
    leaders[partition] = leaderId;
  }

  /** The real leader, or -1 when not known (the client refreshes metadata on NOT_LEADER_OR_FOLLOWER). */
  leaderOf(backend: string, topic: string, partition: number): number {
    return this.byBackend.get(backend)?.get(topic)?.[partition] ?? -1;
  }

  forgetBroker(backend: string, brokerId: number): void {
    const topics = this.byBackend.get(backend);
    if (topics === undefined) return;
    for (const leaders of topics.values()) {
      for (let i = 0; i < leaders.length; i++) if (leaders[i] === brokerId) leaders[i] = -1;
    }
  }
}

export class MultiBackendRouter implements RequestRouter {
  readonly topicIds = new TopicIdMap();
  readonly epochs = new LeaderEpochMap();
  readonly producerIds: ProducerIdMap;
  private readonly clusterId: string;
  private readonly topologies: ReadonlyMap<string, BackendTopology>;
  private readonly policy: () => PolicySnapshot;
  private readonly listeners: ReadonlyMap<string, ListenerView>;
  private readonly nodeCount: number;
  private readonly log: Logger;
  private readonly apiVersions = new ApiVersionsTable();
  private readonly leaders = new PartitionLeaders();
  /** `backend/keyType/key` → real coordinator broker id. */
  private readonly coordinators = new Map<string, number>();
  /** Turnout's own requests (InitProducerId for real producer ids) go over this session's upstreams. */
  private ownSession: ClientSession | null = null;

  constructor(opts: MultiBackendRouterOptions) {
    this.clusterId = opts.clusterId;
    this.topologies = new Map(opts.topologies.map((t) => [t.backend, t]));
    this.policy = opts.policy;
    this.listeners = new Map(opts.listeners.map((l) => [l.name, l]));
    this.nodeCount = opts.nodeCount;
    this.log = opts.log.child({ component: 'multi-backend-router' });
    this.producerIds = new ProducerIdMap({ obtain: (backend) => this.obtainProducerId(backend) });
  }

  /** Gives the router a session of its own for the requests it sends on no client's behalf. */
  setOwnSession(session: ClientSession): void {
    this.ownSession = session;
  }

  /** Recomputes the offered api versions from every backend's brokers; call after a topology change. */
  updateApiVersions(): void {
    const brokers: BrokerApiVersions[] = [];
    for (const t of this.topologies.values()) {
      if (!t.isKnown) return;
      for (const b of t.brokerApiVersions()) {
        const apis = new Map<number, VersionRange>();
        for (const [k, r] of b.apis) {
          if (!OFFERED_APIS.has(k)) continue;
          const cap = OFFERED_MAX_VERSIONS.get(k);
          apis.set(k, cap === undefined || r.maxVersion <= cap ? r : { minVersion: r.minVersion, maxVersion: cap });
        }
        brokers.push({ ...b, apis });
      }
    }
    this.apiVersions.update(brokers);
  }

  /** Virtual node ids, in order. */
  nodeIds(): number[] {
    return Array.from({ length: this.nodeCount }, (_, i) => i);
  }

  /** The Turnout node presented as the leader of a partition. */
  virtualLeaderOf(topic: string, partition: number): number {
    return (nameHash(topic) + partition) % this.nodeCount;
  }

  routeRequest(session: ClientSession, ex: RequestExchange): void {
    const { apiKey, apiVersion } = ex;
    if (apiKey === ApiKey.ApiVersions) {
      if (!this.apiVersions.isKnown) {
        throw new RequestRejectedError('backend_unknown', apiKey, apiVersion, 'backend api versions not known yet');
      }
      ex.response = this.apiVersions.buildResponse(apiVersion, ex.correlationId);
      return;
    }
    if (!this.apiVersions.isSupported(apiKey, apiVersion)) {
      const known = apiName(apiKey) !== undefined;
      throw new RequestRejectedError(
        known ? 'unsupported_version' : 'unknown_api_key',
        apiKey,
        apiVersion,
        known ? `${apiName(apiKey)} v${apiVersion} is not offered over several backends` : `unknown api key ${apiKey}`,
      );
    }
    try {
      ex.deferred = this.handle(session, ex);
    } catch (err) {
      if (err instanceof DecodeError || err instanceof EncodeError) {
        throw new RequestRejectedError('malformed_request', apiKey, apiVersion, err.message);
      }
      throw err;
    }
  }

  rewriteResponse(_session: ClientSession, _ex: RequestExchange, frame: Buffer): Buffer {
    return frame;
  }

  failureResponse(_session: ClientSession, ex: RequestExchange, _err: UpstreamError): Buffer | null {
    return buildFailureResponse(ex);
  }

  brokerAddress(): BrokerAddress | null {
    return null;
  }

  /** Decodes synchronously (a malformed request closes the connection) and returns the answer to come. */
  private handle(session: ClientSession, ex: RequestExchange): Promise<Buffer | null> {
    switch (ex.apiKey) {
      case ApiKey.Metadata:
        return this.metadata(session, ex);
      case ApiKey.Produce:
        ex.expectResponse = readProduceAcks(ex.frame, ex.apiVersion) !== 0;
        return this.produce(session, ex);
      case ApiKey.Fetch:
        return this.fetch(session, ex);
      case ApiKey.ListOffsets:
        return this.listOffsets(session, ex);
      case ApiKey.OffsetForLeaderEpoch:
        return this.offsetForLeaderEpoch(session, ex);
      case ApiKey.CreateTopics:
        return this.createTopics(session, ex);
      case ApiKey.DeleteTopics:
        return this.deleteTopics(session, ex);
      case ApiKey.DescribeConfigs:
        return this.describeConfigs(session, ex);
      case ApiKey.FindCoordinator:
        return Promise.resolve(this.findCoordinator(session, ex));
      case ApiKey.InitProducerId:
        return this.initProducerId(session, ex);
      case ApiKey.AddPartitionsToTxn:
        return this.addPartitionsToTxn(session, ex);
      case ApiKey.AddOffsetsToTxn:
        return this.addOffsetsToTxn(session, ex);
      case ApiKey.EndTxn:
        return this.endTxn(session, ex);
      case ApiKey.TxnOffsetCommit:
        return this.txnOffsetCommit(session, ex);
      case ApiKey.DescribeCluster:
        return Promise.resolve(this.describeCluster(session, ex));
      case ApiKey.JoinGroup:
        return this.joinGroup(session, ex);
      case ApiKey.SyncGroup:
        return this.toGroupCoordinator(session, ex, decodeRequestFrame(ex.frame, decodeSyncGroupRequest).body.groupId);
      case ApiKey.Heartbeat:
        return this.toGroupCoordinator(session, ex, decodeRequestFrame(ex.frame, decodeHeartbeatRequest).body.groupId);
      case ApiKey.LeaveGroup:
        return this.toGroupCoordinator(session, ex, decodeRequestFrame(ex.frame, decodeLeaveGroupRequest).body.groupId);
      case ApiKey.OffsetCommit:
        return this.toGroupCoordinator(session, ex, decodeRequestFrame(ex.frame, decodeOffsetCommitRequest).body.groupId);
      case ApiKey.DescribeGroups:
        return this.describeGroups(session, ex);
      case ApiKey.ListGroups:
        return this.listGroups(session, ex);
      case ApiKey.OffsetFetch: {
        const body = decodeRequestFrame(ex.frame, decodeOffsetFetchRequest).body;
        if (ex.apiVersion >= 8 && body.groups.length !== 1) {
          throw new RequestRejectedError('unsupported_request', ex.apiKey, ex.apiVersion, 'OffsetFetch for several groups at once is not routed over several backends');
        }
        const groupId = ex.apiVersion < 8 ? body.groupId : body.groups[0].groupId;
        return this.toGroupCoordinator(session, ex, groupId, () => offsetFetchUnavailable(ex, groupId));
      }
      default:
        throw new RequestRejectedError('unsupported_version', ex.apiKey, ex.apiVersion, `${apiName(ex.apiKey)} is not routed over several backends`);
    }
  }

  // ---- where things live

  /** The backend of a topic's domain, or the error the topic is refused with. */
  private backendOfTopic(name: string, policy: PolicySnapshot): string | RouteError {
    const res = policy.resolve('topic', name);
    if (!res.ok) return { errorCode: res.errorCode, errorMessage: res.reason };
    if (!this.topologies.has(res.domain.backend)) return { errorCode: UNKNOWN_TOPIC_OR_PARTITION };
    return res.domain.backend;
  }

  private anyBrokerOf(backend: string): BrokerAddress {
    const t = this.topologies.get(backend);
    const id = t === undefined ? -1 : t.anyBrokerId();
    return this.addressOf(backend, id);
  }

  private addressOf(backend: string, brokerId: number): BrokerAddress {
    const b = this.topologies.get(backend)?.broker(brokerId);
    if (b === undefined) throw new DestinationFailure(`broker ${brokerId} of backend ${backend} is not known`);
    return { backend, brokerId, host: b.host, port: b.port };
  }

  private listenerOf(session: ClientSession): ListenerView {
    return this.listeners.get(session.listenerName) as ListenerView;
  }

  /** Turnout's nodes with a bound port on the session's listener. */
  private brokersFor(session: ClientSession): MetadataResponseBroker[] {
    const l = this.listenerOf(session);
    const brokers: MetadataResponseBroker[] = [];
    for (let id = 0; id < this.nodeCount; id++) {
      const port = l.nodePort(id);
      if (port !== undefined) brokers.push({ nodeId: id, host: l.advertisedHost, port, rack: null });
    }
    return brokers;
  }

  /** Sends a request to a backend broker and returns the response frame. */
  private async send(session: ClientSession, address: BrokerAddress, frame: Buffer): Promise<Buffer> {
    const res = await session.sendUpstream(address, frame, true);
    if (res === null) throw new Error('no response');
    return res;
  }

  // ---- Metadata

  private async metadata(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeMetadataRequest);
    const policy = this.policy();
    const all = body.topics === null || (v === 0 && body.topics.length === 0);
    const asked = new Map<string, MetadataRequestTopic[]>();
    for (const b of this.topologies.keys()) asked.set(b, []);
    if (!all) {
      for (const t of body.topics as MetadataRequestTopic[]) {
        const name = t.name ?? this.topicIds.nameOf(t.topicId);
        if (name === undefined) continue;
        const backend = this.backendOfTopic(name, policy);
        if (typeof backend === 'string') asked.get(backend)?.push({ topicId: ZERO_UUID, name });
      }
    }
    const answers = await Promise.all(
      [...this.topologies.values()].map(async (t): Promise<MetadataResponse | DestinationFailure> => {
        try {
          const range = t.apiVersions.range(ApiKey.Metadata);
          const bv = Math.min(BACKEND_METADATA_VERSION, range?.maxVersion ?? BACKEND_METADATA_VERSION);
          const req = createMetadataRequest();
          req.topics = all ? null : (asked.get(t.backend) as MetadataRequestTopic[]);
          req.allowAutoTopicCreation = v >= 4 ? body.allowAutoTopicCreation : true;
          req.includeTopicAuthorizedOperations = body.includeTopicAuthorizedOperations;
          const frame = encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: bv, correlationId: 0, clientId: header.clientId }, req, encodeMetadataRequest);
          const res = await this.send(session, this.anyBrokerOf(t.backend), frame);
          return decodeResponseFrame(res, ApiKey.Metadata, bv, decodeMetadataResponse).body;
        } catch (err) {
          this.log.warn({ err, backend: t.backend }, 'metadata of a backend not available');
          return failureOf(err);
        }
      }),
    );
    const backendResponses = new Map<string, MetadataResponse | DestinationFailure>();
    [...this.topologies.keys()].forEach((b, i) => backendResponses.set(b, answers[i]));
    const merged = mergeMetadataResponses({
      version: v,
      requestedTopics: body.topics,
      backendResponses,
      resolveBackend: (topic) => {
        const b = this.backendOfTopic(topic, policy);
        return typeof b === 'string' ? b : undefined;
      },
      brokers: this.brokersFor(session),
      clusterId: this.clusterId,
      controllerId: 0,
      topicIds: this.topicIds,
      epochs: this.epochs,
      placePartition: (backend, topic, p) => this.placePartition(backend, topic, p),
    });
    if (merged.incomplete) {
      // A list of all topics without a backend's would make pattern subscribers drop them.
      throw new DestinationFailure('a backend did not answer a metadata request for all topics');
    }
    return encodeResponseFrame(ApiKey.Metadata, v, { correlationId: ex.correlationId }, merged.response, encodeMetadataResponse);
  }

  private placePartition(backend: string, topic: string, p: MetadataResponsePartition): void {
    this.leaders.record(backend, topic, p.partitionIndex, p.leaderId);
    const n = this.nodeCount;
    const leader = this.virtualLeaderOf(topic, p.partitionIndex);
    const replicas = Math.max(1, Math.min(p.replicaNodes.length, n));
    const isr = Math.min(p.isrNodes.length, replicas);
    p.replicaNodes = Array.from({ length: replicas }, (_, i) => (leader + i) % n);
    p.isrNodes = p.replicaNodes.slice(0, isr);
    p.offlineReplicas = [];
    if (p.leaderId >= 0) p.leaderId = leader;
  }

  // ---- Produce

  private async produce(session: ClientSession, ex: RequestExchange): Promise<Buffer | null> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeProduceRequest);
    const policy = this.policy();
    const waits = new Map<string, Array<Promise<void>>>();
    const split = splitProduceRequest(body, v, (t, p): PartitionRoute => {
      const name = produceTopicName(t, v, this.topicIds);
      if (name === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
      const backend = this.backendOfTopic(name, policy);
      if (typeof backend !== 'string') return backend;
      if (v >= 13 && this.topicIds.realIdOf(t.topicId, backend) === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
      const leader = this.leaders.leaderOf(backend, name, p.index);
      if (leader < 0) return { errorCode: NOT_LEADER_OR_FOLLOWER };
      const destination = destinationOf(backend, leader);
      try {
        const wait = this.producerIds.prepareBatches(p.records, backend);
        if (wait !== null) {
          let list = waits.get(destination);
          if (list === undefined) waits.set(destination, (list = []));
          list.push(wait);
        }
      } catch (err) {
        if (err instanceof ProducerMappingError) return { errorCode: err.errorCode, errorMessage: err.message };
        throw err;
      }
      return destination;
    });
    const outcomes = await Promise.all(
      split.parts.map(async (part): Promise<ProduceOutcome | null> => {
        const { backend, brokerId } = parseDestination(part.destination);
        try {
          const pending = waits.get(part.destination);
          if (pending !== undefined) await Promise.all(pending);
          for (const t of part.request.topicData) {
            const name = produceTopicName(t, v, this.topicIds) as string;
            for (const d of t.partitionData) {
              this.producerIds.rewriteBatchesToReal(d.records, backend);
              recordsEpochsToReal(d.records, name, d.index, backend, this.epochs);
            }
          }
          produceRequestTopicIdsToReal(part.request, v, backend, this.topicIds);
          const frame = encodeRequestFrame(header, part.request, encodeProduceRequest);
          const res = await session.sendUpstream(this.addressOf(backend, brokerId), frame, split.expectsResponse);
          if (res === null) return null;
          const answer = decodeResponseFrame(res, ApiKey.Produce, v, decodeProduceResponse).body;
          this.produceAnswerToVirtual(session, answer, v, backend, brokerId);
          return answer;
        } catch (err) {
          if (err instanceof ProducerMappingError) return new DestinationFailure(err.message, err.errorCode);
          this.log.debug({ err, destination: part.destination }, 'produce part failed');
          return failureOf(err);
        }
      }),
    );
    if (!split.expectsResponse) return null;
    const merged = mergeProduceResponses(split, outcomes as ProduceOutcome[]);
    return encodeResponseFrame(ApiKey.Produce, v, { correlationId: ex.correlationId }, merged, encodeProduceResponse);
  }

  private produceAnswerToVirtual(session: ClientSession, answer: ProduceResponse, v: number, backend: string, brokerId: number): void {
    produceResponseTopicIdsToVirtual(answer, v, backend, this.topicIds);
    const named = new Set<number>();
    for (const t of answer.responses) {
      const name = produceTopicName(t, v, this.topicIds);
      if (name === undefined) continue;
      for (const p of t.partitionResponses) {
        if (p.errorCode === NOT_LEADER_OR_FOLLOWER) this.leaders.forgetBroker(backend, brokerId);
        producePartitionEpochsToVirtual(p, name, backend, this.epochs);
        if (v >= PRODUCE_FIRST_LEADER_VERSION && p.currentLeader !== undefined && p.currentLeader.leaderId >= 0) {
          p.currentLeader.leaderId = this.virtualLeaderOf(name, p.index);
          named.add(p.currentLeader.leaderId);
        }
      }
    }
    if (answer.nodeEndpoints !== undefined) answer.nodeEndpoints = this.endpointsOf(session, named);
  }

  private endpointsOf(session: ClientSession, ids: ReadonlySet<number>): Array<{ nodeId: number; host: string; port: number; rack: string | null }> {
    const l = this.listenerOf(session);
    const out = [];
    for (const id of [...ids].sort((a, b) => a - b)) {
      const port = l.nodePort(id);
      if (port !== undefined) out.push({ nodeId: id, host: l.advertisedHost, port, rack: null });
    }
    return out;
  }

  // ---- Fetch

  private async fetch(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeFetchRequest);
    const policy = this.policy();
    const split = splitFetchRequest(body, v, (t, p): PartitionRoute => {
      const name = fetchTopicName(t, v, this.topicIds);
      if (name === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
      const backend = this.backendOfTopic(name, policy);
      if (typeof backend !== 'string') return backend;
      if (v >= 13 && this.topicIds.realIdOf(t.topicId, backend) === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
      const err = fetchPartitionEpochsToReal(p, v, name, backend, this.epochs);
      if (err !== 0) return { errorCode: err };
      const leader = this.leaders.leaderOf(backend, name, p.partition);
      if (leader < 0) return { errorCode: NOT_LEADER_OR_FOLLOWER };
      return destinationOf(backend, leader);
    });
    // Each destination waits up to maxWaitMs for minBytes of its own. The client is answered
    // as soon as the answers in hand hold minBytes (or an error): a destination without data
    // then counts as "no data yet" and its late answer is dropped (harmless for sessionless
    // consumer fetches), so data from one broker is not held back by an idle one.
    const outcomes: FetchOutcome[] = split.parts.map(() => NOT_ANSWERED);
    const minBytes = Math.max(1, body.minBytes);
    const ready = await new Promise<FetchOutcome[]>((resolve) => {
      let pending = split.parts.length;
      let bytes = 0;
      if (pending === 0) resolve(outcomes);
      split.parts.forEach((part, i) => {
        void this.fetchPart(session, header, part.request, part.destination, v).then((o) => {
          outcomes[i] = o;
          pending -= 1;
          if (o instanceof DestinationFailure) bytes = minBytes;
          else if (o !== NOT_ANSWERED) bytes += fetchResponseBytes(o) + (hasPartitionError(o) ? minBytes : 0);
          if (pending === 0 || bytes >= minBytes) resolve(outcomes.slice());
        });
      });
    });
    const merged = mergeFetchResponses(split, ready);
    return encodeResponseFrame(ApiKey.Fetch, v, { correlationId: ex.correlationId }, merged, encodeFetchResponse);
  }

  /** One destination's part of a Fetch: its answer in the client's terms, or why there is none. Never rejects. */
  private async fetchPart(session: ClientSession, header: DecodedRequestHeader, request: FetchRequest, destination: string, v: number): Promise<FetchOutcome> {
    const { backend, brokerId } = parseDestination(destination);
    try {
      fetchRequestTopicIdsToReal(request, v, backend, this.topicIds);
      const frame = encodeRequestFrame(header, request, encodeFetchRequest);
      const res = await this.send(session, this.addressOf(backend, brokerId), frame);
      const answer = decodeResponseFrame(res, ApiKey.Fetch, v, decodeFetchResponse).body;
      this.fetchAnswerToVirtual(session, answer, v, backend, brokerId);
      return answer;
    } catch (err) {
      this.log.debug({ err, destination }, 'fetch part failed');
      return failureOf(err);
    }
  }

  private fetchAnswerToVirtual(session: ClientSession, answer: FetchResponse, v: number, backend: string, brokerId: number): void {
    fetchResponseTopicIdsToVirtual(answer, v, backend, this.topicIds);
    const named = new Set<number>();
    for (const t of answer.responses) {
      const name = fetchTopicName(t, v, this.topicIds);
      if (name === undefined) continue;
      for (const p of t.partitions) {
        if (p.errorCode === NOT_LEADER_OR_FOLLOWER) this.leaders.forgetBroker(backend, brokerId);
        fetchPartitionEpochsToVirtual(p, name, backend, this.epochs);
        if (p.preferredReadReplica >= 0) p.preferredReadReplica = -1;
        if (p.currentLeader !== undefined && p.currentLeader.leaderId >= 0) {
          p.currentLeader.leaderId = this.virtualLeaderOf(name, p.partitionIndex);
          named.add(p.currentLeader.leaderId);
        }
      }
    }
    if (answer.nodeEndpoints !== undefined) answer.nodeEndpoints = this.endpointsOf(session, named);
  }

  // ---- ListOffsets

  private async listOffsets(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeListOffsetsRequest);
    const policy = this.policy();
    const parts = new Map<string, ListOffsetsRequest>();
    /** [topic][partition] → destination or error. */
    const placement: Array<Array<string | RouteError>> = [];
    for (const t of body.topics) {
      const row: Array<string | RouteError> = [];
      placement.push(row);
      const backend = this.backendOfTopic(t.name, policy);
      for (const p of t.partitions) {
        if (typeof backend !== 'string') {
          row.push(backend);
          continue;
        }
        const err = listOffsetsPartitionEpochsToReal(p, v, t.name, backend, this.epochs);
        if (err !== 0) {
          row.push({ errorCode: err });
          continue;
        }
        const leader = this.leaders.leaderOf(backend, t.name, p.partitionIndex);
        if (leader < 0) {
          row.push({ errorCode: NOT_LEADER_OR_FOLLOWER });
          continue;
        }
        const destination = destinationOf(backend, leader);
        row.push(destination);
        let part = parts.get(destination);
        if (part === undefined) parts.set(destination, (part = { ...body, topics: [] }));
        let topic = part.topics[part.topics.length - 1];
        if (topic === undefined || topic.name !== t.name) part.topics.push((topic = { ...t, partitions: [] }));
        topic.partitions.push(p);
      }
    }
    const answers = new Map<string, Map<string, ListOffsetsPartitionResponse> | DestinationFailure>();
    await Promise.all(
      [...parts].map(async ([destination, req]) => {
        const { backend, brokerId } = parseDestination(destination);
        try {
          const frame = encodeRequestFrame(header, req, encodeListOffsetsRequest);
          const res = await this.send(session, this.addressOf(backend, brokerId), frame);
          const answer = decodeResponseFrame(res, ApiKey.ListOffsets, v, decodeListOffsetsResponse).body;
          const byPartition = new Map<string, ListOffsetsPartitionResponse>();
          for (const t of answer.topics) {
            for (const p of t.partitions) {
              if (p.errorCode === NOT_LEADER_OR_FOLLOWER) this.leaders.forgetBroker(backend, brokerId);
              listOffsetsPartitionEpochsToVirtual(p, t.name, backend, this.epochs);
              byPartition.set(`${t.name}:${p.partitionIndex}`, p);
            }
          }
          answers.set(destination, byPartition);
        } catch (err) {
          answers.set(destination, failureOf(err));
        }
      }),
    );
    const merged: ListOffsetsResponse = { throttleTimeMs: 0, topics: [] };
    body.topics.forEach((t, ti) => {
      merged.topics.push({
        name: t.name,
        partitions: t.partitions.map((p, pi) => {
          const where = placement[ti][pi];
          const answer = typeof where === 'string' ? answers.get(where) : undefined;
          const found = answer instanceof Map ? answer.get(`${t.name}:${p.partitionIndex}`) : undefined;
          if (found !== undefined) return found;
          const errorCode = typeof where !== 'string' ? where.errorCode : answer instanceof DestinationFailure ? answer.errorCode : NOT_LEADER_OR_FOLLOWER;
          return { ...createListOffsetsPartitionResponse(), partitionIndex: p.partitionIndex, errorCode };
        }),
      });
    });
    return encodeResponseFrame(ApiKey.ListOffsets, v, { correlationId: ex.correlationId }, merged, encodeListOffsetsResponse);
  }

  // ---- OffsetForLeaderEpoch

  private async offsetForLeaderEpoch(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeOffsetForLeaderEpochRequest);
    const policy = this.policy();
    const parts = new Map<string, OffsetForLeaderEpochRequest>();
    /** [topic][partition] → destination, or the result to answer with. */
    const placement: Array<Array<string | EpochEndOffset>> = [];
    const local = (partition: number, errorCode: number, leaderEpoch = -1, endOffset = -1n): EpochEndOffset => ({
      ...createEpochEndOffset(),
      partition,
      errorCode,
      leaderEpoch,
      endOffset,
    });
    for (const t of body.topics) {
      const row: Array<string | EpochEndOffset> = [];
      placement.push(row);
      const backend = this.backendOfTopic(t.topic, policy);
      for (const p of t.partitions) {
        if (typeof backend !== 'string') {
          row.push(local(p.partition, backend.errorCode));
          continue;
        }
        const decision = offsetForLeaderEpochPartitionToReal(p, v, t.topic, backend, this.epochs);
        if (decision.kind === 'error') {
          row.push(local(p.partition, decision.errorCode));
          continue;
        }
        if (decision.kind === 'answer') {
          row.push(local(p.partition, 0, decision.leaderEpoch, decision.endOffset));
          continue;
        }
        const leader = this.leaders.leaderOf(backend, t.topic, p.partition);
        if (leader < 0) {
          row.push(local(p.partition, NOT_LEADER_OR_FOLLOWER));
          continue;
        }
        const destination = destinationOf(backend, leader);
        row.push(destination);
        let part = parts.get(destination);
        if (part === undefined) parts.set(destination, (part = { ...body, topics: [] }));
        let topic = part.topics[part.topics.length - 1];
        if (topic === undefined || topic.topic !== t.topic) part.topics.push((topic = { ...t, partitions: [] }));
        topic.partitions.push(p);
      }
    }
    const answers = new Map<string, Map<string, EpochEndOffset> | DestinationFailure>();
    await Promise.all(
      [...parts].map(async ([destination, req]) => {
        const { backend, brokerId } = parseDestination(destination);
        try {
          const frame = encodeRequestFrame(header, req, encodeOffsetForLeaderEpochRequest);
          const res = await this.send(session, this.addressOf(backend, brokerId), frame);
          const answer = decodeResponseFrame(res, ApiKey.OffsetForLeaderEpoch, v, decodeOffsetForLeaderEpochResponse).body;
          const byPartition = new Map<string, EpochEndOffset>();
          for (const t of answer.topics) {
            for (const p of t.partitions) {
              if (p.errorCode === NOT_LEADER_OR_FOLLOWER) this.leaders.forgetBroker(backend, brokerId);
              offsetForLeaderEpochResultToVirtual(p, t.topic, backend, this.epochs);
              byPartition.set(`${t.topic}:${p.partition}`, p);
            }
          }
          answers.set(destination, byPartition);
        } catch (err) {
          answers.set(destination, failureOf(err));
        }
      }),
    );
    const merged: OffsetForLeaderEpochResponse = { throttleTimeMs: 0, topics: [] };
    body.topics.forEach((t, ti) => {
      merged.topics.push({
        topic: t.topic,
        partitions: t.partitions.map((p, pi) => {
          const where = placement[ti][pi];
          if (typeof where !== 'string') return where;
          const answer = answers.get(where);
          const found = answer instanceof Map ? answer.get(`${t.topic}:${p.partition}`) : undefined;
          if (found !== undefined) return found;
          return local(p.partition, answer instanceof DestinationFailure ? answer.errorCode : NOT_LEADER_OR_FOLLOWER);
        }),
      });
    });
    return encodeResponseFrame(ApiKey.OffsetForLeaderEpoch, v, { correlationId: ex.correlationId }, merged, encodeOffsetForLeaderEpochResponse);
  }

  // ---- DeleteTopics

  private async deleteTopics(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeDeleteTopicsRequest);
    const policy = this.policy();
    // v6+ names topics (by name or by virtual id) in `topics`, earlier versions in `topicNames`.
    const asked: Array<{ name: string | null; topicId: string }> =
      v >= 6 ? body.topics.map((t) => ({ name: t.name ?? this.topicIds.nameOf(t.topicId) ?? null, topicId: t.topicId })) : body.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const parts = new Map<string, DeleteTopicsRequest>();
    const refused = new Map<string, RouteError>();
    for (const t of asked) {
      if (t.name === null) continue;
      const backend = this.backendOfTopic(t.name, policy);
      if (typeof backend !== 'string') {
        refused.set(t.name, backend);
        continue;
      }
      let part = parts.get(backend);
      if (part === undefined) parts.set(backend, (part = { ...body, topicNames: [], topics: [] }));
      if (v >= 6) part.topics.push({ ...createDeleteTopicState(), name: t.name });
      else part.topicNames.push(t.name);
    }
    const answered = new Map<string, DeleteTopicsResponse['responses'][number]>();
    let throttleTimeMs = 0;
    await Promise.all(
      [...parts].map(async ([backend, req]) => {
        try {
          const frame = encodeRequestFrame(header, req, encodeDeleteTopicsRequest);
          const res = await this.send(session, this.anyBrokerOf(backend), frame);
          const answer = decodeResponseFrame(res, ApiKey.DeleteTopics, v, decodeDeleteTopicsResponse).body;
          throttleTimeMs = Math.max(throttleTimeMs, answer.throttleTimeMs);
          for (const r of answer.responses) {
            if (r.name === null) continue;
            r.topicId = v >= 6 ? (this.topicIds.virtualIdOf(r.name) ?? ZERO_UUID) : r.topicId;
            if (r.errorCode === 0) this.topicIds.forget(r.name);
            answered.set(r.name, r);
          }
        } catch (err) {
          const code = failureOf(err).errorCode === NOT_LEADER_OR_FOLLOWER ? LEADER_NOT_AVAILABLE : failureOf(err).errorCode;
          for (const n of v >= 6 ? req.topics.map((t) => t.name as string) : req.topicNames) refused.set(n, { errorCode: code });
        }
      }),
    );
    const merged: DeleteTopicsResponse = {
      throttleTimeMs,
      responses: asked.map((t) => {
        const a = t.name === null ? undefined : answered.get(t.name);
        if (a !== undefined) return a;
        const result = createDeletableTopicResult();
        result.name = t.name;
        if (v >= 6) result.topicId = t.topicId;
        result.errorCode = t.name === null ? UNKNOWN_TOPIC_ID : (refused.get(t.name) ?? { errorCode: LEADER_NOT_AVAILABLE }).errorCode;
        return result;
      }),
    };
    return encodeResponseFrame(ApiKey.DeleteTopics, v, { correlationId: ex.correlationId }, merged, encodeDeleteTopicsResponse);
  }

  // ---- DescribeConfigs

  private async describeConfigs(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeDescribeConfigsRequest);
    const policy = this.policy();
    const parts = new Map<string, DescribeConfigsRequest>();
    const refused = new Map<number, RouteError>();
    body.resources.forEach((r, i) => {
      if (r.resourceType !== CONFIG_RESOURCE_TOPIC) {
        // Turnout's nodes are no backend broker: their configs would be some backend's.
        refused.set(i, { errorCode: INVALID_REQUEST, errorMessage: `resource type ${r.resourceType} is not described over several backends` });
        return;
      }
      const backend = this.backendOfTopic(r.resourceName, policy);
      if (typeof backend !== 'string') {
        refused.set(i, backend);
        return;
      }
      let part = parts.get(backend);
      if (part === undefined) parts.set(backend, (part = { ...body, resources: [] }));
      part.resources.push(r);
    });
    const answered = new Map<string, DescribeConfigsResult>();
    let throttleTimeMs = 0;
    await Promise.all(
      [...parts].map(async ([backend, req]) => {
        try {
          const frame = encodeRequestFrame(header, req, encodeDescribeConfigsRequest);
          const res = await this.send(session, this.anyBrokerOf(backend), frame);
          const answer = decodeResponseFrame(res, ApiKey.DescribeConfigs, v, decodeDescribeConfigsResponse).body;
          throttleTimeMs = Math.max(throttleTimeMs, answer.throttleTimeMs);
          for (const r of answer.results) answered.set(r.resourceName, r);
        } catch (err) {
          this.log.debug({ err, backend }, 'describe configs failed');
        }
      }),
    );
    const merged: DescribeConfigsResponse = {
      throttleTimeMs,
      results: body.resources.map((r, i) => {
        const found = r.resourceType === CONFIG_RESOURCE_TOPIC ? answered.get(r.resourceName) : undefined;
        if (found !== undefined) return found;
        const err = refused.get(i) ?? { errorCode: LEADER_NOT_AVAILABLE };
        return { ...createDescribeConfigsResult(), errorCode: err.errorCode, errorMessage: err.errorMessage ?? null, resourceType: r.resourceType, resourceName: r.resourceName };
      }),
    };
    return encodeResponseFrame(ApiKey.DescribeConfigs, v, { correlationId: ex.correlationId }, merged, encodeDescribeConfigsResponse);
  }

  // ---- CreateTopics

  private async createTopics(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeCreateTopicsRequest);
    const policy = this.policy();
    const parts = new Map<string, CreateTopicsRequest>();
    const refused = new Map<string, RouteError>();
    for (const t of body.topics) {
      const backend = this.backendOfTopic(t.name, policy);
      if (typeof backend !== 'string') {
        refused.set(t.name, backend);
        continue;
      }
      let part = parts.get(backend);
      if (part === undefined) parts.set(backend, (part = { ...body, topics: [] }));
      part.topics.push(t);
    }
    const answered = new Map<string, CreateTopicsResponse['topics'][number]>();
    let throttleTimeMs = 0;
    await Promise.all(
      [...parts].map(async ([backend, req]) => {
        try {
          const frame = encodeRequestFrame(header, req, encodeCreateTopicsRequest);
          const res = await this.send(session, this.anyBrokerOf(backend), frame);
          const answer = decodeResponseFrame(res, ApiKey.CreateTopics, v, decodeCreateTopicsResponse).body;
          throttleTimeMs = Math.max(throttleTimeMs, answer.throttleTimeMs);
          for (const t of answer.topics) {
            if (t.topicId !== ZERO_UUID && t.errorCode === 0) t.topicId = this.topicIds.observeServing(backend, t.name, t.topicId).virtualId;
            answered.set(t.name, t);
          }
        } catch (err) {
          for (const t of req.topics) refused.set(t.name, { errorCode: failureOf(err).errorCode === NOT_LEADER_OR_FOLLOWER ? LEADER_NOT_AVAILABLE : failureOf(err).errorCode });
        }
      }),
    );
    const merged: CreateTopicsResponse = {
      throttleTimeMs,
      topics: body.topics.map((t) => {
        const a = answered.get(t.name);
        if (a !== undefined) return a;
        const err = refused.get(t.name) ?? { errorCode: LEADER_NOT_AVAILABLE };
        const result = createCreatableTopicResult();
        result.name = t.name;
        result.errorCode = err.errorCode;
        if (v >= 1 && err.errorMessage !== undefined) result.errorMessage = err.errorMessage;
        return result;
      }),
    };
    return encodeResponseFrame(ApiKey.CreateTopics, v, { correlationId: ex.correlationId }, merged, encodeCreateTopicsResponse);
  }

  // ---- coordinators

  private coordinatorNodeOf(key: string): number {
    return nameHash(key) % this.nodeCount;
  }

  private findCoordinator(session: ClientSession, ex: RequestExchange): Buffer {
    const v = ex.apiVersion;
    const { body } = decodeRequestFrame(ex.frame, decodeFindCoordinatorRequest);
    const l = this.listenerOf(session);
    const policy = this.policy();
    const answer = (key: string): { nodeId: number; host: string; port: number; errorCode: number; errorMessage: string | null } => {
      const kind = body.keyType === KEY_TYPE_TRANSACTION ? 'transactionalId' : 'group';
      if (body.keyType !== KEY_TYPE_GROUP && body.keyType !== KEY_TYPE_TRANSACTION) {
        return { nodeId: -1, host: '', port: -1, errorCode: INVALID_REQUEST, errorMessage: `key type ${body.keyType} is not routed over several backends` };
      }
      const res = policy.resolve(kind, key);
      if (!res.ok) return { nodeId: -1, host: '', port: -1, errorCode: res.errorCode, errorMessage: res.reason };
      const nodeId = this.coordinatorNodeOf(key);
      const port = l.nodePort(nodeId);
      if (port === undefined) return { nodeId: -1, host: '', port: -1, errorCode: COORDINATOR_NOT_AVAILABLE, errorMessage: null };
      return { nodeId, host: l.advertisedHost, port, errorCode: 0, errorMessage: null };
    };
    // Fields a version lacks keep their defaults: the encoder refuses anything else.
    const m: FindCoordinatorResponse = createFindCoordinatorResponse();
    if (v < 4) {
      const a = answer(body.key);
      Object.assign(m, a);
    } else {
      m.coordinators = body.coordinatorKeys.map((key) => ({ key, ...answer(key) }));
    }
    return encodeResponseFrame(ApiKey.FindCoordinator, v, { correlationId: ex.correlationId }, m, encodeFindCoordinatorResponse);
  }

  private toGroupCoordinator(session: ClientSession, ex: RequestExchange, groupId: string, unavailable?: () => Buffer): Promise<Buffer> {
    const backend = this.backendOfKey(KEY_TYPE_GROUP, groupId);
    // The client was told at FindCoordinator; a request anyway gets the coordinator error.
    if (backend === undefined) return Promise.resolve(unavailable === undefined ? this.failureFrame(ex) : unavailable());
    return this.toCoordinator(session, ex, backend, KEY_TYPE_GROUP, groupId, ex.frame, unavailable);
  }

  /**
   * JoinGroup, refused when a consumer subscribes to topics that live on another backend than
   * the group: that backend's coordinator could not commit their offsets, and the group would
   * silently lose its positions.
   */
  private joinGroup(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const { body } = decodeRequestFrame(ex.frame, decodeJoinGroupRequest);
    const backend = this.backendOfKey(KEY_TYPE_GROUP, body.groupId);
    if (backend !== undefined && body.protocolType === 'consumer') {
      const policy = this.policy();
      const elsewhere = new Set<string>();
      for (const p of body.protocols) {
        for (const topic of subscribedTopics(p.metadata)) {
          const b = this.backendOfTopic(topic, policy);
          if (typeof b === 'string' && b !== backend) elsewhere.add(topic);
        }
      }
      if (elsewhere.size > 0) {
        this.log.warn({ groupId: body.groupId, backend, topics: [...elsewhere] }, 'a consumer group subscribes to topics on another backend: refused');
        const m = createJoinGroupResponse();
        m.errorCode = INCONSISTENT_GROUP_PROTOCOL;
        m.memberId = body.memberId;
        return Promise.resolve(encodeResponseFrame(ApiKey.JoinGroup, ex.apiVersion, { correlationId: ex.correlationId }, m, encodeJoinGroupResponse));
      }
    }
    return this.toGroupCoordinator(session, ex, body.groupId);
  }

  /** The backend of a group's or transactional id's domain, or undefined when none claims it. */
  private backendOfKey(keyType: number, key: string): string | undefined {
    const res = this.policy().resolve(keyType === KEY_TYPE_TRANSACTION ? 'transactionalId' : 'group', key);
    return res.ok && this.topologies.has(res.domain.backend) ? res.domain.backend : undefined;
  }

  /**
   * Sends `frame` to the real coordinator of a key; resolves with the response frame in the
   * client's correlation. When the coordinator cannot be found or reached, answers with
   * `unavailable` (the api's COORDINATOR_NOT_AVAILABLE answer, which clients retry), or with
   * the generic failure answer of the api.
   */
  private async toCoordinator(
    session: ClientSession,
    ex: RequestExchange,
    backend: string,
    keyType: number,
    key: string,
    frame: Buffer,
    unavailable?: () => Buffer,
  ): Promise<Buffer> {
    const cacheKey = `${backend}/${keyType}/${key}`;
    try {
      let brokerId = this.coordinators.get(cacheKey);
      if (brokerId === undefined) {
        brokerId = await this.lookUpCoordinator(session, backend, keyType, key);
        this.coordinators.set(cacheKey, brokerId);
      }
      const res = await this.send(session, this.addressOf(backend, brokerId), frame);
      writeResponseCorrelationId(res, ex.correlationId);
      if (this.answersNotCoordinator(res, ex)) this.coordinators.delete(cacheKey);
      return res;
    } catch (err) {
      this.coordinators.delete(cacheKey);
      this.log.debug({ err, key, keyType, backend }, 'coordinator request failed');
      return unavailable === undefined ? this.failureFrame(ex) : unavailable();
    }
  }

  private async describeGroups(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeDescribeGroupsRequest);
    const byBackend = new Map<string, string[]>();
    const refused = new Map<string, number>();
    for (const g of body.groups) {
      const res = this.policy().resolve('group', g);
      if (!res.ok || !this.topologies.has(res.domain.backend)) {
        refused.set(g, res.ok ? COORDINATOR_NOT_AVAILABLE : res.errorCode);
        continue;
      }
      let list = byBackend.get(res.domain.backend);
      if (list === undefined) byBackend.set(res.domain.backend, (list = []));
      list.push(g);
    }
    const answered = new Map<string, DescribeGroupsResponse['groups'][number]>();
    let throttleTimeMs = 0;
    await Promise.all(
      [...byBackend].map(async ([backend, groups]) => {
        // One request per real coordinator.
        const byCoordinator = new Map<number, string[]>();
        for (const g of groups) {
          try {
            const cacheKey = `${backend}/${KEY_TYPE_GROUP}/${g}`;
            let brokerId = this.coordinators.get(cacheKey);
            if (brokerId === undefined) {
              brokerId = await this.lookUpCoordinator(session, backend, KEY_TYPE_GROUP, g);
              this.coordinators.set(cacheKey, brokerId);
            }
            let list = byCoordinator.get(brokerId);
            if (list === undefined) byCoordinator.set(brokerId, (list = []));
            list.push(g);
          } catch {
            refused.set(g, COORDINATOR_NOT_AVAILABLE);
          }
        }
        await Promise.all(
          [...byCoordinator].map(async ([brokerId, part]) => {
            try {
              const frame = encodeRequestFrame(header, { ...body, groups: part }, encodeDescribeGroupsRequest);
              const res = await this.send(session, this.addressOf(backend, brokerId), frame);
              const answer = decodeResponseFrame(res, ApiKey.DescribeGroups, v, decodeDescribeGroupsResponse).body;
              throttleTimeMs = Math.max(throttleTimeMs, answer.throttleTimeMs);
              for (const g of answer.groups) {
                if (g.errorCode === NOT_COORDINATOR || g.errorCode === COORDINATOR_NOT_AVAILABLE) this.coordinators.delete(`${backend}/${KEY_TYPE_GROUP}/${g.groupId}`);
                answered.set(g.groupId, g);
              }
            } catch {
              for (const g of part) refused.set(g, COORDINATOR_NOT_AVAILABLE);
            }
          }),
        );
      }),
    );
    const merged: DescribeGroupsResponse = {
      throttleTimeMs,
      groups: body.groups.map((g) => answered.get(g) ?? { ...createDescribedGroup(), groupId: g, errorCode: refused.get(g) ?? COORDINATOR_NOT_AVAILABLE }),
    };
    return encodeResponseFrame(ApiKey.DescribeGroups, v, { correlationId: ex.correlationId }, merged, encodeDescribeGroupsResponse);
  }

  private async listGroups(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeListGroupsRequest);
    const merged: ListGroupsResponse = { ...createListGroupsResponse(), groups: [] };
    const seen = new Set<string>();
    const asks: Array<Promise<void>> = [];
    for (const t of this.topologies.values()) {
      for (const brokerId of t.brokers().keys()) {
        asks.push(
          (async () => {
            try {
              const frame = encodeRequestFrame(header, body, encodeListGroupsRequest);
              const res = await this.send(session, this.addressOf(t.backend, brokerId), frame);
              const answer = decodeResponseFrame(res, ApiKey.ListGroups, v, decodeListGroupsResponse).body;
              merged.throttleTimeMs = Math.max(merged.throttleTimeMs, answer.throttleTimeMs);
              if (answer.errorCode !== 0) merged.errorCode = answer.errorCode;
              for (const g of answer.groups) {
                if (this.backendOfKey(KEY_TYPE_GROUP, g.groupId) !== t.backend) continue;
                if (session.virtualNodeId >= 0 && this.coordinatorNodeOf(g.groupId) !== session.virtualNodeId) continue;
                if (seen.has(g.groupId)) continue;
                seen.add(g.groupId);
                merged.groups.push(g);
              }
            } catch {
              merged.errorCode = COORDINATOR_NOT_AVAILABLE;
            }
          })(),
        );
      }
    }
    await Promise.all(asks);
    merged.groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
    return encodeResponseFrame(ApiKey.ListGroups, v, { correlationId: ex.correlationId }, merged, encodeListGroupsResponse);
  }

  // ---- transactions

  /** The real producer of a transactional request's virtual one on `backend`, or the error to answer with. */
  private transactionalProducerToReal(producerId: bigint, producerEpoch: number, backend: string): ProducerIdAndEpoch | number {
    try {
      const real = this.producerIds.toReal(producerId, producerEpoch, backend, true);
      // A transactional producer is bound by its InitProducerId: never obtained here.
      return real instanceof Promise ? INVALID_PRODUCER_ID_MAPPING : real;
    } catch (err) {
      if (err instanceof ProducerMappingError) return err.errorCode;
      throw err;
    }
  }

  private async initProducerId(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeInitProducerIdRequest);
    const answer = (errorCode: number): Buffer =>
      encodeResponseFrame(ApiKey.InitProducerId, v, { correlationId: ex.correlationId }, { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 }, encodeInitProducerIdResponse);
    const transactionalId = body.transactionalId;
    if (transactionalId === null) {
      const m = answerIdempotentInitProducerId(this.producerIds);
      return encodeResponseFrame(ApiKey.InitProducerId, v, { correlationId: ex.correlationId }, m, encodeInitProducerIdResponse);
    }
    const res = this.policy().resolve('transactionalId', transactionalId);
    if (!res.ok) return answer(res.errorCode);
    const backend = res.domain.backend;
    if (!this.topologies.has(backend)) return answer(COORDINATOR_NOT_AVAILABLE);
    const err = initProducerIdRequestToReal(body, v, backend, this.producerIds);
    if (err !== 0) return answer(err);
    const frame = await this.toCoordinator(session, ex, backend, KEY_TYPE_TRANSACTION, transactionalId, encodeRequestFrame(header, body, encodeInitProducerIdRequest), () =>
      answer(COORDINATOR_NOT_AVAILABLE),
    );
    const decoded = decodeResponseFrame(frame, ApiKey.InitProducerId, v, decodeInitProducerIdResponse);
    initProducerIdResponseToVirtual(decoded.body, transactionalId, backend, this.producerIds);
    return encodeResponseFrame(ApiKey.InitProducerId, v, decoded.header, decoded.body, encodeInitProducerIdResponse);
  }

  private async addPartitionsToTxn(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeAddPartitionsToTxnRequest);
    const answerAll = (codeOf: (topic: string) => number): Buffer => {
      const m = createAddPartitionsToTxnResponse();
      m.resultsByTopicV3AndBelow = body.v3AndBelowTopics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: codeOf(t.name) })),
      }));
      return encodeResponseFrame(ApiKey.AddPartitionsToTxn, v, { correlationId: ex.correlationId }, m, encodeAddPartitionsToTxnResponse);
    };
    const transactionalId = body.v3AndBelowTransactionalId;
    const backend = this.backendOfKey(KEY_TYPE_TRANSACTION, transactionalId);
    if (backend === undefined) return answerAll(() => TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const policy = this.policy();
    const elsewhere = body.v3AndBelowTopics.filter((t) => this.backendOfTopic(t.name, policy) !== backend).map((t) => t.name);
    if (elsewhere.length > 0) {
      this.log.warn({ transactionalId, backend, topics: elsewhere }, 'a transaction spans backends: refused');
      const refused = new Set(elsewhere);
      return answerAll((topic) => (refused.has(topic) ? INVALID_TXN_STATE : OPERATION_NOT_ATTEMPTED));
    }
    const real = this.transactionalProducerToReal(body.v3AndBelowProducerId, body.v3AndBelowProducerEpoch, backend);
    if (typeof real === 'number') return answerAll(() => real);
    body.v3AndBelowProducerId = real.producerId;
    body.v3AndBelowProducerEpoch = real.producerEpoch;
    return this.toCoordinator(session, ex, backend, KEY_TYPE_TRANSACTION, transactionalId, encodeRequestFrame(header, body, encodeAddPartitionsToTxnRequest), () =>
      answerAll(() => COORDINATOR_NOT_AVAILABLE),
    );
  }

  private async addOffsetsToTxn(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeAddOffsetsToTxnRequest);
    const answer = (errorCode: number): Buffer =>
      encodeResponseFrame(ApiKey.AddOffsetsToTxn, v, { correlationId: ex.correlationId }, { throttleTimeMs: 0, errorCode }, encodeAddOffsetsToTxnResponse);
    const backend = this.backendOfKey(KEY_TYPE_TRANSACTION, body.transactionalId);
    if (backend === undefined) return answer(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    if (this.backendOfKey(KEY_TYPE_GROUP, body.groupId) !== backend) {
      this.log.warn({ transactionalId: body.transactionalId, groupId: body.groupId, backend }, 'a transaction commits offsets of a group on another backend: refused');
      return answer(INVALID_TXN_STATE);
    }
    const real = this.transactionalProducerToReal(body.producerId, body.producerEpoch, backend);
    if (typeof real === 'number') return answer(real);
    body.producerId = real.producerId;
    body.producerEpoch = real.producerEpoch;
    return this.toCoordinator(session, ex, backend, KEY_TYPE_TRANSACTION, body.transactionalId, encodeRequestFrame(header, body, encodeAddOffsetsToTxnRequest), () =>
      answer(COORDINATOR_NOT_AVAILABLE),
    );
  }

  private async endTxn(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const v = ex.apiVersion;
    const { header, body } = decodeRequestFrame(ex.frame, decodeEndTxnRequest);
    const answer = (errorCode: number): Buffer => {
      const m = createEndTxnResponse();
      m.errorCode = errorCode;
      return encodeResponseFrame(ApiKey.EndTxn, v, { correlationId: ex.correlationId }, m, encodeEndTxnResponse);
    };
    const backend = this.backendOfKey(KEY_TYPE_TRANSACTION, body.transactionalId);
    if (backend === undefined) return answer(TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const real = this.transactionalProducerToReal(body.producerId, body.producerEpoch, backend);
    if (typeof real === 'number') return answer(real);
    body.producerId = real.producerId;
    body.producerEpoch = real.producerEpoch;
    const frame = await this.toCoordinator(session, ex, backend, KEY_TYPE_TRANSACTION, body.transactionalId, encodeRequestFrame(header, body, encodeEndTxnRequest), () =>
      answer(COORDINATOR_NOT_AVAILABLE),
    );
    if (v < END_TXN_FIRST_PRODUCER_VERSION) return frame;
    // From v5 the answer carries the producer (KIP-890): back to the virtual one.
    const decoded = decodeResponseFrame(frame, ApiKey.EndTxn, v, decodeEndTxnResponse);
    const virtual = this.producerIds.toVirtual(backend, decoded.body.producerId, decoded.body.producerEpoch);
    if (virtual !== undefined) {
      decoded.body.producerId = virtual.producerId;
      decoded.body.producerEpoch = virtual.producerEpoch;
    }
    return encodeResponseFrame(ApiKey.EndTxn, v, decoded.header, decoded.body, encodeEndTxnResponse);
  }

  private async txnOffsetCommit(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    const { header, body } = decodeRequestFrame(ex.frame, decodeTxnOffsetCommitRequest);
    const backend = this.backendOfKey(KEY_TYPE_GROUP, body.groupId);
    if (backend === undefined || this.backendOfKey(KEY_TYPE_TRANSACTION, body.transactionalId) !== backend) return this.failureFrame(ex);
    const real = this.transactionalProducerToReal(body.producerId, body.producerEpoch, backend);
    if (typeof real === 'number') return this.failureFrame(ex);
    body.producerId = real.producerId;
    body.producerEpoch = real.producerEpoch;
    return this.toCoordinator(session, ex, backend, KEY_TYPE_GROUP, body.groupId, encodeRequestFrame(header, body, encodeTxnOffsetCommitRequest));
  }

  private failureFrame(ex: RequestExchange): Buffer {
    const frame = buildFailureResponse(ex);
    if (frame === null) throw new Error(`no failure response for ${apiName(ex.apiKey)}`);
    return frame;
  }

  /** The real coordinator's broker id for a key on a backend. */
  private async lookUpCoordinator(session: ClientSession, backend: string, keyType: number, key: string): Promise<number> {
    const req = createFindCoordinatorRequest();
    req.key = key;
    req.keyType = keyType;
    const v = BACKEND_FIND_COORDINATOR_VERSION;
    const frame = encodeRequestFrame({ apiKey: ApiKey.FindCoordinator, apiVersion: v, correlationId: 0, clientId: CLIENT_ID }, req, encodeFindCoordinatorRequest);
    const res = await this.send(session, this.anyBrokerOf(backend), frame);
    const answer = decodeResponseFrame(res, ApiKey.FindCoordinator, v, decodeFindCoordinatorResponse).body;
    if (answer.errorCode !== 0 || answer.nodeId < 0) throw new Error(`FindCoordinator on ${backend} answered error ${answer.errorCode}`);
    return answer.nodeId;
  }

  /** True when a coordinator's answer says it is not (or no longer) the coordinator. */
  private answersNotCoordinator(frame: Buffer, ex: RequestExchange): boolean {
    try {
      const header = decodeResponseHeader(frame.subarray(4), responseHeaderVersion(ex.apiKey, ex.apiVersion));
      const m = decodeResponseBody(ex.apiKey, ex.apiVersion, frame.subarray(4 + header.headerSizeBytes)) as {
        errorCode?: number;
        groups?: Array<{ errorCode?: number }>;
        topics?: Array<{ partitions?: Array<{ errorCode?: number }> }>;
      };
      const isNot = (code: number | undefined): boolean => code === NOT_COORDINATOR || code === COORDINATOR_NOT_AVAILABLE;
      if (isNot(m.errorCode)) return true;
      if (m.groups?.some((g) => isNot(g.errorCode)) === true) return true;
      return m.topics?.some((t) => t.partitions?.some((p) => isNot(p.errorCode)) === true) === true;
    } catch {
      return false;
    }
  }

  // ---- answered here

  private describeCluster(session: ClientSession, ex: RequestExchange): Buffer {
    const v = ex.apiVersion;
    const m: DescribeClusterResponse = {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: 1,
      clusterId: this.clusterId,
      controllerId: 0,
      brokers: this.brokersFor(session).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack, isFenced: false })),
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
    return encodeResponseFrame(ApiKey.DescribeCluster, v, { correlationId: ex.correlationId }, m, encodeDescribeClusterResponse);
  }

  /** A real producer id for `backend`, from InitProducerId without transactional id on Turnout's own session. */
  private async obtainProducerId(backend: string): Promise<ProducerIdAndEpoch> {
    const session = this.ownSession;
    if (session === null) throw new Error('no session for Turnout requests');
    const range = this.topologies.get(backend)?.apiVersions.range(ApiKey.InitProducerId);
    if (range === undefined) throw new Error(`backend ${backend} does not support InitProducerId`);
    const v = Math.min(range.maxVersion, 4);
    const req = createInitProducerIdRequest();
    req.transactionalId = null;
    req.transactionTimeoutMs = -1;
    req.producerId = -1n;
    req.producerEpoch = -1;
    const frame = encodeRequestFrame({ apiKey: ApiKey.InitProducerId, apiVersion: v, correlationId: 0, clientId: CLIENT_ID }, req, encodeInitProducerIdRequest);
    const res = await this.send(session, this.anyBrokerOf(backend), frame);
    const answer = decodeResponseFrame(res, ApiKey.InitProducerId, v, decodeInitProducerIdResponse).body;
    if (answer.errorCode !== 0) throw new Error(`InitProducerId on ${backend} answered error ${answer.errorCode}`);
    return { producerId: answer.producerId, producerEpoch: answer.producerEpoch };
  }
}

