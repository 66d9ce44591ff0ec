// The topic-level admin apis over two backends (the main Kafka 4.1 cluster and the legacy
// Kafka 3.9 one), driven with Kafka's own tools and kafkajs through one Turnout: every change
// lands on the backend of the topic's domain, answers show only Turnout's nodes and virtual
// ids, and a backend that stops answering leaves its topics listed with retriable errors.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ApiKey, createApiVersionsRequest, createMetadataRequest, decodeApiVersionsResponse, decodeMetadataResponse, encodeApiVersionsRequest, encodeMetadataRequest } from '../../src/codec/index.js';
import { UpstreamConnection } from '../../src/net/upstream-connection.js';
import { sendRequest } from '../../src/net/upstream-request.js';
import { createLogger } from '../../src/observability/logger.js';
import { ProxyMetrics } from '../../src/observability/metrics.js';
import type { ProxyHandle } from '../../src/proxy.js';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/codec/message-frames.js';
import { backendFacts, expectJavaSawOnlyTurnout, expectNoBackendLeak, javaTool } from './acceptance-helpers.js';
import { createTopic, describeTopic, kafkaTool, kafkaToolOk, kcat, mainCluster, produceLines, uniqueGroup, uniqueTopic, useCluster, waitFor, type ClusterInfo } from './rig.js';
import { startFromConfigFile, startTwoDomainTurnout, twoDomainConfig } from './two-domain-turnout.js';
import { ADMIN_WRITE_HEADERS } from './admin-token.js';

const { Kafka, logLevel } = kafkajs;
const CLUSTER_ID = 'tUrNoUtToPiCaPiS000000';
/** Topics, groups and transactional ids of the orders domain start with this; they live on the main cluster. */
const ORDERS = 'mto-';
/** Those of the payments domain start with this; they live on the legacy cluster. */
const PAYMENTS = 'mtp-';
/** Virtual producer ids are at least 2^40; brokers hand out small ones. */
const VIRTUAL_PRODUCER_ID_MIN = 2n ** 40n;

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

