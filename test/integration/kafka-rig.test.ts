// The shared rig itself: the clusters global-setup starts are what the other integration
// tests assume (3 brokers, one per rack, reachable by Kafka's tools, kcat and the probe).
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ensureKafka, KAFKA_TOOLS, probeKafka, TOOLS_KAFKA_VERSION } from '../../src/devkit/index.js';
import {
  consumeLines,
  createTopic,
  describeTopic,
  kafkaToolOk,
  kcat,
  mainCluster,
  produceLines,
  startRigBroker,
  startTool,
  stopRigBroker,
  uniqueGroup,
  useCluster,
  waitFor,
  type ClusterInfo,
} from './rig.js';

async function brokersSeenBy(cluster: ClusterInfo, port: number): Promise<Array<{ nodeId: number; rack: string | null; port: number }>> {
  const probe = await probeKafka('127.0.0.1', port, { metadata: true });
  expect(probe.error).toBeUndefined();
  return (probe.brokers ?? []).map((b) => ({ nodeId: b.nodeId, rack: b.rack, port: b.port })).sort((a, b) => a.nodeId - b.nodeId);
}

function expectThreeRackedBrokers(seen: Array<{ nodeId: number; rack: string | null; port: number }>, cluster: ClusterInfo): void {
  expect(seen.map((b) => [b.nodeId, b.rack])).toEqual([
    [1, 'az-a'],
    [2, 'az-b'],
    [3, 'az-c'],
  ]);
  expect(seen.map((b) => b.port)).toEqual(cluster.brokers.map((b) => b.port));
}

async function roundTripWithConsoleTools(cluster: ClusterInfo): Promise<void> {
  const topic = await createTopic(cluster, { partitions: 3 });
  const partitions = await describeTopic(cluster, topic);
  expect(partitions).toHaveLength(3);
  for (const p of partitions) expect(p.replicas.slice().sort()).toEqual([1, 2, 3]);
  const lines = Array.from({ length: 20 }, (_, i) => `k${i % 4}:value-${i}`);
  await produceLines(cluster, topic, lines, { keySeparator: ':' });
  const got = await consumeLines(cluster, topic, { count: lines.length, group: uniqueGroup() });
  expect(got.slice().sort()).toEqual(lines.map((l) => l.split(':')[1]).sort());
}

describe('shared Kafka 4.1.1 cluster', () => {
  it('has three brokers, one in each of az-a, az-b and az-c, as every broker reports', async () => {
    const cluster = mainCluster();
    expect(cluster.version).toBe('4.1.1');
    expect(cluster.brokers.map((b) => b.rack)).toEqual(['az-a', 'az-b', 'az-c']);
    for (const broker of cluster.brokers) expectThreeRackedBrokers(await brokersSeenBy(cluster, broker.port), cluster);
  });

  it('creates a topic and round-trips records with the console producer and consumer', async () => {
    await roundTripWithConsoleTools(mainCluster());
  });

  it('round-trips records with kcat (librdkafka)', async () => {
    const cluster = mainCluster();
    const topic = await createTopic(cluster, { partitions: 1 });
    const produced = await kcat(['-b', cluster.bootstrapServers, '-t', topic, '-P', '-K', ':'], { input: 'a:1\nb:2\nc:3\n' });
    expect(produced.code, produced.stderr).toBe(0);
    const consumed = await kcat(['-b', cluster.bootstrapServers, '-t', topic, '-C', '-o', 'beginning', '-c', '3', '-e', '-f', '%k=%s\\n']);
    expect(consumed.code, consumed.stderr).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toEqual(['a=1', 'b=2', 'c=3']);
  });

  it('stops one broker and starts it again while the others keep serving', async () => {
    const cluster = mainCluster();
    const [b1, , b3] = cluster.brokers;
    await stopRigBroker(cluster, 2);
    await waitFor(async () => (await brokersSeenBy(cluster, b1!.port)).map((b) => b.nodeId).join(',') === '1,3', { what: 'broker 2 to leave the metadata' });
    const topic = await createTopic(cluster, { partitions: 2, replicationFactor: 2 });
    await produceLines(`127.0.0.1:${b3!.port}`, topic, ['while-2-is-down']);
    await startRigBroker(cluster, 2);
    expectThreeRackedBrokers(await brokersSeenBy(cluster, b1!.port), cluster);
    expect(await consumeLines(cluster, topic, { count: 1 })).toEqual(['while-2-is-down']);
  });

  it('streams a background consumer line by line while records arrive', async () => {
    const cluster = mainCluster();
    const topic = await createTopic(cluster, { partitions: 1 });
    // A new group with --from-beginning starts at the earliest offset, so records produced
    // before it has joined are still read.
    const consumer = await startTool('kafka-console-consumer', ['--bootstrap-server', cluster.bootstrapServers, '--topic', topic, '--group', uniqueGroup(), '--from-beginning']);
    await produceLines(cluster, topic, ['first', 'second']);
    expect(await consumer.waitForLine()).toBe('first');
    expect(await consumer.waitForLine((l) => l === 'second')).toBe('second');
    await consumer.stop();
  });

  it('runs the verifiable producer, which reports every acknowledged record as JSON', async () => {
    const cluster = mainCluster();
    const topic = await createTopic(cluster, { partitions: 2 });
    const out = await kafkaToolOk('kafka-verifiable-producer', ['--bootstrap-server', cluster.bootstrapServers, '--topic', topic, '--max-messages', '10', '--acks', '-1']);
    const events = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { name: string });
    expect(events.filter((e) => e.name === 'producer_send_success')).toHaveLength(10);
  });

  it('reports the KRaft quorum through kafka-metadata-quorum', async () => {
    const cluster = mainCluster();
    const out = await kafkaToolOk('kafka-metadata-quorum', ['--bootstrap-server', cluster.bootstrapServers, 'describe', '--status']);
    expect(out).toContain(`ClusterId:              ${cluster.clusterId}`);
    expect(out).toMatch(/LeaderId:\s+100/);
  });
});

describe('Kafka tool table', () => {
  // javap exits non-zero and names the class when one is missing.
  async function missingClasses(version: string, classes: string[]): Promise<string> {
    const install = await ensureKafka(version);
    return new Promise((resolveOut, reject) => {
      const child = spawn('javap', ['-cp', install.classpath, ...classes], { stdio: ['ignore', 'ignore', 'pipe'] });
      const err: Buffer[] = [];
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.once('error', reject);
      child.once('close', () => resolveOut(Buffer.concat(err).toString('utf8')));
    });
  }

  it(`names main classes that exist in the Kafka ${TOOLS_KAFKA_VERSION} jars`, async () => {
    expect(await missingClasses(TOOLS_KAFKA_VERSION, KAFKA_TOOLS.map((t) => t.mainClass))).toBe('');
  });

  it('names main classes that exist in the Kafka 3.9.1 jars', async () => {
    const classes = KAFKA_TOOLS.filter((t) => t.mainClass3 !== null).map((t) => t.mainClass3 ?? t.mainClass);
    expect(await missingClasses('3.9.1', classes)).toBe('');
  });
});

describe('legacy Kafka 3.9.1 cluster, started on first use', () => {
  it('has three racked brokers and serves the 4.1.1 console tools', async () => {
    const cluster = await useCluster('legacy');
    expect(cluster.version).toBe('3.9.1');
    expect(cluster.cluster).not.toBe(mainCluster().cluster);
    expectThreeRackedBrokers(await brokersSeenBy(cluster, cluster.brokers[0]!.port), cluster);
    await roundTripWithConsoleTools(cluster);
  }, 300_000);
});
