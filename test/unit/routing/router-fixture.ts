// A router over a fake backend whose broker ids, hosts and ports are all distinct from
// Turnout's virtual ones, so a test can tell at a glance whether anything leaked.
import { sessionWithoutSocket } from '../../../src/pipeline/filter-states.js';
import { expect } from 'vitest';
import { APIS, apiCodec, encodeResponseFrame as codecEncodeResponseFrame } from '../../../src/codec/index.js';
import { writeResponseCorrelationId } from '../../../src/net/correlation.js';
import type { ClientSession, RequestExchange, RequestRouter } from '../../../src/net/request-router.js';
import { UpstreamError } from '../../../src/net/upstream-connection.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ApiVersionsTable, type VersionRange } from '../../../src/routing/api-versions.js';
import type { BrokerInfo, TopologyView } from '../../../src/routing/backend-topology.js';
import { decodeResponseFrame } from '../../../src/codec/message-frames.js';
import { buildPipeline } from '../../../src/pipeline/build-pipeline.js';
import { VirtualClusterRouter } from '../../../src/routing/virtual-cluster-router.js';
import { VirtualNodeMap } from '../../../src/routing/virtual-node-map.js';

export const VIRTUAL_CLUSTER_ID = 'tUrNoUtViRtUaLcLuStEr0';
export const BACKEND_CLUSTER_ID = 'bAcKeNdReAlClUsTeRiD00';
export const BACKEND_HOST = 'kafka-internal.backend.example';
export const BACKEND_IDS = [101, 102, 103];
export const BACKEND_PORTS = [9101, 9102, 9103];
export const TURNOUT_HOST = 'turnout.example';
export const NODE_PORT_BASE = 19093;

export function backendBrokers(): BrokerInfo[] {
  return BACKEND_IDS.map((id, i) => ({ brokerId: id, host: BACKEND_HOST, port: BACKEND_PORTS[i], rack: `az-${'abc'[i]}` }));
}

export interface RouterFixture {
  router: VirtualClusterRouter;
  /** The router behind Turnout's request pipeline, as client connections see it. */
  pipeline: RequestRouter;
  nodeMap: VirtualNodeMap;
  session: ClientSession;
  refreshRequests: () => number;
}

export function makeRouter(): RouterFixture {
  const brokers = new Map(backendBrokers().map((b) => [b.brokerId, b]));
  const apiVersions = new ApiVersionsTable();
  apiVersions.update([
    {
      apis: new Map<number, VersionRange>(APIS.map((a) => [a.apiKey, { minVersion: a.minVersion, maxVersion: a.maxVersion }])),
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
    },
  ]);
  let refreshes = 0;
  const topology: TopologyView = {
    backend: 'main',
    apiVersions,
    broker: (id) => brokers.get(id),
    anyBrokerId: () => BACKEND_IDS[0],
    requestRefresh: () => {
      refreshes++;
    },
  };
  const nodeMap = new VirtualNodeMap();
  for (const id of BACKEND_IDS) nodeMap.virtualIdFor('main', id);
  const listener = {
    name: 'default',
    advertisedHost: TURNOUT_HOST,
    nodePort: (vid: number) => (vid >= 0 && vid < BACKEND_IDS.length ? NODE_PORT_BASE + vid : undefined),
  };
  const router = new VirtualClusterRouter({
    clusterId: VIRTUAL_CLUSTER_ID,
    topology,
    nodeMap,
    listeners: [listener],
    log: createLogger({ level: 'silent' }),
  });
  const session: ClientSession = {
    connId: 1,
    log: createLogger({ level: 'silent' }),
    listenerName: 'default',
    virtualNodeId: 0,
    anyBrokerId: -1,
    ...sessionWithoutSocket(),
    sendUpstream: () => Promise.reject(new Error('the single-backend router sends nothing itself')),
  };
  const pipeline = buildPipeline({ router, offered: () => router.offeredApis });
  return { router, pipeline, nodeMap, session, refreshRequests: () => refreshes };
}

export function exchangeFor(apiKey: number, apiVersion: number, frame: Buffer = Buffer.alloc(0)): RequestExchange {
  return {
    frame,
    apiKey,
    apiVersion,
    correlationId: 42,
    response: null,
    expectResponse: true,
    targetBrokerId: -1,
    targetAddress: null,
    routeState: undefined,
    deferred: null,
    held: null,
    closeAfter: null,
    pipelineState: undefined,
  };
}

/**
 * The response a router gives an exchange, obtained as a client connection would: answered
 * locally, answered later (`deferred`), or forwarded to `targetAddress` through the session
 * and rewritten (taken whole, as responses under the stream threshold are).
 */
export async function responseOf(router: RequestRouter, session: ClientSession, ex: RequestExchange): Promise<Buffer | null> {
  if (ex.response !== null) return ex.response;
  if (ex.deferred !== null) return ex.deferred;
  if (ex.targetAddress === null) throw new Error('the router neither answered nor forwarded the request');
  let frame: Buffer | null;
  try {
    frame = await session.sendUpstream(ex.targetAddress, ex.frame, true);
  } catch (err) {
    const upstreamError = err instanceof UpstreamError ? err : new UpstreamError('connection_lost', ex.targetAddress.backend, ex.targetAddress.brokerId, String(err));
    return router.failureResponse(session, ex, upstreamError);
  }
  if (frame === null) return null;
  writeResponseCorrelationId(frame, ex.correlationId);
  return router.rewriteResponse(session, ex, frame);
}

/** Encodes a backend response with the codec. */
export function responseFrame(apiKey: number, version: number, body: unknown): Buffer {
  return codecEncodeResponseFrame(42, apiKey, version, body as never);
}

/** Decodes a response frame with the codec. */
export function decodeResponse(apiKey: number, version: number, frame: Buffer): Record<string, unknown> {
  const codec = apiCodec(apiKey);
  if (codec === undefined) throw new Error(`no codec for ${apiKey}`);
  return decodeResponseFrame(frame, apiKey, version, codec.decodeResponse).body as unknown as Record<string, unknown>;
}

const ID_FIELDS = new Set([
  'nodeId',
  'brokerId',
  'leaderId',
  'controllerId',
  'replicaId',
  'preferredReadReplica',
  'replicaNodes',
  'isrNodes',
  'offlineReplicas',
  'eligibleLeaderReplicas',
  'lastKnownElr',
  'replicas',
  'addingReplicas',
  'removingReplicas',
]);

/**
 * Fails if a frame or its decoded message still carries anything of the backend: its host,
 * a broker port, a broker id in any id field, or the backend cluster id.
 */
export function expectNoBackendLeak(frame: Buffer, decoded: unknown): void {
  expect(frame.includes(BACKEND_HOST)).toBe(false);
  expect(frame.includes(BACKEND_CLUSTER_ID)).toBe(false);
  const walk = (v: unknown, key: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x, key);
      return;
    }
    if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, k);
      return;
    }
    if (typeof v === 'number') {
      if (ID_FIELDS.has(key)) expect(BACKEND_IDS, `${key}=${v} is a backend broker id`).not.toContain(v);
      if (key === 'port') expect(BACKEND_PORTS, `port ${v} is a backend port`).not.toContain(v);
    }
    if (typeof v === 'string' && key === 'host') expect(v).not.toBe(BACKEND_HOST);
  };
  walk(decoded, '');
}
