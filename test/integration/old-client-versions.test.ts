// A client pinned to old versions, on the wire: Kafka 4 removed Produce v0-2 and Fetch v0-3
// (KIP-896) but still advertises Produce from v0, and closes the connection on such a request,
// which a client takes as a reason to retry. Through Turnout a client that sends them gets
// UNSUPPORTED_VERSION at once, on a connection that stays open; Produce is still advertised
// from v0 as Kafka does, so that librdkafka keeps compressing; over Kafka 3.9.1 the old
// versions are offered as before. One backend and several.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKey,
  createApiVersionsRequest,
  createFetchRequest,
  createProduceRequest,
  decodeApiVersionsResponse,
  decodeFetchResponse,
  decodeProduceResponse,
  encodeApiVersionsRequest,
  encodeFetchRequest,
  encodeProduceRequest,
} from '../../src/codec/index.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/codec/message-frames.js';
import type { UpstreamConnection } from '../../src/net/upstream-connection.js';
import { sendRequest } from '../../src/net/upstream-request.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { createTopic, kcat, mainCluster, uniqueName, useCluster, type ClusterInfo } from './rig.js';
import { startTwoDomainTurnout } from './two-domain-turnout.js';
import { wireConnection } from './wire-connection.js';

const UNSUPPORTED_VERSION = 35;
const ORDERS = 'ocv-o-';
const PAYMENTS = 'ocv-p-';

let legacy: ClusterInfo;
const proxies: ProxyHandle[] = [];
const open: UpstreamConnection[] = [];

beforeAll(async () => {
  legacy = await useCluster('legacy');
}, 300_000);

afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
});

async function oneBackendTurnout(cluster: ClusterInfo): Promise<ProxyHandle> {
  const proxy = await startProxy({
    virtualCluster: { clusterId: 'tUrNoUtOlDcLiEnTvErSn0' },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 }],
    backends: [{ name: cluster.cluster, bootstrapServers: cluster.bootstrapServers.split(',') }],
    admin: { host: '127.0.0.1', port: 0 },
    logging: { level: 'silent' },
  });
  proxies.push(proxy);
  return proxy;
}

function connect(port: number): UpstreamConnection {
  const c = wireConnection(port);
  open.push(c);
  return c;
}

async function offered(conn: UpstreamConnection): Promise<Map<number, [number, number]>> {
  const req = createApiVersionsRequest();
  req.clientSoftwareName = 'it-old-client';
  req.clientSoftwareVersion = '0.2.1';
  const frame = await sendRequest(conn, encodeRequestFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 0, clientId: 'old' }, req, encodeApiVersionsRequest));
  const body = decodeResponseFrame(frame, ApiKey.ApiVersions, 3, decodeApiVersionsResponse).body;
  expect(body.errorCode).toBe(0);
  return new Map(body.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
}

function produceV2(topic: string, partitions: number[]): Buffer {
  const req = createProduceRequest();
  req.acks = -1;
  req.timeoutMs = 30_000;
  req.topicData = [{ name: topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionData: partitions.map((index) => ({ index, records: null })) }];
  return encodeRequestFrame({ apiKey: ApiKey.Produce, apiVersion: 2, correlationId: 0, clientId: 'old' }, req, encodeProduceRequest);
}

/** [partition, error] of each partition of a Produce v2 answer. */
async function producedV2(conn: UpstreamConnection, topic: string, partitions: number[]): Promise<Array<[number, number]>> {
  const frame = await sendRequest(conn, produceV2(topic, partitions));
  const body = decodeResponseFrame(frame, ApiKey.Produce, 2, decodeProduceResponse).body;
  return body.responses.flatMap((t) => t.partitionResponses.map((p): [number, number] => [p.index, p.errorCode]));
}

async function fetchedV3(conn: UpstreamConnection, topic: string): Promise<Array<[number, number]>> {
  const req = createFetchRequest();
  Object.assign(req, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20 });
  req.topics = [{ topic, topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 16 }] }];
  const frame = await sendRequest(conn, encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: 3, correlationId: 0, clientId: 'old' }, req, encodeFetchRequest));
  const body = decodeResponseFrame(frame, ApiKey.Fetch, 3, decodeFetchResponse).body;
  return body.responses.flatMap((t) => t.partitions.map((p): [number, number] => [p.partitionIndex, p.errorCode]));
}

/** The connection was not closed: it still answers (ApiVersions; Metadata would depend on the topic's state). */
async function expectStillServing(conn: UpstreamConnection): Promise<void> {
  expect((await offered(conn)).get(ApiKey.Produce)).toBeDefined();
}

