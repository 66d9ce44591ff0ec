// One Turnout over two clusters (the main Kafka 4.1 cluster and the legacy Kafka 3.9 one),
// with a domain on each: clients see one cluster with the topics of both, and every record,
// topic and committed offset lands on the backend of its domain.
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import { backendFacts, expectJavaSawOnlyTurnout, expectNoBackendLeak, javaTool, readTopic } from './acceptance-helpers.js';
import { createTopic, deleteTopics, describeTopic, kafkaToolOk, kcat, mainCluster, uniqueName, useCluster, waitFor, type ClusterInfo } from './rig.js';
import { startFromConfigFile, startTwoDomainTurnout, twoDomainConfig } from './two-domain-turnout.js';
import { ADMIN_WRITE_HEADERS } from './admin-token.js';

const { Kafka, logLevel } = kafkajs;
const CLUSTER_ID = 'tUrNoUtMuLtIbAcKeNd000';
/** Topics and groups of the orders domain start with this; they live on the main cluster. */
const ORDERS = 'mbo-';
/** Topics and groups of the payments domain start with this; they live on the legacy cluster. */
const PAYMENTS = 'mbp-';

let proxy: ProxyHandle;
let main: ClusterInfo;
let legacy: ClusterInfo;

beforeAll(async () => {
  main = mainCluster();
  legacy = await useCluster('legacy');
  proxy = await startTwoDomainTurnout({ clusterId: CLUSTER_ID, main, legacy, orders: ORDERS, payments: PAYMENTS });
}, 300_000);

afterAll(async () => {
  await proxy?.close();
});

function kafka(clientId: string): kafkajs.Kafka {
  return new Kafka({ clientId, brokers: [proxy.bootstrapServers()], logLevel: logLevel.NOTHING });
}

