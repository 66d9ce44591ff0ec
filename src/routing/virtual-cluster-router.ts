// The router for one backend cluster presented as Turnout's virtual cluster.
//
// Per request (after the request pipeline, which answers ApiVersions and gates versions): each
// goes to the backend broker behind the virtual node
// the client connected to (or any broker, from a bootstrap connection). Only the apis in the
// two tables below are decoded: requests that carry virtual broker ids, and responses that
// carry backend broker ids, addresses or the cluster id. Every other frame passes as bytes.
// Large Fetch responses are rewritten as they stream through (fetch-stream.ts) rather than
// decoded whole, so their records reach the client while the rest still arrives.
import {
  ApiKey,
  DecodeError,
  EncodeError,
  decodeAlterConfigsRequest,
  decodeAlterConfigsResponse,
  decodeAlterPartitionReassignmentsRequest,
  decodeCreatePartitionsRequest,
  decodeCreateTopicsRequest,
  decodeDescribeClusterResponse,
  decodeDescribeConfigsRequest,
  decodeDescribeConfigsResponse,
  decodeDescribeQuorumResponse,
  decodeDescribeTopicPartitionsResponse,
  decodeFetchResponse,
  decodeFindCoordinatorResponse,
  decodeIncrementalAlterConfigsRequest,
  decodeIncrementalAlterConfigsResponse,
  decodeListPartitionReassignmentsResponse,
  decodeMetadataResponse,
  decodeProduceResponse,
  decodeShareAcknowledgeResponse,
  decodeShareFetchResponse,
  decodeUnregisterBrokerRequest,
  encodeAlterConfigsRequest,
  encodeAlterConfigsResponse,
  encodeAlterPartitionReassignmentsRequest,
  encodeCreatePartitionsRequest,
  encodeCreateTopicsRequest,
  encodeDescribeClusterResponse,
  encodeDescribeConfigsRequest,
  encodeDescribeConfigsResponse,
  encodeDescribeQuorumResponse,
  encodeDescribeTopicPartitionsResponse,
  encodeFetchResponse,
  encodeFindCoordinatorResponse,
  encodeIncrementalAlterConfigsRequest,
  encodeIncrementalAlterConfigsResponse,
  encodeListPartitionReassignmentsResponse,
  encodeMetadataResponse,
  encodeProduceResponse,
  encodeShareAcknowledgeResponse,
  encodeShareFetchResponse,
  encodeUnregisterBrokerRequest,
} from '../codec/index.js';
import {
  RequestRejectedError,
  type BrokerAddress,
  type ClientSession,
  type RequestExchange,
  type RequestRouter,
  type ResponseBytesSink,
  type ResponseStream,
} from '../net/request-router.js';
import type { UpstreamError } from '../net/upstream-connection.js';
import type { Logger } from '../observability/logger.js';
import type { ApiVersionsTable } from './api-versions.js';
import type { TopologyView } from './backend-topology.js';
import {
  rewriteAlterPartitionReassignmentsRequest,
  rewriteCreatePartitionsRequest,
  rewriteCreateTopicsRequest,
  rewriteDescribeQuorumResponse,
  rewriteDescribeTopicPartitionsResponse,
  rewriteListPartitionReassignmentsResponse,
  rewriteUnregisterBrokerRequest,
} from './broker-id-rewrite.js';
import {
  rewriteConfigResourcesRequest,
  rewriteConfigResourcesResponse,
  rewriteDescribeConfigsResults,
} from './config-resource-rewrite.js';
import { rewriteDescribeClusterResponse } from './describe-cluster-rewrite.js';
import { buildFailureResponse } from './failure-responses.js';
import { createFetchResponseStream } from './fetch-stream.js';
import type { FetchTailEvents } from './fetch-stream-tail.js';
import { rewriteFindCoordinatorResponse } from './find-coordinator-rewrite.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../codec/message-frames.js';
import { rewriteMetadataResponse } from './metadata-rewrite.js';
import { rewriteFetchResponse, rewriteProduceResponse, rewriteShareResponse } from './node-endpoints-rewrite.js';
import { produceResponseMayNameBrokers } from './produce-response-scan.js';
import type { NodeEndpoint, RewriteContext } from './rewrite-context.js';
import type { VirtualNodeMap } from './virtual-node-map.js';

