// Acceptance: what an administrator's tools learn about the cluster through Turnout is
// Turnout's virtual cluster: its node addresses and ids, its cluster id, never a real broker
// address or the real cluster id. Asked with Kafka's Java tools (Admin client) and kafkajs.
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import { backendFacts, expectJavaSawOnlyTurnout, expectNoBackendLeak, javaClientLogOptions, javaTool, startTurnout, virtualNodeIds } from './acceptance-helpers.js';
import { createTopic, kafkaTool, mainCluster } from './rig.js';

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;
const CLUSTER_ID = 'tUrNoUtAcCePtAdMiNvIeW';
let proxy: ProxyHandle;

beforeAll(async () => {
  ({ proxy } = await startTurnout(CLUSTER_ID));
});

afterAll(async () => {
  await proxy?.close();
});

/** Turnout's nodes as `[id, host:port, rack]`, sorted by id. */
function turnoutNodes(): Array<[number, string]> {
  const host = proxy.ports().advertisedHost;
  return [...proxy.ports().nodes].sort((a, b) => a[0] - b[0]).map(([id, port]) => [id, `${host}:${port}`]);
}

describe("the Admin client's view through Turnout", () => {
  it('kafka-broker-api-versions lists Turnout nodes with their virtual ids and racks', async () => {
    const result = await javaTool('kafka-broker-api-versions', ['--bootstrap-server', proxy.bootstrapServers()]);
    expectJavaSawOnlyTurnout(result, CLUSTER_ID, 'kafka-broker-api-versions');
    const out = result.stdout;
    const nodes = [...out.matchAll(/^(\S+) \(id: (-?\d+) rack: (\S+)[^)]*\) -> \(/gm)].map((m) => ({ address: m[1], id: Number(m[2]), rack: m[3] }));
    expect(nodes.map((n) => [n.id, n.address]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(turnoutNodes());
    expect(nodes.map((n) => n.rack).sort()).toEqual(['az-a', 'az-b', 'az-c']);
    // Each node's block lists the data-path APIs as usable.
    const blocks = out.split(/^\S+ \(id: /m).slice(1);
    expect(blocks).toHaveLength(3);
    for (const block of blocks) {
      expect(block).toMatch(/Produce\(0\): \d+ to \d+ \[usable: \d+\]/);
      expect(block).toMatch(/Fetch\(1\): \d+ to \d+ \[usable: \d+\]/);
      expect(block).toMatch(/Metadata\(3\): \d+ to \d+ \[usable: \d+\]/);
    }
  });

  it("kafka-cluster cluster-id (describeCluster) reports Turnout's cluster id", async () => {
    const result = await javaTool('kafka-cluster', ['cluster-id', '--bootstrap-server', proxy.bootstrapServers()]);
    expectJavaSawOnlyTurnout(result, CLUSTER_ID, 'kafka-cluster cluster-id');
    expect(result.stdout.trim()).toBe(`Cluster ID: ${CLUSTER_ID}`);
  });

  it('kafka-configs describing every broker shows no real address', async () => {
    const result = await javaTool('kafka-configs', ['--bootstrap-server', proxy.bootstrapServers(), '--describe', '--entity-type', 'brokers', '--all']);
    expectJavaSawOnlyTurnout(result, CLUSTER_ID, 'kafka-configs --describe --entity-type brokers');
    // One section per Turnout node, under its virtual id.
    const ids = [...result.stdout.matchAll(/^All configs for broker (-?\d+) are:/gm)].map((m) => Number(m[1])).sort((a, b) => a - b);
    expect(ids).toEqual(turnoutNodes().map(([id]) => id));
  });

  it('kafka-metadata-quorum through Turnout shows no real controller or broker address or id', async () => {
    const args = ['--bootstrap-server', proxy.bootstrapServers(), 'describe', '--status'];
    const result = await kafkaTool('kafka-metadata-quorum', args, await javaClientLogOptions());
    expectJavaSawOnlyTurnout(result, CLUSTER_ID, 'kafka-metadata-quorum describe --status');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^ClusterId:\\s+${CLUSTER_ID}$`, 'm'));
    const leader = Number(/^LeaderId:\s+(-?\d+)$/m.exec(result.stdout)?.[1]);
    expect(Number.isInteger(leader)).toBe(true);
    expect(leader).not.toBe(mainCluster().controller.id);
    const idsIn = (label: string): number[] =>
      [...(new RegExp(`^${label}:\\s+(.*)$`, 'm').exec(result.stdout)?.[1] ?? '').matchAll(/"id": (-?\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    expect(idsIn('CurrentVoters')).not.toContain(mainCluster().controller.id);
    // The observers are the brokers: exactly Turnout's nodes.
    expect(idsIn('CurrentObservers')).toEqual(turnoutNodes().map(([id]) => id));
  });

  it('a kafkajs admin sees Turnout nodes, controller and cluster id, and topic metadata in virtual ids', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 3, replicationFactor: 3 });
    const kafka = new Kafka({ clientId: 'acceptance-admin', brokers: [proxy.bootstrapServers()], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expectNoBackendLeak(JSON.stringify(cluster), 'kafkajs describeCluster');
      expect(cluster.clusterId).toBe(CLUSTER_ID);
      expect(cluster.brokers.map((b) => [b.nodeId, `${b.host}:${b.port}`]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(turnoutNodes());
      const virtualIds = virtualNodeIds(proxy);
      expect(virtualIds.has(cluster.controller ?? -1), `controller ${cluster.controller}`).toBe(true);
      expect([...backendFacts().brokerIds].some((id) => !virtualIds.has(id)), 'real and virtual ids differ').toBe(true);

      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = md.topics[0].partitions;
      expect(partitions).toHaveLength(3);
      for (const p of partitions) {
        for (const id of [p.leader, ...p.replicas, ...p.isr]) expect(virtualIds.has(id), `id ${id} of partition ${p.partitionId}`).toBe(true);
      }

      // A broker's own configuration, asked by its virtual id, names Turnout's address.
      const [[vid, address]] = turnoutNodes();
      const configs = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.BROKER, name: String(vid) }] });
      expectNoBackendLeak(JSON.stringify(configs), 'kafkajs describeConfigs of a broker');
      const entries = configs.resources[0].configEntries;
      expect(entries.find((e) => e.configName === 'advertised.listeners')?.configValue).toBe(`PLAINTEXT://${address}`);
    } finally {
      await admin.disconnect();
    }
  });
});
