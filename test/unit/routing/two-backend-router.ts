// What the unit tests of the Fetch path over several backends share: backends east and west
// with fake brokers 1 and 2 each (no network: the test's session answers every request), the
// orders domain on east with topic orders.a (partitions 0 and 1; on west too when a test says
// so, as after a cutover), a router over them that has learnt the topic from Metadata, and
// request exchanges.
import { sessionWithoutSocket } from '../../../src/pipeline/filter-states.js';
import {
  APIS,
  ApiKey,
  createMetadataRequest,
  createMetadataResponse,
  decodeRequestHeader,
  encodeMetadataRequest,
  encodeResponseFrame,
  createFetchResponse,
  type DecodedRequestHeader,
  type FetchRequest,
  type FetchResponse,
} from '../../../src/codec/index.js';
import { createPartitionData, type PartitionData } from '../../../src/codec/generated/fetch.js';
import type { Registry } from 'prom-client';
import type { BrokerAddress, ClientSession, RequestExchange } from '../../../src/net/request-router.js';
import { createLogger } from '../../../src/observability/logger.js';
import { parseConfig } from '../../../src/policy/config.js';
import { PolicySnapshot, policyDocumentOf } from '../../../src/policy/policy-snapshot.js';
import { ApiVersionsTable } from '../../../src/routing/api-versions.js';
import type { BackendTopology } from '../../../src/routing/backend-topology.js';
import { encodeRequestFrame } from '../../../src/codec/message-frames.js';
import { MultiBackendRouter } from '../../../src/routing/multi-backend-router.js';

const config = parseConfig(
  {
    virtualCluster: { clusterId: 'v' },
    listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
    backends: [
      { name: 'east', bootstrapServers: ['east:9092'] },
      { name: 'west', bootstrapServers: ['west:9092'] },
    ],
    domains: [{ name: 'orders', owner: 'a', topics: ['orders.*'], backend: 'east' }],
    defaultDomain: 'orders',
  },
  'test',
  { severalBackends: true },
);

/** A backend whose brokers 1 and 2 are `<backend>-<id>:9092`, every api at the codec's versions. */
function fakeTopology(backend: string): BackendTopology {
  const brokers = new Map([1, 2].map((id) => [id, { brokerId: id, host: `${backend}-${id}`, port: 9092, rack: null }]));
  const versions = [{ apis: new Map(APIS.map((a) => [a.apiKey, { minVersion: a.minVersion, maxVersion: a.maxVersion }])), supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [] }];
  const apiVersions = new ApiVersionsTable();
  apiVersions.update(versions);
  return {
    backend,
    isKnown: true,
    apiVersions,
    broker: (id: number) => brokers.get(id),
    brokers: () => brokers,
    anyBrokerId: () => 1,
    brokerApiVersions: () => versions,
  } as unknown as BackendTopology;
}

/**
 * A router over east and west, showing 3 Turnout nodes at turnout:9100+id; its metrics in
 * `registry` when given one. `domainBackends` (domain → backend) moves domains as the policy
 * store's setDomainBackend does; a test may change it between requests.
 */
export function twoBackendRouter(registry?: Registry, domainBackends: ReadonlyMap<string, string> = new Map()): MultiBackendRouter {
  const router = new MultiBackendRouter({
    metrics: registry === undefined ? undefined : { registry },
    clusterId: 'v',
    topologies: [fakeTopology('east'), fakeTopology('west')],
    policy: () => new PolicySnapshot(policyDocumentOf(config), 1, domainBackends),
    listeners: [{ name: 'default', advertisedHost: 'turnout', nodePort: (id: number) => 9100 + id }],
    nodeCount: 3,
    log: createLogger({ level: 'silent' }),
  });
  router.updateApiVersions();
  return router;
}

export function exchange(apiKey: number, apiVersion: number, frame: Buffer): RequestExchange {
  return { frame, apiKey, apiVersion, correlationId: 7, response: null, expectResponse: true, targetBrokerId: -1, targetAddress: null, routeState: undefined, deferred: null, held: null, closeAfter: null, pipelineState: undefined };
}

