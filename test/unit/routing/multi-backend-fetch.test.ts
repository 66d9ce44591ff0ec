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
  decodeFetchRequest,
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
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame } from '../../../src/routing/message-frames.js';
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

/** How a fake broker answers a Fetch: with a record batch, or as an idle broker (empty at once for maxWait 0, else a long poll that never ends). */
type BrokerFetch = 'data' | 'idle';

interface FetchRun {
  answer: Buffer | null;
  /** `backend/broker/maxWaitMs` of every Fetch sent upstream. */
  fetches: string[];
}

/** One Fetch for orders.a partitions 0 (leader east/1) and 1 (leader east/2), answered by brokers behaving as `behaviour` says. */
async function runFetch(behaviour: (brokerId: number) => BrokerFetch): Promise<FetchRun> {
  const router = new MultiBackendRouter({
    clusterId: 'v',
    topologies: [fakeTopology('east'), fakeTopology('west')],
    policy: () => new PolicySnapshot(policyDocumentOf(config), 1, new Map()),
    listeners: [{ name: 'default', advertisedHost: 'turnout', nodePort: (id: number) => 9100 + id }],
    nodeCount: 3,
    log: createLogger({ level: 'silent' }),
  });
  const batch = await recordBatch({ baseOffset: 5 });
  const fetches: string[] = [];
  const session: ClientSession = {
    connId: 1,
    log: createLogger({ level: 'silent' }),
    listenerName: 'default',
    virtualNodeId: 0,
    anyBrokerId: -1,
    sendUpstream: (address: BrokerAddress, frame: Buffer) => {
      const h = decodeRequestHeader(frame.subarray(4));
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
      const req = decodeRequestFrame(frame, decodeFetchRequest).body;
      fetches.push(`${address.backend}/${address.brokerId}/${req.maxWaitMs}`);
      const res = createFetchResponse();
      res.responses = req.topics.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((fp) => {
          const p = createPartitionData();
          p.partitionIndex = fp.partition;
          p.highWatermark = 6n;
          if (behaviour(address.brokerId) === 'data') p.records = batch;
          return p;
        }),
      }));
      if (behaviour(address.brokerId) === 'idle' && req.maxWaitMs > 0) return new Promise<Buffer>(() => undefined);
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
  return { answer, fetches };
}

/** [partition, error, has records] of each partition in a Fetch v12 answer. */
function partitionsOf(answer: Buffer): Array<[number, number, boolean]> {
  const m = decodeResponseFrame(answer, ApiKey.Fetch, 12, decodeFetchResponse).body;
  return m.responses[0].partitions.map((p) => [p.partitionIndex, p.errorCode, (p.records?.length ?? 0) > 0]);
}

describe('Fetch over several backends', () => {
  it('answers as soon as one destination has data, without waiting for an idle one', async () => {
    const run = await runFetch((broker) => (broker === 2 ? 'idle' : 'data'));
    expect(run.answer, 'answered without waiting for the idle broker').not.toBeNull();
    expect(partitionsOf(run.answer as Buffer)).toEqual([
      [0, 0, true],
      [1, 0, false],
    ]);
    // What both held at once was taken first; the data was enough, so nobody long-polled.
    expect(run.fetches.sort()).toEqual(['east/1/0', 'east/2/0']);
  });

  it('serves the data of every destination that has some, not only of the first to answer', async () => {
    const run = await runFetch(() => 'data');
    expect(partitionsOf(run.answer as Buffer)).toEqual([
      [0, 0, true],
      [1, 0, true],
    ]);
    expect(run.fetches.sort()).toEqual(['east/1/0', 'east/2/0']);
  });

  it('long-polls every destination with the time left when none has data yet', async () => {
    const run = await runFetch(() => 'idle');
    // Nobody answers the long poll in this fake, so the client waits: the answer is the client's maxWait's business.
    expect(run.answer).toBeNull();
    const waits = run.fetches.map((f) => Number(f.split('/')[2]));
    expect(waits.slice(0, 2)).toEqual([0, 0]);
    expect(waits.slice(2).length).toBe(2);
    for (const w of waits.slice(2)) expect(w).toBeGreaterThan(400);
  });
});
