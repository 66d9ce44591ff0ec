import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey, createMetadataRequest, decodeMetadataResponse, encodeMetadataRequest } from '../../../src/codec/index.js';
import { UpstreamConnection } from '../../../src/net/upstream-connection.js';
import { UpstreamConnector } from '../../../src/net/upstream-connector.js';
import { sendRequest } from '../../../src/net/upstream-request.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { parseConfig } from '../../../src/policy/config.js';
import { startProxy, type ProxyHandle } from '../../../src/proxy.js';
import { BackendTopology } from '../../../src/routing/backend-topology.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../../src/codec/message-frames.js';
import { FakeKafkaBroker, startFakeCluster } from './fake-kafka.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

function topologyWithConnector(
  bootstrap: string[],
  refreshIntervalMs = 60_000,
  backend: Record<string, unknown> = {},
  refusalHoldOffMs?: number,
): { topology: BackendTopology; connector: UpstreamConnector } {
  const config = parseConfig({
    virtualCluster: { clusterId: 'v' },
    listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
    backends: [{ name: 'main', bootstrapServers: bootstrap, ...backend }],
    limits: { upstreamConnectTimeoutMs: 1_000 },
  });
  const log = createLogger({ level: 'silent' });
  const metrics = new ProxyMetrics({ apiName: () => undefined });
  const connector = new UpstreamConnector({ backends: config.backends, limits: config.limits, metrics, log, ...(refusalHoldOffMs !== undefined ? { refusalHoldOffMs } : {}) });
  const topology = new BackendTopology({ backend: config.backends[0], limits: config.limits, refreshIntervalMs, log, metrics, connector });
  cleanups.push(() => topology.close());
  return { topology, connector };
}

function topologyFor(bootstrap: string[], refreshIntervalMs = 60_000): BackendTopology {
  return topologyWithConnector(bootstrap, refreshIntervalMs).topology;
}

async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('BackendTopology', () => {
  it('learns brokers, racks, controller and the intersection of api versions', async () => {
    const cluster = await startFakeCluster(3);
    cleanups.push(cluster.close);
    cluster.state.maxVersions.set(ApiKey.Produce, 9);
    const t = topologyFor([`127.0.0.1:${cluster.brokers[1].port}`]);
    let changes = 0;
    t.onChange(() => changes++);
    t.start();
    await until(() => t.isKnown);
    expect([...t.brokers().values()].map((b) => [b.brokerId, b.rack])).toEqual([
      [11, 'r1'],
      [12, 'r2'],
      [13, 'r3'],
    ]);
    expect(t.controllerId).toBe(11);
    expect(t.clusterId).toBe('fAkEbAcKeNdClUsTeRiD00');
    expect(t.apiVersions.range(ApiKey.Produce)?.maxVersion).toBe(9);
    expect(changes).toBe(1);
    // every broker was asked for its api versions
    for (const b of cluster.brokers) expect(b.requests.some((r) => r.apiKey === ApiKey.ApiVersions)).toBe(true);
  });

  it('keeps retrying until a backend answers', async () => {
    const broker = new FakeKafkaBroker(11, { clusterId: 'c', controllerId: 11, brokers: [], maxVersions: new Map() });
    const port = await broker.listen();
    await broker.close();
    const t = topologyFor([`127.0.0.1:${port}`]);
    t.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(t.isKnown).toBe(false);
    const back = new FakeKafkaBroker(11, { clusterId: 'c', controllerId: 11, brokers: [], maxVersions: new Map() });
    await back.listen(port);
    back.state.brokers.push({ nodeId: 11, host: '127.0.0.1', port, rack: null });
    cleanups.push(() => back.close());
    await until(() => t.isKnown, 10_000);
    expect([...t.brokers().keys()]).toEqual([11]);
  });

  it('notices a broker leaving and coming back on refresh', async () => {
    const cluster = await startFakeCluster(2);
    cleanups.push(cluster.close);
    const t = topologyFor([`127.0.0.1:${cluster.brokers[0].port}`], 100);
    let changes = 0;
    t.onChange(() => changes++);
    t.start();
    await until(() => t.isKnown);
    const gone = cluster.state.brokers.pop()!;
    await until(() => t.brokers().size === 1);
    cluster.state.brokers.push(gone);
    await until(() => t.brokers().size === 2);
    expect(changes).toBe(3);
  });

  it('logs in afresh at a refresh while the backend refuses Turnout, so a fixed password is seen without clients', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'turnout-topology-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, 'right\n');
    const broker = new FakeKafkaBroker(11, { clusterId: 'c', controllerId: 11, brokers: [], maxVersions: new Map() }, { plainUsers: new Map([['turnout', 'right']]) });
    const port = await broker.listen();
    broker.state.brokers.push({ nodeId: 11, host: '127.0.0.1', port, rack: null });
    cleanups.push(() => broker.close());
    const { topology: t, connector } = topologyWithConnector([`127.0.0.1:${port}`], 60_000, { credentials: { sasl: { mechanism: 'PLAIN', username: 'turnout', passwordFile } } }, 10);
    t.start();
    await until(() => t.isKnown);

    // A client's new connection is refused once the password changes.
    await writeFile(passwordFile, 'wrong\n');
    const upstream = connector.open({ backend: 'main', brokerId: 11, host: '127.0.0.1', port }, { onUpstreamDrain: () => undefined, onUpstreamClosed: () => undefined }, { log: createLogger({ level: 'silent' }) });
    await until(() => upstream.isClosed);
    expect(connector.identities.isRefused('main')).toBe(true);

    await writeFile(passwordFile, 'right\n');
    await new Promise((r) => setTimeout(r, 20));
    const logins = broker.requests.filter((r) => r.apiKey === ApiKey.SaslAuthenticate).length;
    t.requestRefresh();
    await until(() => !connector.identities.isRefused('main'));
    expect(broker.requests.filter((r) => r.apiKey === ApiKey.SaslAuthenticate).length).toBeGreaterThan(logins);
  });
});

