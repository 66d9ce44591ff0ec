// What a client can learn about the cluster through Turnout, asked on the wire with
// Turnout's own codec: every broker address, broker id and cluster id must be Turnout's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKey,
  createApiVersionsRequest,
  createDescribeClusterRequest,
  createDescribeConfigsRequest,
  createFindCoordinatorRequest,
  createMetadataRequest,
  decodeApiVersionsResponse,
  decodeDescribeClusterResponse,
  decodeDescribeConfigsResponse,
  decodeFindCoordinatorResponse,
  decodeMetadataResponse,
  encodeApiVersionsRequest,
  encodeDescribeClusterRequest,
  encodeDescribeConfigsRequest,
  encodeFindCoordinatorRequest,
  encodeMetadataRequest,
} from '../../src/codec/index.js';
import type { UpstreamConnection } from '../../src/net/upstream-connection.js';
import { sendRequest } from '../../src/net/upstream-request.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { decodeResponseFrame, encodeRequestFrame, type BodyDecoder, type BodyEncoder } from '../../src/codec/message-frames.js';
import { createTopic, deleteTopics, mainCluster, uniqueGroup } from './rig.js';
import { wireConnection } from './wire-connection.js';

const CLUSTER_ID = 'tUrNoUtMeTaDaTaItClStR';
let proxy: ProxyHandle;
let topic: string;
const open: UpstreamConnection[] = [];

beforeAll(async () => {
  proxy = await startProxy({
    virtualCluster: { clusterId: CLUSTER_ID },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: 'turnout.localhost', bootstrapPort: 0, nodePortBase: 0 }],
    backends: [{ name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(',') }],
    admin: { host: '127.0.0.1', port: 0 },
    logging: { level: 'silent' },
  });
  topic = await createTopic(mainCluster(), { partitions: 3, cleanup: false });
});

afterAll(async () => {
  for (const c of open) c.close();
  await proxy?.close();
  if (topic !== undefined) await deleteTopics(mainCluster(), [topic]);
});

/** A wire-level connection to Turnout, closed after the file's tests. */
function connect(port: number): UpstreamConnection {
  const c = wireConnection(port);
  open.push(c);
  return c;
}

async function call<Req, Res>(
  conn: UpstreamConnection,
  apiKey: number,
  version: number,
  body: Req,
  encode: BodyEncoder<Req>,
  decode: BodyDecoder<Res>,
): Promise<{ frame: Buffer; body: Res }> {
  const frame = await sendRequest(conn, encodeRequestFrame({ apiKey, apiVersion: version, correlationId: 0, clientId: 'it-wire' }, body, encode));
  return { frame, body: decodeResponseFrame(frame, apiKey, version, decode).body };
}

function expectNoBackendBytes(frame: Buffer): void {
  expect(frame.includes(mainCluster().clusterId)).toBe(false);
  for (const b of mainCluster().brokers) expect(frame.includes(`:${b.port}`)).toBe(false);
}