/** Rewrites a request in place (`exchange.frame`, `exchange.routeState`). */
type RequestRewrite = (exchange: RequestExchange, ctx: RewriteContext) => void;
/** Returns the response frame to send: `frame` itself when nothing changed. */
type ResponseRewrite = (frame: Buffer, exchange: RequestExchange, ctx: RewriteContext) => Buffer;

/** What the router needs of a listener: where its virtual nodes are reached. */
export interface ListenerView {
  readonly name: string;
  readonly advertisedHost: string;
  nodePort(virtualNodeId: number): number | undefined;
}

/** The rewrite context of one listener. */
class ListenerRewriteContext implements RewriteContext {
  readonly clusterId: string;
  private readonly backend: string;
  private readonly nodeMap: VirtualNodeMap;
  private readonly listener: ListenerView;
  private readonly onUnknownBroker: () => void;

  constructor(clusterId: string, backend: string, nodeMap: VirtualNodeMap, listener: ListenerView, onUnknownBroker: () => void) {
    this.clusterId = clusterId;
    this.backend = backend;
    this.nodeMap = nodeMap;
    this.listener = listener;
    this.onUnknownBroker = onUnknownBroker;
  }

  toVirtual(brokerId: number): number {
    if (brokerId < 0) return brokerId;
    const known = this.nodeMap.lookupVirtualId(this.backend, brokerId);
    if (known >= 0) return known;
    this.onUnknownBroker();
    return this.nodeMap.virtualIdFor(this.backend, brokerId);
  }

  toBackend(virtualNodeId: number): number {
    const ref = this.nodeMap.brokerFor(virtualNodeId);
    return ref !== undefined && ref.backend === this.backend ? ref.brokerId : -1;
  }

  endpoint(virtualNodeId: number): NodeEndpoint | null {
    const port = this.listener.nodePort(virtualNodeId);
    return port === undefined ? null : { host: this.listener.advertisedHost, port };
  }
}

// ---- requests carrying virtual broker ids

const REQUEST_REWRITES: (RequestRewrite | undefined)[] = [];

REQUEST_REWRITES[ApiKey.DescribeConfigs] = (ex, ctx) => {
  const { header, body } = decodeRequestFrame(ex.frame, decodeDescribeConfigsRequest);
  const { originals, changed } = rewriteConfigResourcesRequest(body.resources, ctx);
  if (!changed) return;
  ex.routeState = originals;
  ex.frame = encodeRequestFrame(header, body, encodeDescribeConfigsRequest);
};

REQUEST_REWRITES[ApiKey.AlterConfigs] = (ex, ctx) => {
  const { header, body } = decodeRequestFrame(ex.frame, decodeAlterConfigsRequest);
  const { originals, changed } = rewriteConfigResourcesRequest(body.resources, ctx);
  if (!changed) return;
  ex.routeState = originals;
  ex.frame = encodeRequestFrame(header, body, encodeAlterConfigsRequest);
};

REQUEST_REWRITES[ApiKey.IncrementalAlterConfigs] = (ex, ctx) => {
  const { header, body } = decodeRequestFrame(ex.frame, decodeIncrementalAlterConfigsRequest);
  const { originals, changed } = rewriteConfigResourcesRequest(body.resources, ctx);
  if (!changed) return;
  ex.routeState = originals;
  ex.frame = encodeRequestFrame(header, body, encodeIncrementalAlterConfigsRequest);
};

REQUEST_REWRITES[ApiKey.CreateTopics] = (ex, ctx) => {
  const { header, body } = decodeRequestFrame(ex.frame, decodeCreateTopicsRequest);
  if (rewriteCreateTopicsRequest(body, ctx)) ex.frame = encodeRequestFrame(header, body, encodeCreateTopicsRequest);
};

REQUEST_REWRITES[ApiKey.CreatePartitions] = (ex, ctx) => {
  const { header, body } = decodeRequestFrame(ex.frame, decodeCreatePartitionsRequest);
  if (rewriteCreatePartitionsRequest(body, ctx)) ex.frame = encodeRequestFrame(header, body, encodeCreatePartitionsRequest);
};

