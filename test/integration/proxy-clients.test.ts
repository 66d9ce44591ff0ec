// Real clients through Turnout in front of the shared 3-broker cluster: kafkajs and Kafka's
// own console tools produce and consume, and see only Turnout's nodes.
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { consumeLines, createTopic, kafkaToolOk, mainCluster, produceLines, uniqueGroup, uniqueTopic } from './rig.js';

const { Kafka, logLevel } = kafkajs;
const CLUSTER_ID = 'tUrNoUtClIeNtSiTcLuStR';

let proxy: ProxyHandle;

beforeAll(async () => {
  proxy = await startProxy({
    virtualCluster: { clusterId: CLUSTER_ID },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 }],
    backends: [{ name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(',') }],
    admin: { host: '127.0.0.1', port: 0 },
    logging: { level: (process.env.TURNOUT_LOG_LEVEL as 'info' | undefined) ?? 'silent' },
  });
});

afterAll(async () => {
  await proxy?.close();
});

function backendPorts(): Set<number> {
  return new Set(mainCluster().brokers.map((b) => b.port));
}

describe('clients through Turnout', () => {
  it('kafkajs creates a topic, produces and consumes through Turnout', async () => {
    const kafka = new Kafka({ clientId: 'it-kafkajs', brokers: [proxy.bootstrapServers()], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    const topic = uniqueTopic('kjs');
    const groupId = uniqueGroup('kjs');
    const consumer = kafka.consumer({ groupId });
    try {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 3 }], waitForLeaders: true });

      const cluster = await admin.describeCluster();
      expect(cluster.clusterId).toBe(CLUSTER_ID);
      const nodePorts = new Set(proxy.ports().nodes.values());
      for (const b of cluster.brokers) {
        expect(b.host).toBe('127.0.0.1');
        expect(nodePorts.has(b.port)).toBe(true);
        expect(backendPorts().has(b.port)).toBe(false);
      }

      await producer.connect();
      const sent = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `v${i}` }));
      for (let i = 0; i < sent.length; i += 10) await producer.send({ topic, acks: -1, messages: sent.slice(i, i + 10) });

      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      const seen: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`consumed only ${seen.length} of ${sent.length}`)), 60_000);
        consumer
          .run({
            eachMessage: async ({ message }) => {
              seen.push(String(message.value));
              if (seen.length === sent.length) {
                clearTimeout(timer);
                resolve();
              }
            },
          })
          .catch(reject);
      });
      expect(seen.sort()).toEqual(sent.map((m) => m.value).sort());
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });

  it('the Java console producer and consumer work through Turnout', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 3 });
    const lines = Array.from({ length: 50 }, (_, i) => `line-${i}`);
    await produceLines(proxy.bootstrapServers(), topic, lines);
    const got = await consumeLines(proxy.bootstrapServers(), topic, { count: lines.length, group: uniqueGroup('java') });
    expect(got.sort()).toEqual([...lines].sort());
  });

  it('kafka-topics describes partitions with virtual node ids only', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 3 });
    const out = await kafkaToolOk('kafka-topics', ['--bootstrap-server', proxy.bootstrapServers(), '--describe', '--topic', topic]);
    const virtualIds = new Set([...proxy.ports().nodes.keys()].map(String));
    const leaders = [...out.matchAll(/Leader: (\d+)\s+Replicas: ([\d,]+)/g)];
    expect(leaders).toHaveLength(3);
    for (const [, leader, replicas] of leaders) {
      expect(virtualIds.has(leader)).toBe(true);
      for (const r of replicas.split(',')) expect(virtualIds.has(r)).toBe(true);
    }
  });

  it('counts requests and connections in its metrics', async () => {
    const text = await proxy.registry.metrics();
    expect(text).toMatch(/turnout_requests_total\{api="Metadata",version="\d+"\} [1-9]/);
    expect(text).toMatch(/turnout_bytes_total\{side="upstream",direction="in"\} [1-9]/);
    const res = await fetch(`http://127.0.0.1:${proxy.adminPort}/readyz`);
    expect(res.status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${proxy.adminPort}/metrics`);
    expect(await metrics.text()).toContain('turnout_active_connections');
  });
});