describe('metadata through Turnout', () => {
  for (const version of [1, 4, 9, 12, 13]) {
    it(`Metadata v${version} shows only Turnout's nodes, ids and cluster id`, async () => {
      const conn = connect(proxy.ports().bootstrap);
      const req = createMetadataRequest();
      req.topics = [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }];
      const { frame, body } = await call(conn, ApiKey.Metadata, version, req, encodeMetadataRequest, decodeMetadataResponse);
      expectNoBackendBytes(frame);
      const nodes = proxy.ports().nodes;
      expect(body.brokers.map((b) => [b.nodeId, b.host, b.port])).toEqual(
        [...nodes].sort((a, b) => a[0] - b[0]).map(([id, port]) => [id, 'turnout.localhost', port]),
      );
      expect(body.brokers.map((b) => b.rack).sort()).toEqual(['az-a', 'az-b', 'az-c']);
      if (version >= 2) expect(body.clusterId).toBe(CLUSTER_ID);
      expect(nodes.has(body.controllerId)).toBe(true);
      const t = body.topics.find((x) => x.name === topic);
      expect(t?.partitions).toHaveLength(3);
      for (const p of t?.partitions ?? []) {
        expect(nodes.has(p.leaderId)).toBe(true);
        for (const r of [...p.replicaNodes, ...p.isrNodes]) expect(nodes.has(r)).toBe(true);
      }
    });
  }

  it('the node port of each virtual node reaches the broker that leads its partitions', async () => {
    const req = createMetadataRequest();
    req.topics = [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }];
    const boot = await call(connect(proxy.ports().bootstrap), ApiKey.Metadata, 12, req, encodeMetadataRequest, decodeMetadataResponse);
    // Asking each node port gives the same picture (all brokers answer Metadata the same way).
    for (const b of boot.body.brokers) {
      const viaNode = await call(connect(b.port), ApiKey.Metadata, 12, req, encodeMetadataRequest, decodeMetadataResponse);
      expect(viaNode.body.brokers).toEqual(boot.body.brokers);
    }
  });

  for (const version of [3, 6]) {
    it(`FindCoordinator v${version} names a Turnout node`, async () => {
      const conn = connect(proxy.ports().bootstrap);
      const req = createFindCoordinatorRequest();
      const group = uniqueGroup('coord');
      if (version < 4) req.key = group;
      else req.coordinatorKeys = [group];
      const nodes = proxy.ports().nodes;
      const { frame, body } = await (async () => {
        // The group coordinator may still be loading on a fresh cluster: retry briefly.
        for (let i = 0; ; i++) {
          const r = await call(conn, ApiKey.FindCoordinator, version, req, encodeFindCoordinatorRequest, decodeFindCoordinatorResponse);
          const err = version < 4 ? r.body.errorCode : r.body.coordinators[0].errorCode;
          if (err === 0 || i > 20) return r;
          await new Promise((res) => setTimeout(res, 500));
        }
      })();
      expectNoBackendBytes(frame);
      const c = version < 4 ? body : body.coordinators[0];
      expect(c.errorCode).toBe(0);
      expect(c.host).toBe('turnout.localhost');
      expect(nodes.get(c.nodeId)).toBe(c.port);
    });
  }

  it('DescribeCluster shows Turnout nodes, controller and cluster id', async () => {
    const conn = connect(proxy.ports().bootstrap);
    const { frame, body } = await call(conn, ApiKey.DescribeCluster, 1, createDescribeClusterRequest(), encodeDescribeClusterRequest, decodeDescribeClusterResponse);
    expectNoBackendBytes(frame);
    expect(body.clusterId).toBe(CLUSTER_ID);
    const nodes = proxy.ports().nodes;
    expect(body.brokers.map((b) => nodes.get(b.brokerId) === b.port && b.host === 'turnout.localhost')).toEqual([true, true, true]);
    expect(nodes.has(body.controllerId)).toBe(true);
  });

  it('DescribeConfigs of a broker resource shows the virtual node address, not the broker', async () => {
    const [virtualId, port] = [...proxy.ports().nodes][0];
    const conn = connect(port);
    const req = createDescribeConfigsRequest();
    req.resources = [{ resourceType: 4, resourceName: String(virtualId), configurationKeys: null }];
    req.includeSynonyms = true;
    const { frame, body } = await call(conn, ApiKey.DescribeConfigs, 4, req, encodeDescribeConfigsRequest, decodeDescribeConfigsResponse);
    expectNoBackendBytes(frame);
    expect(frame.includes('127.0.0.1:')).toBe(false);
    const r = body.results[0];
    expect(r.errorCode).toBe(0);
    expect(r.resourceName).toBe(String(virtualId));
    const advertised = r.configs.find((c) => c.name === 'advertised.listeners');
    expect(advertised?.value).toBe(`PLAINTEXT://turnout.localhost:${port}`);
    const nodeId = r.configs.find((c) => c.name === 'node.id' || c.name === 'broker.id');
    expect(nodeId?.value).toBe(String(virtualId));
  });

  it('answers ApiVersions itself, and a too-new version with v0 UNSUPPORTED_VERSION', async () => {
    const conn = connect(proxy.ports().bootstrap);
    const req = createApiVersionsRequest();
    req.clientSoftwareName = 'it-wire';
    req.clientSoftwareVersion = '1.0';
    const v3 = await call(conn, ApiKey.ApiVersions, 3, req, encodeApiVersionsRequest, decodeApiVersionsResponse);
    expect(v3.body.errorCode).toBe(0);
    const keys = new Set(v3.body.apiKeys.map((k) => k.apiKey));
    expect(keys.has(ApiKey.Produce)).toBe(true);
    expect(keys.has(ApiKey.LeaderAndIsr)).toBe(false);
    expect(keys.has(ApiKey.WriteTxnMarkers)).toBe(false);

    // Version 9 of ApiVersions does not exist: the header is v2 like v3+'s, the answer v0.
    const frame = encodeRequestFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 0, clientId: 'it' }, req, encodeApiVersionsRequest);
    frame.writeInt16BE(9, 6);
    const raw = await sendRequest(conn, frame);
    const v0 = decodeResponseFrame(raw, ApiKey.ApiVersions, 0, decodeApiVersionsResponse).body;
    expect(v0.errorCode).toBe(35);
    expect(v0.apiKeys.length).toBeGreaterThan(10);
  });
});