function kafka(clientId: string, bootstrap = proxy.bootstrapServers()): kafkajs.Kafka {
  return new Kafka({ clientId, brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
}

async function withAdmin<T>(bootstrap: string, use: (admin: kafkajs.Admin) => Promise<T>): Promise<T> {
  const admin = kafka('it-topic-apis-admin', bootstrap).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Asserts a tool's output names neither backend's brokers nor cluster ids. */
function expectNoLeakOfEither(text: string, what: string): void {
  expectNoBackendLeak(text, what, backendFacts(main));
  expectNoBackendLeak(text, what, backendFacts(legacy));
}

/** A topic's config value as its backend itself describes it. */
async function backendConfig(cluster: ClusterInfo, topic: string, key: string): Promise<string | undefined> {
  const out = await kafkaToolOk('kafka-configs', ['--bootstrap-server', cluster.bootstrapServers, '--describe', '--entity-type', 'topics', '--entity-name', topic]);
  return new RegExp(`(?:^|[ ,])${key.replace(/[.]/g, '\\.')}=([^ ,\\n]+)`).exec(out)?.[1];
}

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'turnout-topic-apis-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('topic apis over two backends', () => {
  it('kafka-delete-records deletes records of topics on both backends in one run; each backend moves its own low watermark', async () => {
    const orders = await createTopic(main, { name: uniqueTopic('mto'), partitions: 2 });
    const payments = await createTopic(legacy, { name: uniqueTopic('mtp'), partitions: 1 });
    const direct = kafka('it-delete-records-seed', main.bootstrapServers).producer({ allowAutoTopicCreation: false });
    await direct.connect();
    try {
      for (const partition of [0, 1]) await direct.send({ topic: orders, acks: -1, messages: Array.from({ length: 10 }, (_, i) => ({ partition, value: `v${i}` })) });
    } finally {
      await direct.disconnect();
    }
    await produceLines(legacy, payments, Array.from({ length: 10 }, (_, i) => `v${i}`));
    const file = await tempFile(
      'offsets.json',
      JSON.stringify({
        version: 1,
        partitions: [
          { topic: orders, partition: 0, offset: 3 },
          { topic: payments, partition: 0, offset: 7 },
        ],
      }),
    );
    const out = await javaTool('kafka-delete-records', ['--bootstrap-server', proxy.bootstrapServers(), '--offset-json-file', file]);
    expectJavaSawOnlyTurnout(out, CLUSTER_ID, 'kafka-delete-records');
    expectNoLeakOfEither(out.stdout + out.stderr, 'kafka-delete-records');
    expect(out.stdout).toMatch(new RegExp(`partition: ${orders}-0\\s+low_watermark: 3`));
    expect(out.stdout).toMatch(new RegExp(`partition: ${payments}-0\\s+low_watermark: 7`));

    const lows = async (cluster: ClusterInfo, topic: string): Promise<Map<number, string>> =>
      withAdmin(cluster.bootstrapServers, async (a) => new Map((await a.fetchTopicOffsets(topic)).map((o) => [o.partition, o.low])));
    expect((await lows(main, orders)).get(0)).toBe('3');
    expect((await lows(main, orders)).get(1)).toBe('0');
    expect((await lows(legacy, payments)).get(0)).toBe('7');
  });

  it('adds partitions with kafka-topics --alter and with one kafkajs request spanning both backends; kafka-topics --describe shows them on Turnout nodes', async () => {
    const orders = await createTopic(main, { name: uniqueTopic('mto'), partitions: 1 });
    const payments = await createTopic(legacy, { name: uniqueTopic('mtp'), partitions: 1 });
    for (const topic of [orders, payments]) {
      const out = await javaTool('kafka-topics', ['--bootstrap-server', proxy.bootstrapServers(), '--alter', '--topic', topic, '--partitions', '2']);
      expectJavaSawOnlyTurnout(out, CLUSTER_ID, 'kafka-topics --alter');
    }
    expect(await describeTopic(main, orders)).toHaveLength(2);
    expect(await describeTopic(legacy, payments)).toHaveLength(2);

    await withAdmin(proxy.bootstrapServers(), (a) =>
      a.createPartitions({ topicPartitions: [{ topic: orders, count: 3 }, { topic: payments, count: 4 }] }),
    );
    expect(await describeTopic(main, orders)).toHaveLength(3);
    expect(await describeTopic(legacy, payments)).toHaveLength(4);
    const onMain = await kafkaToolOk('kafka-topics', ['--bootstrap-server', main.bootstrapServers, '--list']);
    expect(onMain.split('\n')).not.toContain(payments);

    // kafka-topics 4.1 describes through DescribeTopicPartitions when the cluster offers it.
    for (const [topic, partitions] of [
      [orders, 3],
      [payments, 4],
    ] as const) {
      const described = await javaTool('kafka-topics', ['--bootstrap-server', proxy.bootstrapServers(), '--describe', '--topic', topic]);
      expectJavaSawOnlyTurnout(described, CLUSTER_ID, 'kafka-topics --describe');
      expectNoLeakOfEither(described.stdout + described.stderr, 'kafka-topics --describe');
      const leaders = [...described.stdout.matchAll(/Leader: (\d+)/g)].map((m) => Number(m[1]));
      expect(leaders).toHaveLength(partitions);
      for (const l of leaders) expect([0, 1, 2]).toContain(l);
    }
  });

  it('DescribeTopicPartitions pages through the topics of both backends with a small partition limit, in name order, each partition once', async () => {
    const prefix = uniqueTopic('mt');
    const orders = await createTopic(main, { name: `${ORDERS}${prefix}`, partitions: 3 });
    const payments = await createTopic(legacy, { name: `${PAYMENTS}${prefix}`, partitions: 2 });
    const admin = kafka('it-dtp').admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    // The Java admin pages with a limit; kafka-topics --describe of both topics uses it.
    const expected = [`${orders}/0`, `${orders}/1`, `${orders}/2`, `${payments}/0`, `${payments}/1`].sort();
    // Right after creation a broker may not know every leader yet (Leader: none): ask until it does.
    const described = await waitFor(
      async () => {
        const out = await javaTool('kafka-topics', [
          '--bootstrap-server', proxy.bootstrapServers(), '--describe', '--topic', `${orders}|${payments}`,
          '--partition-size-limit-per-response', '2',
        ]);
        const rows = [...out.stdout.matchAll(/Topic: (\S+)\s+Partition: (\d+)\s+Leader: (\d+)/g)].map((m) => `${m[1]}/${m[2]}`);
        return rows.length === expected.length ? { out, rows } : undefined;
      },
      { timeoutMs: 30_000, what: 'every partition of both topics described with a leader' },
    );
    expectNoLeakOfEither(described.out.stdout + described.out.stderr, 'kafka-topics --describe with a page limit');
    expect(described.rows.sort()).toEqual(expected);
  });

  it('kafka-configs --alter and kafkajs alterConfigs change topic configs on each backend; a broker config is refused with a reason', async () => {
    const orders = await createTopic(main, { name: uniqueTopic('mto'), partitions: 1 });
    const payments = await createTopic(legacy, { name: uniqueTopic('mtp'), partitions: 1 });
    for (const [topic, value] of [
      [orders, '3600001'],
      [payments, '7200001'],
    ] as const) {
      const out = await javaTool('kafka-configs', ['--bootstrap-server', proxy.bootstrapServers(), '--alter', '--entity-type', 'topics', '--entity-name', topic, '--add-config', `retention.ms=${value}`]);
      expectJavaSawOnlyTurnout(out, CLUSTER_ID, 'kafka-configs --alter');
    }
    expect(await backendConfig(main, orders, 'retention.ms')).toBe('3600001');
    expect(await backendConfig(legacy, payments, 'retention.ms')).toBe('7200001');

    // kafkajs alterConfigs is the older AlterConfigs api: both topics in one request.
    await withAdmin(proxy.bootstrapServers(), (a) =>
      a.alterConfigs({
        validateOnly: false,
        resources: [
          { type: kafkajs.ConfigResourceTypes.TOPIC, name: orders, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
          { type: kafkajs.ConfigResourceTypes.TOPIC, name: payments, configEntries: [{ name: 'max.message.bytes', value: '200000' }] },
        ],
      }),
    );
    expect(await backendConfig(main, orders, 'cleanup.policy')).toBe('compact');
    expect(await backendConfig(legacy, payments, 'max.message.bytes')).toBe('200000');

    const broker = await kafkaTool('kafka-configs', ['--bootstrap-server', proxy.bootstrapServers(), '--alter', '--entity-type', 'brokers', '--entity-name', '0', '--add-config', 'log.cleaner.threads=2']);
    expect(broker.code).not.toBe(0);
    // The tool describes the broker's configs first: refused there already, with the reason.
    expect(broker.stdout + broker.stderr).toMatch(/InvalidRequestException: resource type 4 is not (described|altered) over several backends/);
    const nobody = await kafkaTool('kafka-configs', ['--bootstrap-server', proxy.bootstrapServers(), '--alter', '--entity-type', 'topics', '--entity-name', 'nobody-owns-this', '--add-config', 'retention.ms=1']);
    expect(nobody.code).not.toBe(0);
    expect(nobody.stdout + nobody.stderr).toMatch(/TopicAuthorizationException|not authorized/i);
  });

  it('kafka-transactions lists and describes open transactions of both backends with virtual producer ids; describe-producers shows them too', async () => {
    const orders = await createTopic(main, { name: uniqueTopic('mto'), partitions: 1 });
    const payments = await createTopic(legacy, { name: uniqueTopic('mtp'), partitions: 1 });
    const ordersTxn = uniqueName(ORDERS);
    const paymentsTxn = uniqueName(PAYMENTS);
    const k = kafka('it-topic-apis-txn');
    const producers = [
      [k.producer({ transactionalId: ordersTxn, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }), orders],
      [k.producer({ transactionalId: paymentsTxn, idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false }), payments],
    ] as const;
    const open: kafkajs.Transaction[] = [];
    for (const [producer, topic] of producers) {
      await producer.connect();
      onTestFinished(() => producer.disconnect());
      const tx = await producer.transaction();
      await tx.send({ topic, acks: -1, messages: [{ key: 'k', value: 'in flight' }] });
      open.push(tx);
    }

    const listed = await javaTool('kafka-transactions', ['--bootstrap-server', proxy.bootstrapServers(), 'list']);
    expectJavaSawOnlyTurnout(listed, CLUSTER_ID, 'kafka-transactions list');
    expectNoLeakOfEither(listed.stdout + listed.stderr, 'kafka-transactions list');
    for (const id of [ordersTxn, paymentsTxn]) {
      const rows = listed.stdout.split('\n').filter((l) => l.trim().split(/\s+/)[0] === id);
      expect(rows, `${id} listed once`).toHaveLength(1);
      const [, coordinator, producerId, state] = rows[0].trim().split(/\s+/);
      expect([0, 1, 2]).toContain(Number(coordinator));
      expect(BigInt(producerId) >= VIRTUAL_PRODUCER_ID_MIN).toBe(true);
      expect(state).toBe('Ongoing');
    }

    for (const [id, topic] of [
      [ordersTxn, orders],
      [paymentsTxn, payments],
    ] as const) {
      const described = await javaTool('kafka-transactions', ['--bootstrap-server', proxy.bootstrapServers(), 'describe', '--transactional-id', id]);
      expectNoLeakOfEither(described.stdout + described.stderr, 'kafka-transactions describe');
      const row = described.stdout.split('\n').find((l) => l.includes(id));
      expect(row).toBeDefined();
      const cols = (row as string).trim().split(/\s+/);
      expect([0, 1, 2]).toContain(Number(cols[0]));
      expect(BigInt(cols[2]) >= VIRTUAL_PRODUCER_ID_MIN).toBe(true);
      expect(row).toContain('Ongoing');
      expect(row).toContain(`${topic}-0`);

      const producersOut = await javaTool('kafka-transactions', ['--bootstrap-server', proxy.bootstrapServers(), 'describe-producers', '--topic', topic, '--partition', '0']);
      expectNoLeakOfEither(producersOut.stdout + producersOut.stderr, 'kafka-transactions describe-producers');
      const ids = producersOut.stdout.split('\n').slice(1).filter((l) => l.trim() !== '').map((l) => BigInt(l.trim().split(/\s+/)[0]));
      expect(ids).toEqual([BigInt(cols[2])]);
    }
    for (const tx of open) await tx.commit();
  });
});

describe('the KIP-848 consumer group protocol over two backends', () => {
  it('a Java console consumer with group.protocol=consumer reads a domain topic through Turnout; its commits are on that backend', async () => {
    const orders = await createTopic(main, { name: uniqueTopic('mto'), partitions: 3 });
    await produceLines(main, orders, Array.from({ length: 60 }, (_, i) => `k${i}\tvalue ${i}`), { keySeparator: '\t' });
    const group = uniqueGroup('mto');
    const consumer = await javaTool(
      'kafka-console-consumer',
      [
        '--bootstrap-server', proxy.bootstrapServers(), '--topic', orders, '--group', group, '--from-beginning',
        '--consumer-property', 'group.protocol=consumer', '--max-messages', '60', '--timeout-ms', '60000',
      ],
      { timeoutMs: 180_000 },
    );
    expectJavaSawOnlyTurnout(consumer, CLUSTER_ID, 'the KIP-848 console consumer');
    expectNoLeakOfEither(consumer.stdout + consumer.stderr, 'the KIP-848 console consumer');
    expect(consumer.stdout.split('\n').filter((l) => l.startsWith('value '))).toHaveLength(60);

    const committed = await waitFor(
      async () => {
        const out = await kafkaToolOk('kafka-consumer-groups', ['--bootstrap-server', main.bootstrapServers, '--describe', '--group', group]);
        const offsets = out.split('\n').filter((l) => l.includes(orders)).map((l) => Number(l.trim().split(/\s+/)[3]));
        return offsets.reduce((a, b) => a + b, 0) === 60 ? offsets : undefined;
      },
      { timeoutMs: 30_000, what: 'the group commits on the main cluster' },
    );
    expect(committed).toHaveLength(3);
    const onLegacy = await kafkaToolOk('kafka-consumer-groups', ['--bootstrap-server', legacy.bootstrapServers, '--list']);
    expect(onLegacy.split('\n')).not.toContain(group);

    // Through Turnout: ConsumerGroupDescribe for a consumer-protocol group.
    const through = await javaTool('kafka-consumer-groups', ['--bootstrap-server', proxy.bootstrapServers(), '--describe', '--group', group]);
    expectJavaSawOnlyTurnout(through, CLUSTER_ID, 'kafka-consumer-groups --describe');
    expectNoLeakOfEither(through.stdout + through.stderr, 'kafka-consumer-groups --describe');
    const throughCommitted = through.stdout.split('\n').filter((l) => l.includes(orders)).map((l) => Number(l.trim().split(/\s+/)[3]));
    expect(throughCommitted.reduce((a, b) => a + b, 0)).toBe(60);
  });

  it('a consumer-protocol group of one backend subscribing to a topic of the other is refused with a reason', async () => {
    const payments = await createTopic(legacy, { name: uniqueTopic('mtp'), partitions: 1 });
    const group = uniqueGroup('mto');
    const consumer = await kafkaTool(
      'kafka-console-consumer',
      ['--bootstrap-server', proxy.bootstrapServers(), '--topic', payments, '--group', group, '--consumer-property', 'group.protocol=consumer', '--max-messages', '1', '--timeout-ms', '20000'],
      { timeoutMs: 120_000 },
    );
    expect(consumer.stdout + consumer.stderr).toContain('live on another backend');
    const onMain = await kafkaToolOk('kafka-consumer-groups', ['--bootstrap-server', main.bootstrapServers, '--list']);
    expect(onMain.split('\n')).not.toContain(group);
  });
});

function uniqueName(prefix: string): string {
  return `${prefix}${uniqueTopic('txn')}`;
}

describe('a backend that stops answering', () => {
  it('leaves its known topics listed with LEADER_NOT_AVAILABLE in Metadata for all and for named topics, on a connection that stays open', async () => {
    const config = twoDomainConfig({ clusterId: 'tUrNoUtBaCkEnDdOwN0000', main, legacy, orders: ORDERS, payments: PAYMENTS });
    // Port 9 (discard) is closed on loopback: the "gone" backend never answers.
    config.backends.push({ name: 'gone', bootstrapServers: ['127.0.0.1:9'] });
    const down = await startFromConfigFile(config, { logLevel: 'silent', waitForReadyMs: 0 });
    const orders = await createTopic(main, { name: uniqueTopic('mto'), partitions: 1 });
    const payments = await createTopic(legacy, { name: uniqueTopic('mtp'), partitions: 2 });

    type KcatTopic = { topic: string; error?: string; partitions: unknown[] };
    const listTopics = async (): Promise<Map<string, KcatTopic> | undefined> => {
      const r = await kcat(['-b', down.bootstrapServers(), '-L', '-J']);
      if (r.code !== 0) return undefined;
      return new Map((JSON.parse(r.stdout) as { topics: KcatTopic[] }).topics.map((t) => [t.topic, t]));
    };
    // Served from the two backends that answer, while "gone" never does.
    const before = await waitFor(async () => {
      const m = await listTopics();
      return m?.has(orders) === true && m.has(payments) ? m : undefined;
    }, { timeoutMs: 60_000, what: 'kcat -L to list the topics of the answering backends' });
    expect(before.get(payments)?.partitions).toHaveLength(2);

    // The payments domain moves to the backend that does not answer.
    const res = await fetch(`http://127.0.0.1:${down.adminPort}/v1/domains/payments`, { method: 'PUT', body: JSON.stringify({ backend: 'gone' }), headers: ADMIN_WRITE_HEADERS });
    expect(res.status).toBe(200);

    const after = await listTopics();
    expect(after, 'kcat -L still answered').toBeDefined();
    expect(after?.get(orders)?.error).toBeUndefined();
    expect(after?.get(orders)?.partitions).toHaveLength(1);
    expect(after?.get(payments)?.error).toMatch(/leader not available/i);

    // One connection: all topics, named topics, then ApiVersions again: all answered.
    const conn = new UpstreamConnection(
      {
        backend: 'turnout', brokerId: -1, host: '127.0.0.1', port: down.ports().bootstrap,
        connectTimeoutMs: 5_000, requestTimeoutMs: 30_000, maxFrameBytes: 1 << 24, writeHighWaterBytes: 1 << 20,
        log: createLogger({ level: 'silent' }), metrics: new ProxyMetrics({ apiName: () => undefined }),
      },
      { onUpstreamDrain: () => undefined, onUpstreamClosed: () => undefined },
    );
    onTestFinished(() => conn.close());
    const metadata = async (topics: string[] | null) => {
      const req = createMetadataRequest();
      req.topics = topics === null ? null : topics.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }));
      const frame = await sendRequest(conn, encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 0, clientId: 'it-down' }, req, encodeMetadataRequest));
      return new Map(decodeResponseFrame(frame, ApiKey.Metadata, 12, decodeMetadataResponse).body.topics.map((t) => [t.name, t]));
    };
    const all = await metadata(null);
    expect(all.get(orders)?.errorCode).toBe(0);
    expect(all.get(payments)?.errorCode).toBe(5);
    const named = await metadata([payments, orders]);
    expect(named.get(payments)?.errorCode).toBe(5);
    expect(named.get(orders)?.errorCode).toBe(0);
    const versions = await sendRequest(conn, encodeRequestFrame({ apiKey: ApiKey.ApiVersions, apiVersion: 3, correlationId: 0, clientId: 'it-down' }, createApiVersionsRequest(), encodeApiVersionsRequest));
    expect(decodeResponseFrame(versions, ApiKey.ApiVersions, 3, decodeApiVersionsResponse).body.errorCode).toBe(0);

    // kafkajs gives up on a retriable topic error only after its retries; the cause is LEADER_NOT_AVAILABLE, retriable.
    const impatient = new Kafka({ clientId: 'it-down-admin', brokers: [down.bootstrapServers()], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
    await impatient.connect();
    onTestFinished(() => impatient.disconnect());
    expect((await impatient.fetchTopicMetadata({ topics: [orders] })).topics[0].partitions).toHaveLength(1);
    await expect(impatient.fetchTopicMetadata({ topics: [payments] })).rejects.toMatchObject({ cause: { code: 5, retriable: true } });
    const metrics = await (await fetch(`http://127.0.0.1:${down.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/turnout_metadata_without_backend_total\{backend="gone"\} [1-9]/);
  });
});
