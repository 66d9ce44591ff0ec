// Client zone resolution with real clients through a single-backend Turnout on the rig's main
// cluster (brokers in racks az-a, az-b, az-c): a kcat consumer tagged turnout_az=az-b in its
// client.id, a kcat consumer with client.rack=az-c, and a kafkajs producer with neither, whose
// zone comes from its source address. The listener binds "::" so IPv4 clients arrive as
// IPv4-mapped IPv6 addresses (::ffff:127.0.0.1), which must still match the IPv4 CIDRs.
// GET /v1/zones shows each connection's zone and source, and counts bytes by zone pair.
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ZoneClientView, ZonesResponse } from '../../src/admin/zone-routes.js';
import { createLogger } from '../../src/observability/logger.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { createTopic, mainCluster, produceLines, waitFor } from './rig.js';
import { zonesView } from './zone-view.js';

const { Kafka, logLevel } = kafkajs;

interface LogLine {
  msg: string;
  conn: number;
  clientId?: string | null;
  zone?: string | null;
  zoneSource?: string;
  previousZoneSource?: string;
  evidence?: string | null;
}

let proxy: ProxyHandle;
const logs: LogLine[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text.includes('client zone')) logs.push(JSON.parse(text) as LogLine);
      }
      done();
    },
  });
  proxy = await startProxy(
    {
      virtualCluster: { clusterId: 'tUrNoUtZoNeReSoLvE0000' },
      zones: ['az-a', 'az-b', 'az-c', 'lab'],
      listeners: [{ bindHost: '::', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, zone: 'lab' }],
      // Every IPv4 client is in az-b, except loopback ones: the longer prefix wins.
      clientZones: { cidrs: { '0.0.0.0/0': 'az-b', '127.0.0.0/8': 'az-a' } },
      backends: [
        { name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(','), rackZones: { 'az-a': 'az-a', 'az-b': 'az-b', 'az-c': 'az-c' } },
      ],
      admin: { host: '127.0.0.1', port: 0 },
    },
    { logger: createLogger({ level: 'info', destination: sink }) },
  );
});

afterAll(async () => {
  await proxy?.close();
});

function zones(): Promise<ZonesResponse> {
  return zonesView(proxy);
}

/** A kcat consumer that keeps running (and its connections open) until the test ends. */
function startKcatConsumer(topic: string, settings: readonly string[]): ChildProcess {
  const args = ['-b', proxy.bootstrapServers(), '-C', '-t', topic, '-o', 'beginning', '-q', ...settings.flatMap((s) => ['-X', s])];
  const child = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.resume();
  child.stderr?.resume();
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  return child;
}

function connectionsOf(view: ZonesResponse, clientId: string): ZoneClientView[] {
  return view.clients.connections.filter((c) => c.clientId === clientId);
}

