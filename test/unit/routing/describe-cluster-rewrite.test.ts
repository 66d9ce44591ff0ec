import { describe, expect, it } from 'vitest';
import { ApiKey, createDescribeClusterResponse } from '../../../src/codec/index.js';
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

describe('describe cluster rewrite', () => {
  for (const version of [0, 1, 2]) {
    it(`rewrites brokers, controller and cluster id in DescribeCluster v${version}`, () => {
      const { router, session } = makeRouter();
      const m = createDescribeClusterResponse();
      m.clusterId = BACKEND_CLUSTER_ID;
      m.controllerId = 103;
      m.brokers = BACKEND_IDS.map((id, i) => ({ brokerId: id, host: BACKEND_HOST, port: BACKEND_PORTS[i], rack: null, isFenced: false }));
      const out = router.rewriteResponse(session, exchangeFor(ApiKey.DescribeCluster, version), responseFrame(ApiKey.DescribeCluster, version, m));
      const d = decodeResponse(ApiKey.DescribeCluster, version, out) as any;
      expectNoBackendLeak(out, d);
      expect(d.clusterId).toBe(VIRTUAL_CLUSTER_ID);
      expect(d.controllerId).toBe(2);
      expect(d.brokers.map((b: any) => [b.brokerId, b.host, b.port])).toEqual([
        [0, TURNOUT_HOST, NODE_PORT_BASE],
        [1, TURNOUT_HOST, NODE_PORT_BASE + 1],
        [2, TURNOUT_HOST, NODE_PORT_BASE + 2],
      ]);
    });
  }
});
