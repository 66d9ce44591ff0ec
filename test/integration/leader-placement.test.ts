// Where Turnout places each partition's virtual leader, seen from real clients: by the real
// broker that serves the client's fetches of it, so that all the partitions one broker
// serves share a Turnout node and a consumer's Fetch to that node has one real destination.
//   - over two backends (main: Kafka 4.1.1, legacy: 3.9.1; 3 Turnout nodes), a topic whose
//     partitions are led by all 3 brokers of its backend is shown with one Turnout node per
//     real leader, and the Java consumer perf tool reading it gets every Fetch forwarded to
//     its broker (turnout_multi_fetch_total{path="forwarded_*"}), none gathered;
//   - with zone routing and follower fetching (one Turnout listener per zone of the main
//     cluster's racks), a consumer in az-b is shown every partition on the az-b node of
//     broker 2, the az-b replica that serves all its fetches, and its Fetches are forwarded
//     to broker 2 rather than gathered.
// Each run prints its Fetch paths (gathered / forwarded whole / forwarded streamed).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { createTopic, describeTopic, kafkaToolOk, mainCluster, uniqueName, waitFor, type ClusterInfo } from './rig.js';
import { twoDomainTurnoutForFile } from './two-domain-turnout.js';

const ORDERS = 'lpo-';
const PAYMENTS = 'lpp-';
/** Enough partitions that each broker leads several of them. */
const PARTITIONS = 9;
const RECORDS = 18_000;
const RECORD_BYTES = 1024;
const MAX_PARTITION_FETCH_BYTES = 128 * 1024;

type FetchPath = 'gathered' | 'forwarded_whole' | 'forwarded_streamed' | 'local';
const PATHS: readonly FetchPath[] = ['gathered', 'forwarded_whole', 'forwarded_streamed', 'local'];