describe('client zone resolution', () => {
  it('decides each real client\'s zone from its client.id tag, its Fetch rack or its source address, and shows them on GET /v1/zones', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 3, replicationFactor: 3 });
    await produceLines(mainCluster(), topic, Array.from({ length: 30 }, (_, i) => `record-${i}`));

    const tagged = 'svc,turnout_az=az-b';
    const racked = 'zone-test-rack-consumer';
    startKcatConsumer(topic, [`client.id=${tagged}`]);
    startKcatConsumer(topic, [`client.id=${racked}`, 'client.rack=az-c']);

    const kafka = new Kafka({ clientId: 'zone-test-kafkajs', brokers: [proxy.bootstrapServers()], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    await producer.send({ topic, messages: [{ key: 'k', value: 'from kafkajs' }] });

    // Each client's connections: bootstrap and per node. The rack consumer's fetching
    // connections move to fetch-rack; its others keep the CIDR zone they started with.
    const view = await waitFor(
      async () => {
        const v = await zones();
        const rackFetching = connectionsOf(v, racked).some((c) => c.source === 'fetch-rack');
        const ready = connectionsOf(v, tagged).length > 0 && connectionsOf(v, 'zone-test-kafkajs').length > 0 && rackFetching;
        return ready ? v : null;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );

    for (const c of connectionsOf(view, tagged)) {
      expect(c).toMatchObject({ zone: 'az-b', source: 'client-id-tag', evidence: 'turnout_az=az-b' });
    }
    for (const c of connectionsOf(view, 'zone-test-kafkajs')) {
      expect(c.remote).toMatch(/^::ffff:127\.0\.0\.1:\d+$/);
      expect(c).toMatchObject({ zone: 'az-a', source: 'cidr', evidence: '127.0.0.0/8' });
    }
    const rackConns = connectionsOf(view, racked);
    expect(rackConns.filter((c) => c.source === 'fetch-rack').every((c) => c.zone === 'az-c' && c.evidence === 'az-c')).toBe(true);
    expect(rackConns.filter((c) => c.source !== 'fetch-rack').every((c) => c.source === 'cidr' && c.zone === 'az-a')).toBe(true);

    // Per zone, connections by source, over every open connection.
    const byZone = new Map(view.clients.byZone.map((z) => [z.zone, z]));
    expect(byZone.get('az-b')?.bySource['client-id-tag']).toBe(connectionsOf(view, tagged).length);
    expect(byZone.get('az-c')?.bySource['fetch-rack']).toBeGreaterThanOrEqual(1);
    expect(byZone.get('az-a')?.bySource.cidr).toBeGreaterThanOrEqual(connectionsOf(view, 'zone-test-kafkajs').length);
    expect(view.clients.total).toBe(view.clients.connections.length);
    expect(view.zones).toEqual(['az-a', 'az-b', 'az-c', 'lab']);
    expect(view.listeners).toEqual([{ name: 'default', zone: 'lab' }]);

    // Bytes by zone pair: the rack consumer (az-c) fetched from leaders in every rack, so some
    // of its bytes crossed zones; the cross-zone totals are the sum of the cross pairs.
    await waitFor(async () => (await zones()).bytes.pairs.some((p) => p.clientZone === 'az-c' && p.fromBrokerBytes > 0), { timeoutMs: 30_000 });
    const later = await zones();
    const cross = later.bytes.pairs.filter((p) => p.crossZone);
    expect(cross.length).toBeGreaterThan(0);
    expect(later.bytes.crossZone.fromBrokerBytes).toBe(cross.reduce((n, p) => n + p.fromBrokerBytes, 0));
    expect(later.bytes.crossZone.toBrokerBytes).toBe(cross.reduce((n, p) => n + p.toBrokerBytes, 0));
    expect(later.bytes.pairs.every((p) => ['az-a', 'az-b', 'az-c'].includes(p.brokerZone))).toBe(true);
    expect(later.decisions).toContainEqual(expect.objectContaining({ zone: 'az-c', source: 'fetch-rack' }));

    // Metrics and logs carry the same decisions.
    const metrics = await (await fetch(`http://127.0.0.1:${proxy.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/turnout_client_zone_decisions_total\{zone="az-b",source="client-id-tag"\} [1-9]/);
    expect(metrics).toMatch(/turnout_client_zone_decisions_total\{zone="az-a",source="cidr"\} [1-9]/);
    expect(metrics).toMatch(/turnout_zone_bytes_total\{client_zone="az-c",broker_zone="az-[abc]",direction="from_broker"\} [1-9]/);
    expect(metrics).toMatch(/turnout_cross_zone_bytes_total\{direction="from_broker"\} [1-9]/);
    expect(logs).toContainEqual(expect.objectContaining({ msg: 'client zone decided', clientId: tagged, zone: 'az-b', zoneSource: 'client-id-tag' }));
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'client zone changed', clientId: racked, zone: 'az-c', zoneSource: 'fetch-rack', previousZoneSource: 'cidr' }),
    );
    // Logged once per change: per connection one decision and, here, at most one upgrade,
    // however many requests and fetches it made.
    const perConn = new Map<number, string[]>();
    for (const l of logs) perConn.set(l.conn, [...(perConn.get(l.conn) ?? []), l.msg]);
    for (const msgs of perConn.values()) expect(['client zone decided', 'client zone decided,client zone changed']).toContain(msgs.join(','));
  });
});