REQUEST_REWRITES[ApiKey.AlterPartitionReassignments] = (ex, ctx) => {
  const { header, body } = decodeRequestFrame(ex.frame, decodeAlterPartitionReassignmentsRequest);
  if (rewriteAlterPartitionReassignmentsRequest(body, ctx)) {
    ex.frame = encodeRequestFrame(header, body, encodeAlterPartitionReassignmentsRequest);
  }
};

REQUEST_REWRITES[ApiKey.UnregisterBroker] = (ex, ctx) => {
  const { header, body } = decodeRequestFrame(ex.frame, decodeUnregisterBrokerRequest);
  if (rewriteUnregisterBrokerRequest(body, ctx)) ex.frame = encodeRequestFrame(header, body, encodeUnregisterBrokerRequest);
};

// ---- responses carrying backend broker ids, addresses or the cluster id

const RESPONSE_REWRITES: (ResponseRewrite | undefined)[] = [];

RESPONSE_REWRITES[ApiKey.Metadata] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  const { header, body } = decodeResponseFrame(frame, ApiKey.Metadata, v, decodeMetadataResponse);
  rewriteMetadataResponse(body, v, ctx);
  return encodeResponseFrame(ApiKey.Metadata, v, header, body, encodeMetadataResponse);
};

RESPONSE_REWRITES[ApiKey.FindCoordinator] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  const { header, body } = decodeResponseFrame(frame, ApiKey.FindCoordinator, v, decodeFindCoordinatorResponse);
  rewriteFindCoordinatorResponse(body, v, ctx);
  return encodeResponseFrame(ApiKey.FindCoordinator, v, header, body, encodeFindCoordinatorResponse);
};

RESPONSE_REWRITES[ApiKey.DescribeCluster] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  const { header, body } = decodeResponseFrame(frame, ApiKey.DescribeCluster, v, decodeDescribeClusterResponse);
  rewriteDescribeClusterResponse(body, ctx);
  return encodeResponseFrame(ApiKey.DescribeCluster, v, header, body, encodeDescribeClusterResponse);
};

/** Produce names brokers from v10 (CurrentLeader, NodeEndpoints). */
const PRODUCE_FIRST_LEADER_VERSION = 10;
/** Fetch names brokers from v11 (PreferredReadReplica), then v12 (CurrentLeader), v16 (NodeEndpoints). */
const FETCH_FIRST_REPLICA_VERSION = 11;

RESPONSE_REWRITES[ApiKey.Produce] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  // Most answers name no broker: a walk over the bytes says so without decoding them.
  if (v < PRODUCE_FIRST_LEADER_VERSION || !produceResponseMayNameBrokers(frame, v)) return frame;
  const { header, body } = decodeResponseFrame(frame, ApiKey.Produce, v, decodeProduceResponse);
  if (!rewriteProduceResponse(body, ctx)) return frame;
  return encodeResponseFrame(ApiKey.Produce, v, header, body, encodeProduceResponse);
};

RESPONSE_REWRITES[ApiKey.Fetch] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  if (v < FETCH_FIRST_REPLICA_VERSION) return frame;
  const { header, body } = decodeResponseFrame(frame, ApiKey.Fetch, v, decodeFetchResponse);
  if (!rewriteFetchResponse(body, ctx)) return frame;
  return encodeResponseFrame(ApiKey.Fetch, v, header, body, encodeFetchResponse);
};

RESPONSE_REWRITES[ApiKey.ShareFetch] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  const { header, body } = decodeResponseFrame(frame, ApiKey.ShareFetch, v, decodeShareFetchResponse);
  if (!rewriteShareResponse(body, ctx)) return frame;
  return encodeResponseFrame(ApiKey.ShareFetch, v, header, body, encodeShareFetchResponse);
};

RESPONSE_REWRITES[ApiKey.ShareAcknowledge] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  const { header, body } = decodeResponseFrame(frame, ApiKey.ShareAcknowledge, v, decodeShareAcknowledgeResponse);
  if (!rewriteShareResponse(body, ctx)) return frame;
  return encodeResponseFrame(ApiKey.ShareAcknowledge, v, header, body, encodeShareAcknowledgeResponse);
};

