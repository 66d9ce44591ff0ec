// Zone-local routing through one Turnout on the rig's main cluster (brokers 1, 2, 3 in racks
// az-a, az-b, az-c). Turnout has a listener in each of az-a, az-b and az-c, each with node ids
// of its own; az-d and az-e have none (az-d falls back to az-c by configuration, az-e to the
// first zone with nodes in the order of `zones`). The topics have their leaders outside az-b
// (replica assignment 1:2:3 and 3:2:1), so an az-b consumer is served by broker 2, a follower.
//   - kafkajs, kcat and the Java admin client tagged turnout_az=az-b are shown only the az-b
//     nodes (rack az-b), whichever listener they bootstrap from, and connect to nothing else;
//   - a kcat consumer in az-b fetches from the az-b follower and reads every record once, in
//     order; the follower is stopped mid-consumption and the consumer goes on from the
//     leaders without a gap, then returns to the follower once it is back in the ISR;
//   - clients of az-d and az-e are served by their fallback zone's nodes and counted.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ZonesResponse } from '../../src/admin/zone-routes.js';
import type { ZoneFetchCount } from '../../src/observability/zone-metrics.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { describeTopic, kafkaToolOk, kcat, mainCluster, startRigBroker, stopRigBroker, uniqueTopic, waitFor, deleteTopics } from './rig.js';
import { zonesView } from './zone-view.js';

const { Kafka, logLevel } = kafkajs;

/** The rig's az-b broker: a follower of every partition of the topics below. */
const AZ_B_BROKER = 2;
const TAG_B = 'zr-consumer,turnout_az=az-b';

let proxy: ProxyHandle;

beforeAll(async () => {
  const listener = (zone: string, nodeIdBase: number) => ({
    name: zone,
    bindHost: '127.0.0.1',
    advertisedHost: '127.0.0.1',
    bootstrapPort: 0,
    nodePortBase: 0,
    nodes: 2,
    nodeIdBase,
    zone,
  });
  proxy = await startProxy(
    {
      virtualCluster: { clusterId: 'tUrNoUtZoNeRoUtInG00000' },
      zones: ['az-a', 'az-b', 'az-c', 'az-d', 'az-e'],
      listeners: [listener('az-a', 0), listener('az-b', 100), listener('az-c', 200)],
      backends: [{ name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(','), rackZones: { 'az-a': 'az-a', 'az-b': 'az-b', 'az-c': 'az-c' } }],
      domains: [{ name: 'zr', owner: 'team-zones', topics: ['*'], groups: ['*'], backend: 'main', locality: { leaders: 'producer-zone' } }],
      zoneRouting: { fallbacks: { 'az-d': ['az-c'] } },
      // Quick to notice a follower leaving and rejoining the ISR.
      topology: { refreshIntervalMs: 2_000 },
      admin: { host: '127.0.0.1', port: 0 },
    },
    { logLevel: 'warn', waitForReadyMs: 60_000 },
  );
}, 120_000);

afterAll(async () => {
  await proxy?.close();
});

function zones(): Promise<ZonesResponse> {
  return zonesView(proxy);
}

async function metricsText(): Promise<string> {
  return (await fetch(`http://127.0.0.1:${proxy.adminPort}/metrics`)).text();
}

/** `host:port` of each node of a listener, by node id. */
function nodesOf(listener: string): Map<number, string> {
  const p = proxy.ports(listener);
  return new Map([...p.nodes].map(([id, port]) => [id, `${p.advertisedHost}:${port}`]));
}

/** A topic with its leaders outside az-b: partition 0 led by broker 1 (az-a), partition 1 by broker 3 (az-c). */
async function topicLedOutsideAzB(): Promise<string> {
  const topic = uniqueTopic('zr');
  await kafkaToolOk('kafka-topics', ['--bootstrap-server', mainCluster().bootstrapServers, '--create', '--topic', topic, '--replica-assignment', '1:2:3,3:2:1']);
  onTestFinished(() => deleteTopics(mainCluster(), [topic]));
  await waitFor(async () => (await describeTopic(mainCluster(), topic)).every((p) => p.isr.length === 3), { what: `${topic} fully in sync` });
  return topic;
}

function kafka(clientId: string, listener: string): kafkajs.Kafka {
  return new Kafka({ clientId, brokers: [proxy.bootstrapServers(listener)], logLevel: logLevel.NOTHING });
}

function fetchesOf(view: ZonesResponse, clientZone: string): ZoneFetchCount[] {
  return view.routing.fetches.filter((f) => f.clientZone === clientZone);
}

function bytesFrom(view: ZonesResponse, clientZone: string, match: (f: ZoneFetchCount) => boolean): number {
  return fetchesOf(view, clientZone).filter(match).reduce((n, f) => n + f.recordBytes, 0);
}

/** A kcat consumer without a group, printing `partition:offset:value` per record until stopped. */
interface KcatConsumer {
  readonly records: Array<{ partition: number; offset: number; value: string; atMs: number }>;
  stderr(): string;
}

