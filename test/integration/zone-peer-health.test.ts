// A peer Turnout instance that stops serving: its zone's clients are shown another zone's
// nodes until it is back. Two instances over the rig's main cluster: A (zone az-a, ephemeral
// ports) lists B (zone az-b, fixed node ports) under zoneRouting.peers and probes it. An
// idempotent Java producer tagged turnout_az=az-b bootstraps from A and is shown B's nodes;
// B is closed mid-run, A serves the az-b clients itself (counted as a fallback, shown on
// GET /v1/zones and turnout_peer_up), the producer carries on through A, B starts again on
// the same ports and its zone is shown B's nodes again. Every record is acknowledged and
// stored exactly once, in order.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { TurnoutConfigInput } from '../../src/policy/config.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { byPartition, javaClientLogOptions, readTopic, verifiableProducerEvents } from './acceptance-helpers.js';
import { createTopic, kcat, mainCluster, startTool, waitFor } from './rig.js';
import { freePortBlock } from './test-redis.js';
import { zonesView } from './zone-view.js';

const CLUSTER_ID = 'tUrNoUtPeErHeAlTh00000';
const TAG_B = 'peer-health,turnout_az=az-b';
const B_NODE_ID_BASE = 100;
const NODES = 2;
/** Probes every 250 ms, down after two failures: the switch takes about half a second. */
const PEER_HEALTH = { intervalMs: 250, timeoutMs: 500, failuresBeforeDown: 2 };

let a: ProxyHandle;
let b: ProxyHandle | null = null;
let bNodePortBase: number;

function instanceConfig(zone: 'az-a' | 'az-b', nodeIdBase: number, nodePortBase: number, peers: NonNullable<TurnoutConfigInput['zoneRouting']>['peers']): TurnoutConfigInput {
  return {
    virtualCluster: { clusterId: CLUSTER_ID },
    zones: ['az-a', 'az-b', 'az-c'],
    listeners: [{ name: zone, bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase, nodes: NODES, nodeIdBase, zone }],
    backends: [{ name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(','), rackZones: { 'az-a': 'az-a', 'az-b': 'az-b', 'az-c': 'az-c' } }],
    domains: [{ name: 'ph', owner: 'team-zones', topics: ['*'], groups: ['*'], backend: 'main' }],
    zoneRouting: { peers, peerHealth: PEER_HEALTH },
    admin: { host: '127.0.0.1', port: 0 },
  };
}

function startB(): Promise<ProxyHandle> {
  return startProxy(instanceConfig('az-b', B_NODE_ID_BASE, bNodePortBase, []), { logLevel: 'warn', waitForReadyMs: 60_000 });
}

beforeAll(async () => {
  bNodePortBase = await freePortBlock(NODES);
  b = await startB();
  a = await startProxy(
    instanceConfig('az-a', 0, 0, [{ name: 'turnout-b', zone: 'az-b', advertisedHost: '127.0.0.1', nodePortBase: bNodePortBase, nodeIdBase: B_NODE_ID_BASE, nodes: NODES }]),
    { logLevel: 'warn', waitForReadyMs: 60_000 },
  );
}, 120_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
});

/** The brokers kcat tagged az-b is shown from A's bootstrap: node id → host:port. */
async function brokersShownToAzB(topic: string): Promise<Map<number, string>> {
  const listed = await kcat(['-b', a.bootstrapServers(), '-L', '-t', topic, '-X', `client.id=${TAG_B}`]);
  expect(listed.code, listed.stderr).toBe(0);
  return new Map([...listed.stdout.matchAll(/broker (\d+) at (\S+)/g)].map((m) => [Number(m[1]), m[2]]));
}

const bNodes = (): Map<number, string> => new Map(Array.from({ length: NODES }, (_, i) => [B_NODE_ID_BASE + i, `127.0.0.1:${bNodePortBase + i}`]));

function aNodes(): Map<number, string> {
  const p = a.ports();
  return new Map([...p.nodes].map(([id, port]) => [id, `${p.advertisedHost}:${port}`]));
}

