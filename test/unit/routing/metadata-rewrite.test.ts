import { describe, expect, it } from 'vitest';
import { ApiKey, createMetadataResponse } from '../../../src/codec/index.js';
import {
  BACKEND_CLUSTER_ID,
  BACKEND_HOST,
  BACKEND_IDS,
  BACKEND_PORTS,
  NODE_PORT_BASE,
  TURNOUT_HOST,
  VIRTUAL_CLUSTER_ID,
  decodeResponse,
  exchangeFor,
  expectNoBackendLeak,
  makeRouter,
  responseFrame,
} from './router-fixture.js';

function backendMetadata(version: number) {
  const m = createMetadataResponse();
  m.brokers = BACKEND_IDS.map((id, i) => ({ nodeId: id, host: BACKEND_HOST, port: BACKEND_PORTS[i], rack: `az-${'abc'[i]}` }));
  if (version >= 2) m.clusterId = BACKEND_CLUSTER_ID;
  m.controllerId = 102;
  m.topics = [
    {
      errorCode: 0,
      name: 'orders',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      isInternal: false,
      partitions: [
        { errorCode: 0, partitionIndex: 0, leaderId: 101, leaderEpoch: 3, replicaNodes: [101, 102, 103], isrNodes: [101, 102], offlineReplicas: [103] },
        { errorCode: 5, partitionIndex: 1, leaderId: -1, leaderEpoch: -1, replicaNodes: [103], isrNodes: [], offlineReplicas: [] },
      ],
      topicAuthorizedOperations: -2147483648,
    },
  ];
  return m;
}

describe('metadata rewrite', () => {
  for (const version of [0, 1, 4, 9, 12, 13]) {
    it(`rewrites every broker address and id in Metadata v${version}`, () => {
      const { router, session } = makeRouter();
      const ex = exchangeFor(ApiKey.Metadata, version);
      const out = router.rewriteResponse(session, ex, responseFrame(ApiKey.Metadata, version, backendMetadata(version)));
      const m = decodeResponse(ApiKey.Metadata, version, out) as unknown as ReturnType<typeof backendMetadata>;
      expectNoBackendLeak(out, m);
      expect(m.brokers).toEqual([
        { nodeId: 0, host: TURNOUT_HOST, port: NODE_PORT_BASE, rack: version >= 1 ? 'az-a' : null },
        { nodeId: 1, host: TURNOUT_HOST, port: NODE_PORT_BASE + 1, rack: version >= 1 ? 'az-b' : null },
        { nodeId: 2, host: TURNOUT_HOST, port: NODE_PORT_BASE + 2, rack: version >= 1 ? 'az-c' : null },
      ]);
      if (version >= 1) expect(m.controllerId).toBe(1);
      if (version >= 2) expect(m.clusterId).toBe(VIRTUAL_CLUSTER_ID);
      const [p0, p1] = m.topics[0].partitions;
      expect(p0.leaderId).toBe(0);
      expect(p0.replicaNodes).toEqual([0, 1, 2]);
      expect(p0.isrNodes).toEqual([0, 1]);
      if (version >= 5) expect(p0.offlineReplicas).toEqual([2]);
      expect(p1.leaderId).toBe(-1);
      expect(p1.replicaNodes).toEqual([2]);
      // the client's correlation id is kept
      expect(out.readInt32BE(4)).toBe(42);
    });
  }

  it('gives an unknown broker (offline replica) a new stable virtual id and asks for a refresh', () => {
    const { router, session, refreshRequests } = makeRouter();
    const m = backendMetadata(12);
    m.topics[0].partitions[0].replicaNodes = [101, 107];
    const ex = exchangeFor(ApiKey.Metadata, 12);
    const out1 = decodeResponse(ApiKey.Metadata, 12, router.rewriteResponse(session, ex, responseFrame(ApiKey.Metadata, 12, m)));
    const out2 = decodeResponse(ApiKey.Metadata, 12, router.rewriteResponse(session, ex, responseFrame(ApiKey.Metadata, 12, m)));
    const replicas1 = (out1 as any).topics[0].partitions[0].replicaNodes;
    expect(replicas1).toEqual([0, 3]);
    expect((out2 as any).topics[0].partitions[0].replicaNodes).toEqual([0, 3]);
    expect(refreshRequests()).toBeGreaterThan(0);
  });

  it('leaves out brokers whose virtual node has no bound port yet', () => {
    const { router, session } = makeRouter();
    const m = backendMetadata(12);
    m.brokers.push({ nodeId: 104, host: BACKEND_HOST, port: 9104, rack: null });
    const out = router.rewriteResponse(session, exchangeFor(ApiKey.Metadata, 12), responseFrame(ApiKey.Metadata, 12, m));
    const decoded = decodeResponse(ApiKey.Metadata, 12, out) as any;
    expect(decoded.brokers.map((b: { nodeId: number }) => b.nodeId)).toEqual([0, 1, 2]);
    expect(out.includes(BACKEND_HOST)).toBe(false);
  });
});