function startKcatConsumer(topic: string, clientId: string, listener: string): KcatConsumer {
  const args = ['-b', proxy.bootstrapServers(listener), '-C', '-u', '-t', topic, '-o', 'beginning', '-q', '-f', '%p:%o:%s\\n', '-X', `client.id=${clientId}`, '-X', 'fetch.wait.max.ms=100'];
  const child: ChildProcess = spawn('kcat', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const records: KcatConsumer['records'] = [];
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-16_384);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [p, o, ...rest] = line.split(':');
    records.push({ partition: Number(p), offset: Number(o), value: rest.join(':'), atMs: Date.now() });
  });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  return { records, stderr: () => stderr };
}

/** Every produced value read exactly once, and per partition in offset order with no gap. */
function expectExactlyOnceInOrder(consumer: KcatConsumer, produced: readonly string[]): void {
  const values = consumer.records.map((r) => r.value);
  expect(new Set(values).size).toBe(values.length);
  expect([...values].sort()).toEqual([...produced].sort());
  for (const partition of [0, 1]) {
    const offsets = consumer.records.filter((r) => r.partition === partition).map((r) => r.offset);
    expect(offsets).toEqual(offsets.map((_, i) => i));
    const seqs = consumer.records.filter((r) => r.partition === partition).map((r) => Number(r.value.split('-')[1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }
}

describe('zone-local routing', () => {
  it('shows kafkajs, kcat and Java clients tagged az-b only the az-b nodes, whichever listener they bootstrap from', async () => {
    const topic = await topicLedOutsideAzB();
    const azB = nodesOf('az-b');
    expect([...azB.keys()]).toEqual([100, 101]);

    // kafkajs bootstrapping from the az-a listener.
    const admin = kafka('zr-admin,turnout_az=az-b', 'az-a').admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    const cluster = await admin.describeCluster();
    expect(cluster.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]).sort()).toEqual([...azB].sort());
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    for (const p of meta.topics[0].partitions) {
      expect([100, 101]).toContain(p.leader);
      expect(p.replicas.every((r) => r === 100 || r === 101)).toBe(true);
      expect(p.isr.every((r) => r === 100 || r === 101)).toBe(true);
    }

    // kcat bootstrapping from the az-c listener.
    const listed = await kcat(['-b', proxy.bootstrapServers('az-c'), '-L', '-t', topic, '-X', `client.id=${TAG_B}`]);
    expect(listed.code).toBe(0);
    const brokers = [...listed.stdout.matchAll(/broker (\d+) at (\S+)/g)].map((m) => [Number(m[1]), m[2]]);
    expect(brokers.sort()).toEqual([...azB].sort());
    const leaders = [...listed.stdout.matchAll(/leader (-?\d+), replicas: ([\d,]+), isrs: ([\d,]+)/g)];
    expect(leaders).toHaveLength(2);
    for (const m of leaders) expect([m[1], ...m[2].split(','), ...m[3].split(',')].every((id) => id === '100' || id === '101')).toBe(true);

    // The Java admin client sees the nodes' rack: the zone. (This tool sets a client.id of its
    // own, so it is in az-b by the listener it bootstraps from.)
    const versions = await kafkaToolOk('kafka-broker-api-versions', ['--bootstrap-server', proxy.bootstrapServers('az-b')]);
    const seen = [...versions.matchAll(/^(\S+) \(id: (\d+) rack: ([^\s)]+)/gm)].map((m) => [Number(m[2]), m[1], m[3]]);
    expect(seen.sort()).toEqual([...azB].map(([id, addr]) => [id, addr, 'az-b']).sort());

    // Every connection these clients opened past their bootstrap one went to an az-b node.
    const view = await zones();
    const tagged = view.clients.connections.filter((c) => c.clientId?.endsWith('turnout_az=az-b') === true);
    expect(tagged.length).toBeGreaterThan(0);
    expect(tagged.every((c) => c.zone === 'az-b' && c.source === 'client-id-tag')).toBe(true);
    const elsewhere = tagged.filter((c) => c.listener !== 'az-b');
    // kafkajs keeps its bootstrap connection (az-a); kcat closed its own.
    expect(elsewhere.length).toBeLessThanOrEqual(1);
    expect(tagged.some((c) => c.listener === 'az-b')).toBe(true);
  });

  it('serves an az-b consumer from the az-b follower, moves it to the leaders while the follower is down and back once it is in sync again, every record once and in order', async () => {
    const topic = await topicLedOutsideAzB();
    const producer = kafka('zr-producer,turnout_az=az-a', 'az-a').producer();
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const produced: string[] = [];
    let seq = 0;
    const produce = async (count: number): Promise<void> => {
      const messages = Array.from({ length: count }, () => {
        const value = `rec-${String(seq).padStart(6, '0')}`;
        produced.push(value);
        return { partition: seq++ % 2, value };
      });
      await producer.send({ topic, acks: -1, messages });
    };
    const before = await zones();
    const consumer = startKcatConsumer(topic, TAG_B, 'az-b');
    const delivered = (n: number, what: string): Promise<boolean> => waitFor(() => consumer.records.length >= n, { timeoutMs: 90_000, what: `${n} records (${what}); stderr: ${consumer.stderr()}` });

    /** Median ms from sending one record (acks=all) to the consumer printing it. */
    const latencyMs = async (samples: number): Promise<number> => {
      const ms: number[] = [];
      for (let i = 0; i < samples; i++) {
        const sent = Date.now();
        await produce(1);
        await delivered(produced.length, 'latency probe');
        ms.push((consumer.records.at(-1)?.atMs ?? sent) - sent);
      }
      return ms.sort((a, b) => a - b)[Math.floor(samples / 2)];
    };

    // Phase 1: both partitions' leaders are outside az-b; only the az-b follower serves.
    await produce(200);
    await delivered(200, 'from the follower');
    const followerLatencyMs = await latencyMs(15);
    const phase1 = await zones();
    const followerBytes = (v: ZonesResponse): number => bytesFrom(v, 'az-b', (f) => f.replica === 'follower' && f.brokerZone === 'az-b');
    expect(followerBytes(phase1) - followerBytes(before)).toBeGreaterThan(200 * 10);
    // The leaders (az-a, az-c) served no record data to the az-b consumer.
    expect(bytesFrom(phase1, 'az-b', (f) => f.brokerZone !== 'az-b')).toBe(0);
    expect(fetchesOf(phase1, 'az-b').filter((f) => f.brokerZone !== 'az-b')).toEqual([]);

    // Phase 2: the follower stops mid-consumption; the consumer goes on from the leaders.
    await stopRigBroker(mainCluster(), AZ_B_BROKER);
    await produce(200);
    await delivered(produced.length, 'from the leaders while the follower is down');
    const leaderLatencyMs = await latencyMs(15);
    const phase2 = await zones();
    expect(bytesFrom(phase2, 'az-b', (f) => f.replica === 'leader' && f.brokerZone !== 'az-b')).toBeGreaterThan(200 * 10);
    // Whether a fetch was in flight on the follower when it stopped (then retried at the
    // leader, counted in followerRetries) or Turnout learned first that it left, is timing.

    // Phase 3: the follower is back in the ISR; the consumer returns to it.
    await startRigBroker(mainCluster(), AZ_B_BROKER);
    await waitFor(async () => (await describeTopic(mainCluster(), topic)).every((p) => p.isr.includes(AZ_B_BROKER)), { timeoutMs: 120_000, what: 'broker 2 back in the ISR' });
    const rejoined = followerBytes(await zones());
    await waitFor(
      async () => {
        await produce(20);
        return followerBytes(await zones()) > rejoined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'fetches from the az-b follower again' },
    );
    await delivered(produced.length, 'after the follower rejoined');
    expectExactlyOnceInOrder(consumer, produced);
    expect(consumer.stderr()).not.toMatch(/Offset out of range|OFFSET_OUT_OF_RANGE/i);
    process.stderr.write(
      `[zone routing] median produce-to-consume latency: ${followerLatencyMs} ms from the az-b follower, ${leaderLatencyMs} ms from the leaders; follower retries ${JSON.stringify(phase2.routing.followerRetries)}\n`,
    );

    // Produce goes to the leaders; the domain wants them in the producer's zone (az-a), and
    // partition 1's leader is in az-c: reported, not moved.
    const view = await zones();
    const remote = view.routing.remoteLeaders.filter((r) => r.topic === topic);
    expect(remote).toEqual([{ domain: 'zr', topic, partition: 1, leaderZone: 'az-c', producerZones: ['az-a'] }]);
    expect(await metricsText()).toMatch(/turnout_remote_leader_partitions\{domain="zr"\} [1-9]/);
    expect(await metricsText()).toMatch(/turnout_zone_fetch_bytes_total\{client_zone="az-b",broker_zone="az-b",replica="follower"\} [1-9]/);
  }, 400_000);

  it('serves clients of zones without Turnout nodes from their fallback zone and counts them', async () => {
    const fallback = async (clientId: string): Promise<Array<[number, string]>> => {
      const admin = kafka(clientId, 'az-b').admin();
      await admin.connect();
      onTestFinished(() => admin.disconnect());
      return (await admin.describeCluster()).brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]);
    };
    // az-d falls back to az-c, as configured; az-e to the first zone with nodes, az-a.
    expect((await fallback('zr-d,turnout_az=az-d')).sort()).toEqual([...nodesOf('az-c')].sort());
    expect((await fallback('zr-e,turnout_az=az-e')).sort()).toEqual([...nodesOf('az-a')].sort());
    const view = await zones();
    expect(view.routing.fallbacks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ clientZone: 'az-d', servedZone: 'az-c' }),
        expect.objectContaining({ clientZone: 'az-e', servedZone: 'az-a' }),
      ]),
    );
    const metrics = await metricsText();
    expect(metrics).toMatch(/turnout_zone_fallbacks_total\{client_zone="az-d",served_zone="az-c"\} [1-9]/);
    expect(metrics).toMatch(/turnout_zone_fallbacks_total\{client_zone="az-e",served_zone="az-a"\} [1-9]/);
  });
});
