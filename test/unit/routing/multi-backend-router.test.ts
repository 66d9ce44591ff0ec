import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiKey,
  createApiVersionsRequest,
  createFindCoordinatorRequest,
  createJoinGroupRequest,
  createMetadataRequest,
  decodeJoinGroupResponse,
  encodeJoinGroupRequest,
  decodeApiVersionsResponse,
  decodeFindCoordinatorResponse,
  decodeMetadataResponse,
  encodeApiVersionsRequest,
  encodeFindCoordinatorRequest,
  encodeMetadataRequest,
} from '../../../src/codec/index.js';
import { UpstreamConnection } from '../../../src/net/upstream-connection.js';
import { sendRequest } from '../../../src/net/upstream-request.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { startProxy, type ProxyHandle } from '../../../src/proxy.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../../src/codec/message-frames.js';
import { startFakeCluster } from './fake-kafka.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function twoBackends(): Promise<ProxyHandle> {
  const east = await startFakeCluster(2);
  const west = await startFakeCluster(1);
  cleanups.push(east.close, west.close);
  const proxy = await startProxy(
    {
      virtualCluster: { clusterId: 'tUrNoUtTwObAcKeNdS0000' },
      listeners: [{ bindHost: '127.0.0.1', advertisedHost: 'turnout.test', bootstrapPort: 0, nodePortBase: 0, nodes: 4 }],
      backends: [
        { name: 'east', bootstrapServers: [`127.0.0.1:${east.brokers[0].port}`] },
        { name: 'west', bootstrapServers: [`127.0.0.1:${west.brokers[0].port}`] },
      ],
      domains: [
        { name: 'orders', owner: 'a', topics: ['orders.*'], groups: ['orders-*'], backend: 'east' },
        { name: 'payments', owner: 'b', topics: ['payments.*'], backend: 'west' },
      ],
      admin: { host: '127.0.0.1', port: 0 },
    },
    { logLevel: 'silent', waitForReadyMs: 5_000 },
  );
  cleanups.push(() => proxy.close());
  return proxy;
}

function connectTo(port: number): UpstreamConnection {
  const conn = new UpstreamConnection(
    {
      backend: 'turnout',
      brokerId: -1,
      host: '127.0.0.1',
      port,
      connectTimeoutMs: 1_000,
      requestTimeoutMs: 5_000,
      maxFrameBytes: 1 << 20,
      writeHighWaterBytes: 1 << 20,
      log: createLogger({ level: 'silent' }),
      metrics: new ProxyMetrics({ apiName: () => undefined }),
    },
    { onUpstreamDrain: () => undefined, onUpstreamClosed: () => undefined },
  );
  cleanups.push(() => conn.close());
  return conn;
}

describe('startProxy over two backends', () => {
  it("binds Turnout's own nodes, offers only the apis routed over several backends, and merges Metadata", async () => {
    const proxy = await twoBackends();
    expect([...proxy.ports().nodes.keys()].sort()).toEqual([0, 1, 2, 3]);
    const conn = connectTo(proxy.ports().bootstrap);

    const versionsFrame = await sendRequest(
      conn,
      encodeRequestFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 0, clientId: 't' }, createApiVersionsRequest(), encodeApiVersionsRequest),
    );
    const apiKeys = decodeResponseFrame(versionsFrame, ApiKey.ApiVersions, 3, decodeApiVersionsResponse).body.apiKeys;
    const offered = new Set(apiKeys.map((k) => k.apiKey));
    for (const k of [ApiKey.Metadata, ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.FindCoordinator, ApiKey.JoinGroup, ApiKey.OffsetCommit, ApiKey.EndTxn]) {
      expect(offered.has(k)).toBe(true);
    }
    for (const k of [ApiKey.DeleteRecords, ApiKey.ConsumerGroupHeartbeat, ApiKey.AlterConfigs, ApiKey.CreatePartitions, ApiKey.DescribeTopicPartitions, ApiKey.DeleteGroups, ApiKey.OffsetDelete]) {
      expect(offered.has(k)).toBe(true);
    }
    for (const k of [ApiKey.ElectLeaders, ApiKey.AlterPartitionReassignments, ApiKey.DescribeLogDirs]) {
      expect(offered.has(k)).toBe(false);
    }
    // v4+ is the brokers' batched form, several transactional ids per request.
    expect(apiKeys.find((k) => k.apiKey === ApiKey.AddPartitionsToTxn)?.maxVersion).toBe(3);

    const req = createMetadataRequest();
    req.topics = null;
    const m = decodeResponseFrame(
      await sendRequest(conn, encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 0, clientId: 't' }, req, encodeMetadataRequest)),
      ApiKey.Metadata,
      12,
      decodeMetadataResponse,
    ).body;
    expect(m.clusterId).toBe('tUrNoUtTwObAcKeNdS0000');
    expect(m.brokers.map((b) => [b.nodeId, b.host, b.port])).toEqual([0, 1, 2, 3].map((id) => [id, 'turnout.test', proxy.ports().nodes.get(id)]));
    expect(m.controllerId).toBe(0);
  }, 30_000);

  it('answers FindCoordinator with a Turnout node for a group of a domain, and a group error for one no domain claims', async () => {
    const proxy = await twoBackends();
    const conn = connectTo(proxy.ports().bootstrap);
    const req = createFindCoordinatorRequest();
    req.keyType = 0;
    req.coordinatorKeys = ['orders-billing', 'nobody'];
    const res = decodeResponseFrame(
      await sendRequest(conn, encodeRequestFrame({ apiKey: ApiKey.FindCoordinator, apiVersion: 4, correlationId: 0, clientId: 't' }, req, encodeFindCoordinatorRequest)),
      ApiKey.FindCoordinator,
      4,
      decodeFindCoordinatorResponse,
    ).body;
    const [orders, nobody] = res.coordinators;
    expect(orders.errorCode).toBe(0);
    expect(proxy.ports().nodes.get(orders.nodeId)).toBe(orders.port);
    expect(orders.host).toBe('turnout.test');
    expect(nobody.errorCode).toBe(30);
  }, 30_000);

  it('refuses a consumer joining a group of one backend with a subscription to topics of another', async () => {
    const proxy = await twoBackends();
    const conn = connectTo(proxy.ports().bootstrap);
    const join = async (topics: string[]): Promise<number> => {
      const req = createJoinGroupRequest();
      req.groupId = 'orders-billing';
      req.sessionTimeoutMs = 10_000;
      req.rebalanceTimeoutMs = 10_000;
      req.protocolType = 'consumer';
      req.protocols = [{ name: 'range', metadata: subscription(topics) }];
      const frame = await sendRequest(conn, encodeRequestFrame({ apiKey: ApiKey.JoinGroup, apiVersion: 5, correlationId: 0, clientId: 't' }, req, encodeJoinGroupRequest));
      return decodeResponseFrame(frame, ApiKey.JoinGroup, 5, decodeJoinGroupResponse).body.errorCode;
    };
    expect(await join(['orders.created', 'payments.refunds'])).toBe(23);
    expect(await join(['orders.created'])).not.toBe(23);
  }, 30_000);
});

/** ConsumerProtocolSubscription v0: version, topics, user data. */
function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1].writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts);
}