describe('a client pinned to versions Kafka 4 removed', () => {
  it('Kafka 4.1.1 itself advertises Produce from v0 and closes the connection on Produce v2', async () => {
    const main = mainCluster();
    const topic = await createTopic(main, { name: uniqueName('ocv'), partitions: 2 });
    const broker = main.brokers[0];
    const conn = connect(broker.port);
    expect((await offered(conn)).get(ApiKey.Produce)?.[0]).toBe(0);
    await expect(sendRequest(conn, produceV2(topic, [0, 1]))).rejects.toMatchObject({ name: 'UpstreamError' });
  });

  it('through Turnout over Kafka 4.1.1: Produce v0-2 and Fetch v0-3 get UNSUPPORTED_VERSION, and Produce stays advertised as Kafka advertises it', async () => {
    const main = mainCluster();
    const topic = await createTopic(main, { name: uniqueName('ocv'), partitions: 2 });
    const proxy = await oneBackendTurnout(main);
    const conn = connect(proxy.ports().bootstrap);
    const versions = await offered(conn);
    expect(versions.get(ApiKey.Produce)?.[0]).toBe(0);
    expect(versions.get(ApiKey.Fetch)?.[0]).toBe(4);
    expect(await producedV2(conn, topic, [0, 1])).toEqual([[0, UNSUPPORTED_VERSION], [1, UNSUPPORTED_VERSION]]);
    expect(await fetchedV3(conn, topic)).toEqual([[0, UNSUPPORTED_VERSION]]);
    await expectStillServing(conn);
  });

  it('through Turnout over Kafka 3.9.1: Produce and Fetch from v0 stay offered, and Fetch v3 reaches the broker', async () => {
    const topic = await createTopic(legacy, { name: uniqueName('ocv'), partitions: 1, replicationFactor: 3 });
    const proxy = await oneBackendTurnout(legacy);
    const conn = connect(proxy.ports().bootstrap);
    const versions = await offered(conn);
    expect(versions.get(ApiKey.Produce)?.[0]).toBe(0);
    expect(versions.get(ApiKey.Fetch)?.[0]).toBe(0);
    // Answered by a broker (the leader, or another that says so), never UNSUPPORTED_VERSION.
    const [[partition, error]] = await fetchedV3(conn, topic);
    expect(partition).toBe(0);
    expect([0, 6]).toContain(error);
  });

  it('through Turnout over Kafka 4.1.1 and 3.9.1: Produce v2 and Fetch v3 to either get UNSUPPORTED_VERSION', async () => {
    const main = mainCluster();
    const orders = await createTopic(main, { name: uniqueName(ORDERS), partitions: 2 });
    const payments = await createTopic(legacy, { name: uniqueName(PAYMENTS), partitions: 2 });
    const proxy = await startTwoDomainTurnout({ clusterId: 'tUrNoUtOlDcLiEnTmUlTi0', main, legacy, orders: ORDERS, payments: PAYMENTS });
    proxies.push(proxy);
    const conn = connect(proxy.ports().bootstrap);
    const versions = await offered(conn);
    expect(versions.get(ApiKey.Produce)?.[0]).toBe(0);
    expect(versions.get(ApiKey.Fetch)?.[0]).toBe(4);
    for (const topic of [orders, payments]) {
      expect(await producedV2(conn, topic, [0, 1])).toEqual([[0, UNSUPPORTED_VERSION], [1, UNSUPPORTED_VERSION]]);
      expect(await fetchedV3(conn, topic)).toEqual([[0, UNSUPPORTED_VERSION]]);
    }
    await expectStillServing(conn);
  });

  it('librdkafka (kcat) still compresses with gzip, snappy, lz4 and zstd through Turnout over Kafka 4.1.1', async () => {
    // Against a Produce minimum above 0, librdkafka releases before the fix of KAFKA-18659
    // (Debian 12's among them) send these batches uncompressed and only say so in a debug line.
    const topic = await createTopic(mainCluster(), { name: uniqueName('ocv'), partitions: 1 });
    const proxy = await oneBackendTurnout(mainCluster());
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd']) {
      const put = await kcat(['-b', proxy.bootstrapServers(), '-P', '-t', topic, '-p', '0', '-z', codec, '-d', 'msg'], { input: `${'compressible '.repeat(64)}\n`, timeoutMs: 60_000 });
      expect(put.code, put.stderr.slice(-2_000)).toBe(0);
      expect(put.stderr, codec).not.toMatch(/does not support compression/);
      expect(put.stderr, codec).toMatch(new RegExp(`Produce MessageSet with 1 message\\(s\\) .*MsgVersion 2.*, ${codec}\\)`));
    }
  });
});