async function peerUpMetric(): Promise<string | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${a.adminPort}/metrics`)).text();
  return text.match(/^turnout_peer_up\{peer="turnout-b",zone="az-b"\} (\d+)$/m)?.[1];
}

describe('a peer instance that stops serving', () => {
  it('has its zone served by another zone\'s nodes until it is back, while an idempotent producer of that zone loses and doubles nothing', { timeout: 300_000 }, async () => {
    const cluster = mainCluster();
    const topic = await createTopic(cluster, { partitions: 3, replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
    expect(await brokersShownToAzB(topic)).toEqual(bNodes());
    expect((await zonesView(a)).peers).toMatchObject([{ name: 'turnout-b', zone: 'az-b', endpoint: `127.0.0.1:${bNodePortBase}`, up: true, failures: 0 }]);
    expect(await peerUpMetric()).toBe('1');

    const dir = await mkdtemp(join(tmpdir(), 'turnout-peer-health-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'producer.properties');
    await writeFile(
      config,
      [
        `client.id=${TAG_B}`,
        'enable.idempotence=true',
        'acks=all',
        'retries=2147483647',
        'delivery.timeout.ms=120000',
        'request.timeout.ms=10000',
        'linger.ms=5',
        // Shown only B's nodes, the producer knows no other address once B is gone but its
        // bootstrap (A): Kafka 4 clients go back to it by default; said here so it is plain.
        'metadata.recovery.strategy=rebootstrap',
        'reconnect.backoff.max.ms=1000',
      ].join('\n'),
    );
    const producer = await startTool('kafka-verifiable-producer', [
      '--bootstrap-server', a.bootstrapServers(), '--topic', topic, '--acks', '-1',
      '--throughput', '300', '--max-messages', '-1', '--producer.config', config,
    ], await javaClientLogOptions());
    const events = verifiableProducerEvents(producer);
    const { successes, errors, acked } = events;
    const progress = (what: string, atLeast: number) => events.progress(what, atLeast, 90_000);

    await progress('records through B', 300);
    const fallbacksBefore = (await zonesView(a)).routing.fallbacks.find((f) => f.clientZone === 'az-b')?.connections ?? 0;

    await b?.close();
    b = null;
    const closedAt = Date.now();
    await waitFor(async () => ((await zonesView(a)).peers[0]?.up === false ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, what: 'A to see B down' });
    process.stderr.write(`[peer-health] B seen down ${Date.now() - closedAt} ms after it closed\n`);
    expect(await brokersShownToAzB(topic)).toEqual(aNodes());
    const down = (await zonesView(a)).peers[0];
    expect(down.failures).toBeGreaterThanOrEqual(PEER_HEALTH.failuresBeforeDown);
    expect(down.lastError).toMatch(/ECONNREFUSED|closed/);
    expect(await peerUpMetric()).toBe('0');
    const atDown = acked();
    await progress('records through A while B is down', atDown + 300);
    const fallbacks = (await zonesView(a)).routing.fallbacks.find((f) => f.clientZone === 'az-b' && f.servedZone === 'az-a')?.connections ?? 0;
    expect(fallbacks, 'az-b connections shown az-a nodes').toBeGreaterThan(fallbacksBefore);

    b = await startB();
    await waitFor(async () => ((await zonesView(a)).peers[0]?.up === true ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, what: 'A to see B back' });
    expect(await brokersShownToAzB(topic)).toEqual(bNodes());
    expect(await peerUpMetric()).toBe('1');
    const atBack = acked();
    await progress('records after B is back', atBack + 300);

    expect(await events.finish(), 'the producer closes within 60 s').toBe(true);
    expect(errors.map((e) => e.exception ?? e.message)).toEqual([]);
    const total = successes.length;
    expect(events.toolData()?.acked).toBe(total);

    const stored = await readTopic(cluster.bootstrapServers, topic, 120_000);
    const values = stored.map((r) => Number(r.value));
    expect(stored).toHaveLength(total);
    expect(new Set(values).size, 'no duplicate').toBe(total);
    expect(Math.max(...values)).toBe(total - 1);
    for (const [partition, rs] of byPartition(stored)) {
      const seq = rs.map((r) => Number(r.value));
      expect(seq.findIndex((v, i) => i > 0 && v <= seq[i - 1]), `partition ${partition} in order`).toBe(-1);
    }
  });
});
