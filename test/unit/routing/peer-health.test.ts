// Peer probes against a fake Kafka listener that answers ApiVersions, and against a port
// nothing listens on: down only after failuresBeforeDown failures in a row, up after one
// answer, each change reported once, on the gauge and in states().
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamConnector } from '../../../src/net/upstream-connector.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { PeerHealth } from '../../../src/routing/peer-health.js';
import { limitsWith } from '../net/socket-test-kit.js';
import { FakeKafkaBroker } from './fake-kafka.js';

const log = createLogger({ level: 'silent' });

/** Peers are Turnout instances: plain connections. */
function connector(metrics: ProxyMetrics): UpstreamConnector {
  return new UpstreamConnector({ backends: [], limits: limitsWith({}), metrics, log });
}
const open: Array<{ close(): unknown }> = [];

afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

async function fakePeer(port = 0): Promise<FakeKafkaBroker> {
  const broker = new FakeKafkaBroker(0, { clusterId: 'c', controllerId: 0, brokers: [], maxVersions: new Map() });
  await broker.listen(port);
  open.push(broker);
  return broker;
}

async function gauge(metrics: ProxyMetrics): Promise<string | undefined> {
  return (await metrics.registry.metrics()).match(/^turnout_peer_up\{peer="p",zone="az-b"\} (\d+)$/m)?.[1];
}

describe('PeerHealth', () => {
  it('counts a peer down after failuresBeforeDown failed probes in a row and up again after one answer', async () => {
    // A port that was free a moment ago: refused until the fake peer listens on it.
    const probe = await fakePeer();
    const port = probe.port;
    await probe.close();
    open.pop();
    const metrics = new ProxyMetrics({ apiName: () => undefined });
    const changes: Array<[string, boolean]> = [];
    const health = new PeerHealth({
      peers: [{ name: 'p', zone: 'az-b', host: '127.0.0.1', port }],
      intervalMs: 60_000,
      timeoutMs: 1_000,
      failuresBeforeDown: 3,
      log,
      metrics,
      connector: connector(metrics),
      onChange: (peer, up) => changes.push([peer, up]),
    });
    open.push(health);
    expect(health.isUp('p')).toBe(true);
    expect(await gauge(metrics)).toBe('1');

    await health.probeAll();
    await health.probeAll();
    expect(health.isUp('p')).toBe(true);
    expect(health.states()[0]).toMatchObject({ up: true, failures: 2 });
    await health.probeAll();
    expect(health.isUp('p')).toBe(false);
    const down = health.states()[0];
    expect(down).toMatchObject({ name: 'p', zone: 'az-b', endpoint: `127.0.0.1:${port}`, up: false, failures: 3 });
    expect(down.lastError).toMatch(/ECONNREFUSED/);
    expect(await gauge(metrics)).toBe('0');
    await health.probeAll();
    expect(changes).toEqual([['p', false]]);

    const peer = await fakePeer(port);
    await health.probeAll();
    expect(health.isUp('p')).toBe(true);
    expect(health.states()[0]).toMatchObject({ up: true, failures: 0, lastError: null });
    expect(await gauge(metrics)).toBe('1');
    expect(changes).toEqual([['p', false], ['p', true]]);
    // one kept connection: a second probe asks again on it
    await health.probeAll();
    expect(peer.requests.map((r) => r.apiKey)).toEqual([18, 18]);
  });

  it('takes a listener that accepts but never answers as failing once the timeout passes', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => void sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    open.push({
      close: () => {
        for (const s of sockets) s.destroy();
        return new Promise<void>((r) => silent.close(() => r()));
      },
    });
    const port = (silent.address() as net.AddressInfo).port;
    const metrics = new ProxyMetrics({ apiName: () => undefined });
    const health = new PeerHealth({ peers: [{ name: 'p', zone: 'az-b', host: '127.0.0.1', port }], intervalMs: 60_000, timeoutMs: 200, failuresBeforeDown: 1, log, metrics, connector: connector(metrics) });
    open.push(health);
    const started = Date.now();
    await health.probeAll();
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(health.isUp('p')).toBe(false);
  });
});