/** Client Produce requests over several backends answered by `path` (turnout_multi_produce_total). */
async function producesBy(path: string): Promise<number> {
  const text = await proxy.registry.metrics();
  return Number(new RegExp(`^turnout_multi_produce_total\\{path="${path}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

/** The topics the admin API resolves to a domain (those Turnout has seen in Metadata). */
async function domainTopics(p: ProxyHandle, domain: string): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${p.adminPort}/v1/domains/${domain}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { domain: { topics: string[] | null } };
  return body.domain.topics ?? [];
}

function backendPorts(): Set<number> {
  return new Set([...main.brokers, ...legacy.brokers].map((b) => b.port));
}

describe('one virtual cluster over two backends', () => {
  it('kcat -L and the kafkajs admin see one cluster with the topics of both domains and only Turnout nodes', async () => {
    const orders = await createTopic(main, { name: uniqueName('mbo') });
    const payments = await createTopic(legacy, { name: uniqueName('mbp') });

    const listed = await waitFor(
      async () => {
        const r = await kcat(['-b', proxy.bootstrapServers(), '-L', '-J']);
        if (r.code !== 0) return undefined;
        const m = JSON.parse(r.stdout) as { brokers: Array<{ id: number; name: string }>; topics: Array<{ topic: string; partitions: Array<{ leader: number }> }> };
        const names = new Set(m.topics.map((t) => t.topic));
        return names.has(orders) && names.has(payments) ? m : undefined;
      },
      { timeoutMs: 30_000, what: 'kcat -L to list the topics of both backends' },
    );
    const nodePorts = new Set(proxy.ports().nodes.values());
    expect(listed.brokers.map((b) => b.id).sort()).toEqual([0, 1, 2]);
    for (const b of listed.brokers) expect(nodePorts.has(Number(b.name.split(':').pop()))).toBe(true);
    for (const t of listed.topics) {
      expect(t.topic.startsWith(ORDERS) || t.topic.startsWith(PAYMENTS)).toBe(true);
      for (const p of t.partitions) expect([0, 1, 2]).toContain(p.leader);
    }

    const admin = kafka('it-multi-admin').admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.clusterId).toBe(CLUSTER_ID);
      for (const b of cluster.brokers) expect(backendPorts().has(b.port)).toBe(false);
      const topics = await admin.listTopics();
      expect(topics).toEqual(expect.arrayContaining([orders, payments]));
    } finally {
      await admin.disconnect();
    }
  });

  it('creates and deletes topics of two domains in one request each, on each domain backend', async () => {
    const orders = uniqueName('mbo');
    const payments = uniqueName('mbp');
    onTestFinished(async () => {
      await deleteTopics(main, [orders]);
      await deleteTopics(legacy, [payments]);
    });
    const admin = kafka('it-multi-create').admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: orders, numPartitions: 2, replicationFactor: 3 }, { topic: payments, numPartitions: 4, replicationFactor: 3 }] });
    } finally {
      await admin.disconnect();
    }
    expect(await describeTopic(main, orders)).toHaveLength(2);
    expect(await describeTopic(legacy, payments)).toHaveLength(4);
    const onMain = await kafkaToolOk('kafka-topics', ['--bootstrap-server', main.bootstrapServers, '--list']);
    expect(onMain.split('\n')).not.toContain(payments);

    const deleter = kafka('it-multi-delete').admin();
    await deleter.connect();
    try {
      await deleter.deleteTopics({ topics: [orders, payments] });
    } finally {
      await deleter.disconnect();
    }
    await waitFor(
      async () => {
        const [m, l] = await Promise.all([
          kafkaToolOk('kafka-topics', ['--bootstrap-server', main.bootstrapServers, '--list']),
          kafkaToolOk('kafka-topics', ['--bootstrap-server', legacy.bootstrapServers, '--list']),
        ]);
        return !m.split('\n').includes(orders) && !l.split('\n').includes(payments) ? true : undefined;
      },
      { timeoutMs: 30_000, what: 'both topics to be deleted on their backends' },
    );
  });

  it('an idempotent producer writes to both domains in the same requests; each record lands once, in order, on its backend', async () => {
    const orders = await createTopic(main, { name: uniqueName('mbo') });
    const payments = await createTopic(legacy, { name: uniqueName('mbp') });
    const producer = kafka('it-multi-producer').producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let round = 0; round < 5; round++) {
        await producer.sendBatch({
          acks: -1,
          topicMessages: [
            { topic: orders, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, value: `o-${round}-${i}` })) },
            { topic: payments, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, value: `p-${round}-${i}` })) },
          ],
        });
      }
    } finally {
      await producer.disconnect();
    }
    for (const [cluster, topic, prefix] of [
      [main, orders, 'o'],
      [legacy, payments, 'p'],
    ] as const) {
      const records = await readTopic(cluster.bootstrapServers, topic);
      expect(records).toHaveLength(50);
      const byKey = new Map<string, string[]>();
      for (const r of records) {
        const list = byKey.get(r.key as string) ?? [];
        list.push(r.value as string);
        byKey.set(r.key as string, list);
      }
      for (const [key, values] of byKey) {
        const expected: string[] = [];
        for (let round = 0; round < 5; round++) for (let i = 0; i < 10; i++) if (`k${i % 3}` === key) expected.push(`${prefix}-${round}-${i}`);
        expect(values).toEqual(expected);
      }
    }
  });

  it('a consumer group reads a domain topic through Turnout and commits; the offsets are on that backend', async () => {
    const payments = await createTopic(legacy, { name: uniqueName('mbp'), partitions: 3 });
    const groupId = uniqueName('mbp');
    const k = kafka('it-multi-consumer');
    const producer = k.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: payments, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await producer.disconnect();

    const consumer = k.consumer({ groupId, maxWaitTimeInMs: 200 });
    const seen: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: payments, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value?.toString() ?? '') });
      await waitFor(() => seen.length >= 30 || undefined, { timeoutMs: 60_000, what: 'the group to read 30 records' });
      await consumer.commitOffsets([]);
    } finally {
      await consumer.disconnect();
    }
    expect(new Set(seen).size).toBe(30);
    const described = await waitFor(
      async () => {
        const out = await kafkaToolOk('kafka-consumer-groups', ['--bootstrap-server', legacy.bootstrapServers, '--describe', '--group', groupId]);
        const committed = out
          .split('\n')
          .filter((l) => l.includes(payments))
          .map((l) => Number(l.trim().split(/\s+/)[3]));
        return committed.length === 3 && committed.reduce((a, b) => a + b, 0) === 30 ? out : undefined;
      },
      { timeoutMs: 30_000, what: 'the committed offsets on the legacy cluster' },
    );
    expect(described).toContain(payments);
    const onMain = await kafkaToolOk('kafka-consumer-groups', ['--bootstrap-server', main.bootstrapServers, '--list']);
    expect(onMain.split('\n')).not.toContain(groupId);

    // The same view through Turnout: the group is listed once and described with its offsets.
    const listed = await javaTool('kafka-consumer-groups', ['--bootstrap-server', proxy.bootstrapServers(), '--list']);
    expect(listed.stdout.split('\n').filter((l) => l.trim() === groupId)).toHaveLength(1);
    const through = await javaTool('kafka-consumer-groups', ['--bootstrap-server', proxy.bootstrapServers(), '--describe', '--group', groupId]);
    expectJavaSawOnlyTurnout(through, CLUSTER_ID, 'kafka-consumer-groups --describe');
    const throughCommitted = through.stdout
      .split('\n')
      .filter((l) => l.includes(payments))
      .map((l) => Number(l.trim().split(/\s+/)[3]));
    expect(throughCommitted.reduce((a, b) => a + b, 0)).toBe(30);
  });

  it('Java clients: the admin lists the topics of both domains, an idempotent console producer and a console consumer group work on the legacy domain', async () => {
    const orders = await createTopic(main, { name: uniqueName('mbo') });
    const payments = await createTopic(legacy, { name: uniqueName('mbp'), partitions: 2 });
    const listed = await javaTool('kafka-topics', ['--bootstrap-server', proxy.bootstrapServers(), '--list']);
    expect(listed.stdout.split('\n')).toEqual(expect.arrayContaining([orders, payments]));

    const lines = Array.from({ length: 100 }, (_, i) => `k${i % 5}\tvalue ${i}`);
    // One producer per domain: each Produce goes whole to one broker, and its plain answer
    // (topic ids from Kafka 4.1's v13, names from 3.9's v11) is made the client's in place.
    for (const [cluster, topic] of [
      [legacy, payments],
      [main, orders],
    ] as const) {
      const inPlaceBefore = await producesBy('in_place');
      const producer = await javaTool(
        'kafka-console-producer',
        [
          '--bootstrap-server', proxy.bootstrapServers(), '--topic', topic,
          '--property', 'parse.key=true', '--property', 'key.separator=\t',
          '--producer-property', 'acks=all', '--producer-property', 'enable.idempotence=true', '--producer-property', 'linger.ms=5',
        ],
        { input: lines.map((l) => `${l}\n`).join(''), timeoutMs: 120_000 },
      );
      expectJavaSawOnlyTurnout(producer, CLUSTER_ID, `the console producer to ${topic}`);
      expectNoBackendLeak(producer.stdout + producer.stderr, `the console producer to ${topic}`, backendFacts(cluster));
      const stored = await readTopic(cluster.bootstrapServers, topic);
      expect(stored.map((r) => r.value).sort()).toEqual(lines.map((l) => l.split('\t')[1]).sort());
      expect(await producesBy('in_place'), `Produce answers to ${topic} made the client's in place`).toBeGreaterThan(inPlaceBefore);
    }
    // librdkafka asks for an older Produce version, answered without tagged fields: made in place too.
    const kcatTopic = await createTopic(main, { name: uniqueName('mbo'), partitions: 1 });
    const kcatBefore = await producesBy('in_place');
    const kcatLines = Array.from({ length: 50 }, (_, i) => `kcat value ${i}`);
    const produced = await kcat(['-P', '-b', proxy.bootstrapServers(), '-t', kcatTopic, '-X', 'acks=all'], { input: `${kcatLines.join('\n')}\n`, timeoutMs: 60_000 });
    expect(produced.code, produced.stderr).toBe(0);
    expect((await readTopic(main.bootstrapServers, kcatTopic)).map((r) => r.value)).toEqual(kcatLines);
    expect(await producesBy('in_place'), "kcat's Produce answers made in place").toBeGreaterThan(kcatBefore);

    const group = uniqueName('mbp');
    const consumer = await javaTool(
      'kafka-console-consumer',
      ['--bootstrap-server', proxy.bootstrapServers(), '--topic', payments, '--group', group, '--from-beginning', '--max-messages', '100', '--timeout-ms', '60000'],
      { timeoutMs: 180_000 },
    );
    expectJavaSawOnlyTurnout(consumer, CLUSTER_ID, 'the console consumer');
    expectNoBackendLeak(consumer.stdout + consumer.stderr, 'the console consumer', backendFacts(legacy));
    expect(consumer.stdout.split('\n').filter((l) => l.startsWith('value '))).toHaveLength(100);
    const described = await kafkaToolOk('kafka-consumer-groups', ['--bootstrap-server', legacy.bootstrapServers, '--describe', '--group', group]);
    const committed = described
      .split('\n')
      .filter((l) => l.includes(payments))
      .map((l) => Number(l.trim().split(/\s+/)[3]));
    expect(committed.reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('Java kafka-topics and kafka-configs describe a topic of each domain with its backend configs and Turnout nodes only', async () => {
    const orders = await createTopic(main, { name: uniqueName('mbo'), partitions: 2, config: { 'retention.ms': '3600000' } });
    const payments = await createTopic(legacy, { name: uniqueName('mbp'), partitions: 3, config: { 'retention.ms': '7200000' } });
    for (const [topic, partitions, retention] of [
      [orders, 2, '3600000'],
      [payments, 3, '7200000'],
    ] as const) {
      const described = await javaTool('kafka-topics', ['--bootstrap-server', proxy.bootstrapServers(), '--describe', '--topic', topic]);
      expectJavaSawOnlyTurnout(described, CLUSTER_ID, 'kafka-topics --describe');
      expect(described.stdout).toContain(`retention.ms=${retention}`);
      const leaders = [...described.stdout.matchAll(/Leader: (\d+)/g)].map((m) => Number(m[1]));
      expect(leaders).toHaveLength(partitions);
      for (const l of leaders) expect([0, 1, 2]).toContain(l);
      const configs = await javaTool('kafka-configs', ['--bootstrap-server', proxy.bootstrapServers(), '--describe', '--entity-type', 'topics', '--entity-name', topic]);
      expect(configs.stdout).toContain(`retention.ms=${retention}`);
    }
  });

  it('a transactional producer commits on its domain backend; a transaction that reaches another backend is refused and aborts', async () => {
    const payments = await createTopic(legacy, { name: uniqueName('mbp'), partitions: 2 });
    const orders = await createTopic(main, { name: uniqueName('mbo'), partitions: 1 });
    const producer = kafka('it-multi-txn').producer({ transactionalId: uniqueName('mbp'), idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    try {
      for (let round = 0; round < 3; round++) {
        const tx = await producer.transaction();
        await tx.send({ topic: payments, acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `t-${round}-${i}` })) });
        await tx.commit();
      }
      const stored = await readTopic(legacy.bootstrapServers, payments);
      expect(stored.map((r) => r.value).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `t-${Math.floor(i / 5)}-${i % 5}`).sort());

      // Records on the domain's backend, then a topic on the other backend: refused; the abort
      // must reach the coordinator and discard what the transaction had written.
      const tx = await producer.transaction();
      await tx.send({ topic: payments, acks: -1, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
      await expect(tx.send({ topic: orders, acks: -1, messages: [{ value: 'must not land' }] })).rejects.toThrow(/invalid state/i);
      await tx.abort();

      const after = await producer.transaction();
      await after.send({ topic: payments, acks: -1, messages: [{ value: 'after-abort' }] });
      await after.commit();
    } finally {
      await producer.disconnect();
    }
    expect(await readTopic(main.bootstrapServers, orders)).toEqual([]);
    // kcat reads read_committed: the committed rounds and the transaction after the abort only.
    const committed = (await readTopic(legacy.bootstrapServers, payments)).map((r) => r.value);
    expect(committed.sort()).toEqual([...Array.from({ length: 15 }, (_, i) => `t-${Math.floor(i / 5)}-${i % 5}`), 'after-abort'].sort());
  });
});

describe('rerouting a domain', () => {
  it("moves a running producer's new records to the domain's new backend, without a restart", async () => {
    const config = twoDomainConfig({ clusterId: 'tUrNoUtReRoUtE00000000', main, legacy, orders: ORDERS, payments: PAYMENTS });
    config.domains = [{ name: 'moving', owner: 'team', topics: ['mbm-*'], backend: 'main' }];
    const moving = await startFromConfigFile(config, { logLevel: 'warn', waitForReadyMs: 60_000 });
    const topic = uniqueName('mbm');
    await createTopic(main, { name: topic, partitions: 1 });
    await createTopic(legacy, { name: topic, partitions: 1 });

    const producer = new Kafka({ clientId: 'it-multi-reroute', brokers: [moving.bootstrapServers()], logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ value: 'before-1' }, { value: 'before-2' }] });
      const res = await fetch(`http://127.0.0.1:${moving.adminPort}/v1/domains/moving`, { method: 'PUT', body: JSON.stringify({ backend: 'legacy' }), headers: ADMIN_WRITE_HEADERS });
      expect(res.status).toBe(200);
      await producer.send({ topic, acks: -1, messages: [{ value: 'after-1' }, { value: 'after-2' }] });
    } finally {
      await producer.disconnect();
    }
    expect(await domainTopics(moving, 'moving')).toContain(topic);
    expect((await readTopic(main.bootstrapServers, topic)).map((r) => r.value)).toEqual(['before-1', 'before-2']);
    expect((await readTopic(legacy.bootstrapServers, topic)).map((r) => r.value)).toEqual(['after-1', 'after-2']);
  });
});