function originalNames(ex: RequestExchange): Map<string, string> | null {
  return ex.routeState instanceof Map ? (ex.routeState as Map<string, string>) : null;
}

RESPONSE_REWRITES[ApiKey.DescribeConfigs] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  const { header, body } = decodeResponseFrame(frame, ApiKey.DescribeConfigs, v, decodeDescribeConfigsResponse);
  rewriteDescribeConfigsResults(body.results, originalNames(ex), ctx);
  return encodeResponseFrame(ApiKey.DescribeConfigs, v, header, body, encodeDescribeConfigsResponse);
};

RESPONSE_REWRITES[ApiKey.AlterConfigs] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  const { header, body } = decodeResponseFrame(frame, ApiKey.AlterConfigs, v, decodeAlterConfigsResponse);
  rewriteConfigResourcesResponse(body.responses, originalNames(ex), ctx);
  return encodeResponseFrame(ApiKey.AlterConfigs, v, header, body, encodeAlterConfigsResponse);
};

RESPONSE_REWRITES[ApiKey.IncrementalAlterConfigs] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  const { header, body } = decodeResponseFrame(frame, ApiKey.IncrementalAlterConfigs, v, decodeIncrementalAlterConfigsResponse);
  rewriteConfigResourcesResponse(body.responses, originalNames(ex), ctx);
  return encodeResponseFrame(ApiKey.IncrementalAlterConfigs, v, header, body, encodeIncrementalAlterConfigsResponse);
};

RESPONSE_REWRITES[ApiKey.DescribeQuorum] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  const { header, body } = decodeResponseFrame(frame, ApiKey.DescribeQuorum, v, decodeDescribeQuorumResponse);
  rewriteDescribeQuorumResponse(body, ctx);
  return encodeResponseFrame(ApiKey.DescribeQuorum, v, header, body, encodeDescribeQuorumResponse);
};

RESPONSE_REWRITES[ApiKey.DescribeTopicPartitions] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  const { header, body } = decodeResponseFrame(frame, ApiKey.DescribeTopicPartitions, v, decodeDescribeTopicPartitionsResponse);
  rewriteDescribeTopicPartitionsResponse(body, ctx);
  return encodeResponseFrame(ApiKey.DescribeTopicPartitions, v, header, body, encodeDescribeTopicPartitionsResponse);
};

RESPONSE_REWRITES[ApiKey.ListPartitionReassignments] = (frame, ex, ctx) => {
  const v = ex.apiVersion;
  const { header, body } = decodeResponseFrame(frame, ApiKey.ListPartitionReassignments, v, decodeListPartitionReassignmentsResponse);
  rewriteListPartitionReassignmentsResponse(body, ctx);
  return encodeResponseFrame(ApiKey.ListPartitionReassignments, v, header, body, encodeListPartitionReassignmentsResponse);
};

/** Api keys whose responses Turnout rewrites (for tests and docs). */
export const REWRITTEN_RESPONSE_APIS: readonly number[] = RESPONSE_REWRITES.flatMap((r, k) => (r === undefined ? [] : [k]));
/** Api keys whose requests Turnout rewrites. */
export const REWRITTEN_REQUEST_APIS: readonly number[] = REQUEST_REWRITES.flatMap((r, k) => (r === undefined ? [] : [k]));

/** Counts of Fetch responses streamed through (exposed for tests and diagnostics). */
export interface FetchStreamCounts {
  streamed: number;
  /** NodeEndpoints rewritten in a streamed response, padded to keep its length. */
  endpointsRewritten: number;
  /** NodeEndpoints replaced by padding: rewritten, it would not fit the frame already announced. */
  endpointsDropped: number;
}

/** Counts the tail events of streamed responses and logs the drops of one session. */
class StreamTailEvents implements FetchTailEvents {
  private readonly counts: FetchStreamCounts;
  private readonly session: ClientSession;

  constructor(counts: FetchStreamCounts, session: ClientSession) {
    this.counts = counts;
    this.session = session;
  }

  onEndpointsRewritten(): void {
    this.counts.endpointsRewritten++;
  }

