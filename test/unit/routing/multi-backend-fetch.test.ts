// The Fetch path of the router over several backends, against fake backend brokers that the
// test answers by hand.
import { describe, expect, it } from 'vitest';
import {
  APIS,
  ApiKey,
  createFetchRequest,
  createFetchResponse,
  createMetadataRequest,
  createMetadataResponse,
  decodeFetchResponse,
  decodeRequestHeader,
  encodeFetchRequest,
  encodeMetadataRequest,
  encodeResponseFrame,
} from '../../../src/codec/index.js';
import { createFetchPartition, createPartitionData } from '../../../src/codec/generated/fetch.js';
import type { BrokerAddress, ClientSession, RequestExchange } from '../../../src/net/request-router.js';
import { createLogger } from '../../../src/observability/logger.js';
import { parseConfig } from '../../../src/policy/config.js';
import { PolicySnapshot, policyDocumentOf } from '../../../src/policy/policy-snapshot.js';
import { ApiVersionsTable } from '../../../src/routing/api-versions.js';
import type { BackendTopology } from '../../../src/routing/backend-topology.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../../src/routing/message-frames.js';
import { MultiBackendRouter } from '../../../src/routing/multi-backend-router.js';
import { recordBatch } from './record-batches.js';

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

function fakeTopology(backend: string): BackendTopology {
  const brokers = new Map([1, 2].map((id) => [id, { brokerId: id, host: `${backend}-${id}`, port: 9092, rack: null }]));
  return {
    backend,
    isKnown: true,
    apiVersions: new ApiVersionsTable(),
    broker: (id: number) => brokers.get(id),
    brokers: () => brokers,
    anyBrokerId: () => 1,
    brokerApiVersions: () => [
      {
        apis: new Map(APIS.map((a) => [a.apiKey, { minVersion: a.minVersion, maxVersion: a.maxVersion }])),
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1n,
        finalizedFeatures: [],
      },
    ],
  } as unknown as BackendTopology;
}

function exchange(apiKey: number, apiVersion: number, frame: Buffer): RequestExchange {
  return { frame, apiKey, apiVersion, correlationId: 7, response: null, expectResponse: true, targetBrokerId: -1, routeState: undefined, deferred: null };
}

describe('Fetch over several backends', () => {
  it('answers as soon as one destination has data, without waiting for an idle one', async () => {
    const router = new MultiBackendRouter({
      clusterId: 'v',
      topologies: [fakeTopology('east'), fakeTopology('west')],
      policy: () => new PolicySnapshot(policyDocumentOf(config), 1, new Map()),
      listeners: [{ name: 'default', advertisedHost: 'turnout', nodePort: (id: number) => 9100 + id }],
      nodeCount: 3,
      log: createLogger({ level: 'silent' }),
    });
    const batch = await recordBatch({ baseOffset: 5 });
    const sent: string[] = [];
    const session: ClientSession = {
      connId: 1,
      log: createLogger({ level: 'silent' }),
      listenerName: 'default',
      virtualNodeId: 0,
      anyBrokerId: -1,
      sendUpstream: (address: BrokerAddress, frame: Buffer) => {
        const h = decodeRequestHeader(frame.subarray(4));
        sent.push(`${address.backend}/${address.brokerId}/${h.apiKey}`);
        if (h.apiKey === ApiKey.Metadata) {
          const m = createMetadataResponse();
          m.brokers = [1, 2].map((id) => ({ nodeId: id, host: `${address.backend}-${id}`, port: 9092, rack: null }));
          m.topics =
            address.backend === 'east'
              ? [
                  {
                    errorCode: 0,
                    name: 'orders.a',
                    topicId: 'AAAAAAAAAAAAAAAAAAAAAg',
                    isInternal: false,
                    partitions: [0, 1].map((i) => ({ errorCode: 0, partitionIndex: i, leaderId: i + 1, leaderEpoch: 3, replicaNodes: [i + 1], isrNodes: [i + 1], offlineReplicas: [] })),
                    topicAuthorizedOperations: -2147483648,
                  },
                ]
              : [];
          return Promise.resolve(encodeResponseFrame(h.correlationId, ApiKey.Metadata, h.apiVersion, m));
        }
        if (address.brokerId === 2) return new Promise<Buffer>(() => undefined); // idle: long poll
        const res = createFetchResponse();
        const p = createPartitionData();
        p.partitionIndex = 0;
        p.highWatermark = 6n;
        p.records = batch;
        res.responses = [{ topic: 'orders.a', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [p] }];
        return Promise.resolve(encodeResponseFrame(h.correlationId, ApiKey.Fetch, h.apiVersion, res));
      },
    };
    router.updateApiVersions();

    const metadata = createMetadataRequest();
    metadata.topics = null;
    const mex = exchange(ApiKey.Metadata, 12, encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 7, clientId: 't' }, metadata, encodeMetadataRequest));
    router.routeRequest(session, mex);
    await mex.deferred;

    const fetch = createFetchRequest();
    Object.assign(fetch, { maxWaitMs: 500, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1 });
    fetch.topics = [{ topic: 'orders.a', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [0, 1].map((partition) => Object.assign(createFetchPartition(), { partition, fetchOffset: 5n, partitionMaxBytes: 1 << 16 })) }];
    const fex = exchange(ApiKey.Fetch, 12, encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: 12, correlationId: 7, clientId: 't' }, fetch, encodeFetchRequest));
    router.routeRequest(session, fex);
    const answer = await Promise.race([fex.deferred, new Promise<null>((r) => setTimeout(() => r(null), 1_000))]);
    expect(answer, 'answered without waiting for the idle broker').not.toBeNull();
    expect(sent.filter((s) => s.endsWith(`/${ApiKey.Fetch}`)).sort()).toEqual(['east/1/1', 'east/2/1']);
    const m = decodeResponseFrame(answer as Buffer, ApiKey.Fetch, 12, decodeFetchResponse).body;
    expect(m.responses[0].partitions.map((p) => [p.partitionIndex, p.errorCode, (p.records?.length ?? 0) > 0])).toEqual([
      [0, 0, true],
      [1, 0, false],
    ]);
  });
});