/** orders.a's real topic id on east. */
export const ORDERS_REAL_ID = 'AAAAAAAAAAAAAAAAAAAAAg';

export interface TwoBackendSessionOptions {
  /** The east broker leading orders.a's partition 0 or 1 (its only replica besides broker 2). */
  leaderOf(partition: number): number;
  leaderEpoch: number;
  /** orders.a's real id on west, when west has the topic too (same leaders and epoch as on east). */
  westTopicId?: () => string | undefined;
  /** Answers every upstream request but Metadata. */
  answer(address: BrokerAddress, frame: Buffer, header: DecodedRequestHeader): Promise<Buffer>;
  /**
   * The Turnout node the session is connected to. Default -1, a bootstrap connection, which
   * is served whatever leads its partitions (a node answers NOT_LEADER_OR_FOLLOWER for the
   * partitions it does not lead), so tests can fetch partitions of several brokers at once.
   */
  virtualNodeId?: number;
}

/**
 * A client session of the default listener whose upstream requests `sendUpstream` answers,
 * on node `virtualNodeId` (default -1: a bootstrap connection, served whatever leads its
 * partitions; see TwoBackendSessionOptions.virtualNodeId).
 */
export function sessionAnswering(sendUpstream: (address: BrokerAddress, frame: Buffer) => Promise<Buffer | null>, virtualNodeId = -1): ClientSession {
  return {
    connId: 1,
    log: createLogger({ level: 'silent' }),
    listenerName: 'default',
    virtualNodeId,
    anyBrokerId: -1,
    ...sessionWithoutSocket(),
    // The test's brokers read a frame whole, as a broker reads the pieces Turnout writes.
    sendUpstream: (address, frame) => sendUpstream(address, Buffer.isBuffer(frame) ? frame : frame.join()),
  };
}

/** A client session whose upstream requests the test answers: Metadata here, the rest through `answer`. */
export function twoBackendSession(opts: TwoBackendSessionOptions): ClientSession {
  return sessionAnswering((address: BrokerAddress, frame: Buffer) => {
      const h = decodeRequestHeader(frame.subarray(4));
      if (h.apiKey !== ApiKey.Metadata) return opts.answer(address, frame, h);
      const m = createMetadataResponse();
      m.brokers = [1, 2].map((id) => ({ nodeId: id, host: `${address.backend}-${id}`, port: 9092, rack: null }));
      const partition = (i: number) => {
        const leaderId = opts.leaderOf(i);
        const replicas = [...new Set([leaderId, 2])];
        return { errorCode: 0, partitionIndex: i, leaderId, leaderEpoch: opts.leaderEpoch, replicaNodes: replicas, isrNodes: replicas, offlineReplicas: [] };
      };
      const topicId = address.backend === 'east' ? ORDERS_REAL_ID : opts.westTopicId?.();
      m.topics = topicId === undefined ? [] : [{ errorCode: 0, name: 'orders.a', topicId, isInternal: false, partitions: [0, 1].map(partition), topicAuthorizedOperations: -2147483648 }];
      return Promise.resolve(encodeResponseFrame(h.correlationId, ApiKey.Metadata, h.apiVersion, m));
  }, opts.virtualNodeId);
}

/** Has the router learn the backends' topics, as a client's first Metadata request does. */
export async function learnMetadata(router: MultiBackendRouter, session: ClientSession): Promise<void> {
  const metadata = createMetadataRequest();
  metadata.topics = null;
  const ex = exchange(ApiKey.Metadata, 12, encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 7, clientId: 't' }, metadata, encodeMetadataRequest));
  router.routeRequest(session, ex);
  await ex.deferred;
}

/** A Fetch answer with every partition of `request`, each as `fill` makes it from a fresh one. */
export function fetchAnswerFor(request: FetchRequest, fill: (p: PartitionData) => void): FetchResponse {
  const res = createFetchResponse();
  res.responses = request.topics.map((t) => ({
    topic: t.topic,
    topicId: t.topicId,
    partitions: t.partitions.map((fp) => {
      const p = createPartitionData();
      p.partitionIndex = fp.partition;
      fill(p);
      return p;
    }),
  }));
  return res;
}