  onEndpointsDropped(tailBytes: number, rewrittenTailBytes: number): void {
    this.counts.endpointsDropped++;
    this.session.log.warn(
      { tailBytes, rewrittenTailBytes },
      'streamed fetch response: node endpoints do not fit once rewritten, replaced by padding (clients fall back to metadata)',
    );
  }
}

export interface VirtualClusterRouterOptions {
  clusterId: string;
  topology: TopologyView;
  nodeMap: VirtualNodeMap;
  listeners: readonly ListenerView[];
  log: Logger;
}

export class VirtualClusterRouter implements RequestRouter {
  readonly fetchStreams: FetchStreamCounts = { streamed: 0, endpointsRewritten: 0, endpointsDropped: 0 };
  private readonly topology: TopologyView;
  private readonly nodeMap: VirtualNodeMap;
  private readonly contexts = new Map<string, ListenerRewriteContext>();

  constructor(opts: VirtualClusterRouterOptions) {
    this.topology = opts.topology;
    this.nodeMap = opts.nodeMap;
    const refresh = (): void => opts.topology.requestRefresh();
    for (const l of opts.listeners) {
      this.contexts.set(l.name, new ListenerRewriteContext(opts.clusterId, opts.topology.backend, opts.nodeMap, l, refresh));
    }
  }

  /** The rewrite context of a listener (exposed for tests). */
  contextFor(listenerName: string): RewriteContext {
    const ctx = this.contexts.get(listenerName);
    if (ctx === undefined) throw new Error(`unknown listener ${listenerName}`);
    return ctx;
  }

  /** What this router offers clients: the backend brokers' versions within the codec's. */
  get offeredApis(): ApiVersionsTable {
    return this.topology.apiVersions;
  }

  routeRequest(session: ClientSession, ex: RequestExchange): void {
    const { apiKey, apiVersion } = ex;
    ex.targetBrokerId = this.targetBroker(session);
    try {
      const rewrite = REQUEST_REWRITES[apiKey];
      if (rewrite !== undefined) rewrite(ex, this.contextOf(session));
    } catch (err) {
      if (err instanceof DecodeError || err instanceof EncodeError) {
        throw new RequestRejectedError('malformed_request', apiKey, apiVersion, err.message);
      }
      throw err;
    }
  }

  rewriteResponse(session: ClientSession, ex: RequestExchange, frame: Buffer): Buffer {
    const rewrite = RESPONSE_REWRITES[ex.apiKey];
    return rewrite === undefined ? frame : rewrite(frame, ex, this.contextOf(session));
  }

  streamResponse(session: ClientSession, ex: RequestExchange, frameBytes: number, sink: ResponseBytesSink): ResponseStream | null {
    if (ex.apiKey !== ApiKey.Fetch) return null;
    this.fetchStreams.streamed++;
    const events = new StreamTailEvents(this.fetchStreams, session);
    return createFetchResponseStream(ex.apiVersion, frameBytes, this.contextOf(session), sink, events);
  }

  failureResponse(_session: ClientSession, ex: RequestExchange, err: UpstreamError): Buffer | null {
    // A broker that cannot be reached may have moved or gone: learn the topology again.
    if (err.kind === 'connect_failed' || err.kind === 'connect_timeout' || err.kind === 'connection_lost') {
      this.topology.requestRefresh();
    }
    return buildFailureResponse(ex, this.offeredApis);
  }

  brokerAddress(brokerId: number): BrokerAddress | null {
    const b = this.topology.broker(brokerId);
    return b === undefined ? null : { backend: this.topology.backend, brokerId, host: b.host, port: b.port };
  }

  private contextOf(session: ClientSession): ListenerRewriteContext {
    return this.contexts.get(session.listenerName) as ListenerRewriteContext;
  }

  private targetBroker(session: ClientSession): number {
    if (session.virtualNodeId >= 0) {
      const ref = this.nodeMap.brokerFor(session.virtualNodeId);
      return ref === undefined ? -1 : ref.brokerId;
    }
    if (session.anyBrokerId < 0 || this.topology.broker(session.anyBrokerId) === undefined) {
      session.anyBrokerId = this.topology.anyBrokerId();
    }
    return session.anyBrokerId;
  }
}