/** Client Fetch requests over several backends so far, by how Turnout answered them. */
async function fetchPaths(proxy: ProxyHandle): Promise<Record<FetchPath, number>> {
  const text = await proxy.registry.metrics();
  const out = { gathered: 0, forwarded_whole: 0, forwarded_streamed: 0, local: 0 };
  for (const path of PATHS) out[path] = Number(new RegExp(`^turnout_multi_fetch_total\\{path="${path}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return out;
}

function since(after: Record<FetchPath, number>, before: Record<FetchPath, number>): Record<FetchPath, number> {
  return Object.fromEntries(PATHS.map((p) => [p, after[p] - before[p]])) as Record<FetchPath, number>;
}

function report(mode: string, d: Record<FetchPath, number>): void {
  const total = d.gathered + d.forwarded_whole + d.forwarded_streamed + d.local;
  const share = (n: number): string => `${total === 0 ? 0 : ((100 * n) / total).toFixed(1)}%`;
  process.stderr.write(
    `[leader-placement] ${mode}: ${total} fetches, gathered ${d.gathered} (${share(d.gathered)}), forwarded whole ${d.forwarded_whole} (${share(d.forwarded_whole)}), streamed ${d.forwarded_streamed} (${share(d.forwarded_streamed)}), answered locally ${d.local} (${share(d.local)})\n`,
  );
}

/** A topic of `partitions` partitions on `cluster` with RECORDS records of RECORD_BYTES written to it directly. */
async function filledTopic(cluster: ClusterInfo, prefix: string): Promise<string> {
  const topic = await createTopic(cluster, { name: uniqueName(`${prefix}t`), partitions: PARTITIONS, replicationFactor: 3 });
  await kafkaToolOk(
    'kafka-producer-perf-test',
    ['--topic', topic, '--num-records', String(RECORDS), '--record-size', String(RECORD_BYTES), '--throughput', '-1', '--producer-props', `bootstrap.servers=${cluster.bootstrapServers}`, 'acks=all', 'linger.ms=5'],
    { timeoutMs: 120_000 },
  );
  return topic;
}

/** Reads the whole topic with the Java consumer perf tool through `bootstrap`. */
async function consumeAll(bootstrap: string, topic: string, group: string, properties: Record<string, string> = {}): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'turnout-lp-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'consumer.properties');
  await writeFile(config, Object.entries(properties).map(([k, v]) => `${k}=${v}\n`).join(''));
  const out = await kafkaToolOk(
    'kafka-consumer-perf-test',
    ['--bootstrap-server', bootstrap, '--topic', topic, '--messages', String(RECORDS), '--group', group, '--timeout', '60000', '--consumer.config', config,
      // Smaller answers than the default 1 MiB a partition (the tool sets max.partition.fetch.bytes from this): more Fetch requests to count.
      '--fetch-size', String(MAX_PARTITION_FETCH_BYTES)],
    { timeoutMs: 180_000 },
  );
  // The tool prints one CSV line of results; its 4th field is the records read.
  const line = out.trim().split('\n').pop() ?? '';
  expect(Number(line.split(',')[4]), out).toBe(RECORDS);
}

describe('virtual leaders over two backends', () => {
  const rig = twoDomainTurnoutForFile({ clusterId: 'tUrNoUtLeAdErPlAcE0000', orders: ORDERS, payments: PAYMENTS });

  for (const [role, prefix] of [
    ['main', ORDERS],
    ['legacy', PAYMENTS],
  ] as const) {
    it(`shows one Turnout node per real leader of a ${role} topic and forwards every Fetch of the Java consumer perf tool`, async () => {
      const cluster = role === 'main' ? rig.main : rig.legacy;
      const proxy = rig.proxy;
      const topic = await filledTopic(cluster, prefix);
      const real = await describeTopic(cluster, topic);
      expect(new Set(real.map((p) => p.leader)).size, 'partitions led by every broker').toBe(3);

      const shown = await waitFor(async () => {
        const v = await describeTopic(proxy.bootstrapServers(), topic);
        return v.length === PARTITIONS && v.every((p) => p.leader >= 0) ? v : null;
      }, { what: `${topic} through Turnout` });
      const before = await fetchPaths(proxy);
      await consumeAll(proxy.bootstrapServers(), topic, uniqueName(`${prefix}g`));
      const d = since(await fetchPaths(proxy), before);
      report(`two backends, ${role} topic`, d);

      const nodeOf = new Map<number, number>();
      for (const p of real) {
        const node = shown[p.partition].leader;
        if (nodeOf.has(p.leader)) expect(node, `partition ${p.partition}: the node of broker ${p.leader}`).toBe(nodeOf.get(p.leader));
        else nodeOf.set(p.leader, node);
      }
      expect(new Set(nodeOf.values()).size, 'a node of its own for each real leader').toBe(3);
      expect(d.forwarded_whole + d.forwarded_streamed).toBeGreaterThan(0);
      expect(d.gathered, 'fetches gathered from several brokers').toBe(0);
    }, 300_000);
  }
});

describe('virtual leaders with zone routing and follower fetching', () => {
  let proxy: ProxyHandle;

  beforeAll(async () => {
    const listener = (zone: string, nodeIdBase: number) => ({ name: zone, bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, nodes: 2, nodeIdBase, zone });
    proxy = await startProxy(
      {
        virtualCluster: { clusterId: 'tUrNoUtLeAdErPlAcEzOnE' },
        zones: ['az-a', 'az-b', 'az-c'],
        listeners: [listener('az-a', 0), listener('az-b', 100), listener('az-c', 200)],
        backends: [{ name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(','), rackZones: { 'az-a': 'az-a', 'az-b': 'az-b', 'az-c': 'az-c' } }],
        domains: [{ name: 'lpz', owner: 'team-zones', topics: ['*'], groups: ['*'], backend: 'main' }],
        admin: { host: '127.0.0.1', port: 0 },
      },
      { logLevel: 'warn', waitForReadyMs: 60_000 },
    );
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
  });

  it('shows an az-b consumer every partition on the node of the az-b replica that serves its fetches', async () => {
    const topic = await filledTopic(mainCluster(), 'lpz-');
    expect(new Set((await describeTopic(mainCluster(), topic)).map((p) => p.leader)).size, 'partitions led by every broker').toBe(3);

    const shown = await waitFor(async () => {
      const v = await describeTopic(proxy.bootstrapServers('az-b'), topic);
      return v.length === PARTITIONS && v.every((p) => p.leader >= 0) ? v : null;
    }, { what: `${topic} through Turnout's az-b listener` });
    const before = await fetchPaths(proxy);
    await consumeAll(proxy.bootstrapServers('az-b'), topic, uniqueName('lpz-g'), { 'client.rack': 'az-b' });

    const d = since(await fetchPaths(proxy), before);
    report('zones, follower fetching, az-b consumer', d);

    expect(new Set(shown.map((p) => p.leader)).size, 'one node for broker 2').toBe(1);
    expect([100, 101]).toContain(shown[0].leader);
    // Each node's Fetch has the one destination broker 2, a follower for two thirds of the
    // partitions: forwarded (a follower answer the leader must fix becomes a retriable error).
    expect(d.forwarded_whole + d.forwarded_streamed, 'fetches forwarded to the az-b replica').toBeGreaterThan(d.gathered);
  }, 300_000);
});