describe('startProxy over a fake backend', () => {
  it('binds a node port per broker, becomes ready and presents only its own nodes', async () => {
    const cluster = await startFakeCluster(3);
    cleanups.push(cluster.close);
    const proxy: ProxyHandle = await startProxy(
      {
        virtualCluster: { clusterId: 'tUrNoUtUnItPrOxYtEsT00' },
        listeners: [{ bindHost: '127.0.0.1', advertisedHost: 'turnout.test', bootstrapPort: 0, nodePortBase: 0 }],
        backends: [{ name: 'fake', bootstrapServers: [`127.0.0.1:${cluster.brokers[0].port}`] }],
        admin: { host: '127.0.0.1', port: 0 },
      },
      { logLevel: 'debug', waitForReadyMs: 5_000 },
    );
    cleanups.push(() => proxy.close());
    expect(proxy.isReady()).toBe(true);
    const nodes = proxy.ports().nodes;
    expect([...nodes.keys()].sort()).toEqual([0, 1, 2]);
    expect((await fetch(`http://127.0.0.1:${proxy.adminPort}/readyz`)).status).toBe(200);

    const conn = new UpstreamConnection(
      {
        backend: 'turnout',
        brokerId: -1,
        host: '127.0.0.1',
        port: proxy.ports().bootstrap,
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
    const req = createMetadataRequest();
    req.topics = [];
    const res = await sendRequest(conn, encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 0, clientId: 't' }, req, encodeMetadataRequest));
    const m = decodeResponseFrame(res, ApiKey.Metadata, 12, decodeMetadataResponse).body;
    expect(m.clusterId).toBe('tUrNoUtUnItPrOxYtEsT00');
    expect(m.brokers.map((b) => [b.nodeId, b.host, b.port, b.rack])).toEqual([
      [0, 'turnout.test', nodes.get(0), 'r1'],
      [1, 'turnout.test', nodes.get(1), 'r2'],
      [2, 'turnout.test', nodes.get(2), 'r3'],
    ]);
    expect(m.controllerId).toBe(0);
    await proxy.close();
    expect(proxy.clientConnections).toBe(0);
  }, 30_000);

  it('closes while clients are still connected, closing their connections', async () => {
    const cluster = await startFakeCluster(1);
    cleanups.push(cluster.close);
    const proxy = await startProxy(
      {
        virtualCluster: { clusterId: 'c' },
        listeners: [{ bindHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 }],
        backends: [{ name: 'fake', bootstrapServers: [`127.0.0.1:${cluster.brokers[0].port}`] }],
      },
      { logLevel: 'silent', admin: false },
    );
    const socket = net.connect({ host: '127.0.0.1', port: proxy.ports().bootstrap });
    socket.on('error', () => undefined);
    const socketClosed = new Promise<void>((r) => socket.on('close', () => r()));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    await until(() => proxy.clientConnections === 1);
    // The client never leaves; the close must not wait for it beyond the drain time.
    await proxy.close({ drainTimeoutMs: 1_000 });
    await socketClosed;
  }, 30_000);

  it('rejects a bad configuration naming the field', async () => {
    await expect(startProxy({ virtualCluster: { clusterId: '' } } as never)).rejects.toThrow(/virtualCluster\.clusterId/);
  });
});
