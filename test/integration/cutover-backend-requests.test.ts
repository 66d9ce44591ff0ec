// The requests a cutover sends on its own (src/routing/cutover-backend-requests.ts) against
// both Kafka versions of the rig: the log end offset from ListOffsets with the debugging
// replica id (−2), which both 3.9.1 and 4.1.1 answer from the log's end with no isolation
// level; the high watermark and the last stable offset (an open transaction holds it back);
// open transactions found by partition and aborted with an InitProducerId for their
// transactional id; topic configs; committed offsets of groups.
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamConnector } from '../../src/net/upstream-connector.js';
import { OwnSession } from '../../src/net/own-session.js';
import { createLogger } from '../../src/observability/logger.js';
import { ProxyMetrics } from '../../src/observability/metrics.js';
import { parseConfig, type TurnoutConfig } from '../../src/policy/config.js';
import { partitionKey } from '../../src/policy/cutover-backends.js';
import { apiName } from '../../src/routing/api-names.js';
import { BackendTopology } from '../../src/routing/backend-topology.js';
import { CutoverBackendRequests } from '../../src/routing/cutover-backend-requests.js';
import { createTopic, kafkaToolOk, mainCluster, produceLines, uniqueGroup, uniqueTopic, useCluster, waitFor, type ClusterInfo } from './rig.js';

const { Kafka, logLevel } = kafkajs;
const log = createLogger({ level: 'silent' });

let clusters: Record<'main' | 'legacy', ClusterInfo>;
let topologies: BackendTopology[];
let session: OwnSession;
let requests: CutoverBackendRequests;

beforeAll(async () => {
  clusters = { main: mainCluster(), legacy: await useCluster('legacy') };
  const config: TurnoutConfig = parseConfig(
    {
      virtualCluster: { clusterId: 'cutover-requests' },
      listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
      backends: (['main', 'legacy'] as const).map((name) => ({ name, bootstrapServers: clusters[name].bootstrapServers.split(',') })),
      domains: [{ name: 'd', owner: 'o', backend: 'main' }],
    },
    'test',
    { severalBackends: true },
  );
  const metrics = new ProxyMetrics({ apiName });
  const connector = new UpstreamConnector({ backends: config.backends, limits: config.limits, metrics, log });
  topologies = config.backends.map((backend) => new BackendTopology({ backend, limits: config.limits, refreshIntervalMs: 30_000, log, metrics, connector }));
  for (const t of topologies) t.start();
  await waitFor(() => topologies.every((t) => t.isKnown), { timeoutMs: 60_000, what: 'both topologies' });
  session = new OwnSession({ limits: config.limits, log, connector });
  requests = new CutoverBackendRequests({ topologies: new Map(topologies.map((t) => [t.backend, t])), session: () => session });
}, 300_000);

afterAll(() => {
  session?.close();
  for (const t of topologies ?? []) t.close();
});

describe.each(['legacy', 'main'] as const)('cutover requests to %s', (backend) => {
  it('read the log end offset with the debugging replica id: equal to the high watermark once replicated, the last stable offset held back by an open transaction', { timeout: 120_000 }, async () => {
    const cluster = clusters[backend];
    const topic = await createTopic(cluster, { partitions: 2, replicationFactor: 3 });
    await produceLines(cluster, topic, Array.from({ length: 25 }, (_, i) => `r${i}`));
    const layouts = await requests.topics(backend, [topic]);
    expect(layouts.get(topic)?.map((p) => p.index)).toEqual([0, 1]);
    const [end, high] = await Promise.all([requests.endOffsets(backend, layouts, 'log-end'), requests.endOffsets(backend, layouts, 'high-watermark')]);
    expect(end).toEqual(high);
    expect((end.get(partitionKey(topic, 0)) ?? 0n) + (end.get(partitionKey(topic, 1)) ?? 0n)).toBe(25n);
    // A transaction left open: the records are in the log (log end, high watermark) but not stable.
    const kafka = new Kafka({ clientId: 'cutover-requests-it', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING });
    const transactionalId = uniqueTopic('txn');
    const producer = kafka.producer({ transactionalId, maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    try {
      const txn = await producer.transaction();
      await txn.send({ topic, messages: [{ value: 'in-flight', partition: 0 }] });
      const open = await Promise.all([requests.endOffsets(backend, layouts, 'log-end'), requests.endOffsets(backend, layouts, 'high-watermark'), requests.endOffsets(backend, layouts, 'last-stable')]);
      const p0 = partitionKey(topic, 0);
      expect(open[0].get(p0)).toBe((end.get(p0) ?? 0n) + 1n);
      expect(open[1].get(p0)).toBe(open[0].get(p0));
      expect(open[2].get(p0)).toBe(end.get(p0));
      expect(await requests.openTransactions(backend, new Set([topic]))).toEqual([transactionalId]);
      expect(await requests.openTransactions(backend, new Set(['some-other-topic']))).toEqual([]);
      await requests.abortTransaction(backend, transactionalId);
      await waitFor(async () => (await requests.endOffsets(backend, layouts, 'last-stable')).get(p0) === (await requests.endOffsets(backend, layouts, 'high-watermark')).get(p0), {
        timeoutMs: 30_000,
        what: 'the abort marker',
      });
      // The abort wrote a marker: one offset past the aborted record.
      expect((await requests.endOffsets(backend, layouts, 'log-end')).get(p0)).toBe((end.get(p0) ?? 0n) + 2n);
      expect(await requests.openTransactions(backend, new Set([topic]))).toEqual([]);
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  });

  it('report topic configs and the committed offsets of the groups asked for', { timeout: 120_000 }, async () => {
    const cluster = clusters[backend];
    const topic = await createTopic(cluster, { partitions: 1, config: { 'max.message.bytes': '2000000', 'cleanup.policy': 'delete' } });
    const configs = await requests.configs(backend, [topic], ['cleanup.policy', 'max.message.bytes', 'message.timestamp.type']);
    expect(Object.fromEntries(configs.get(topic) ?? [])).toEqual({ 'cleanup.policy': 'delete', 'max.message.bytes': '2000000', 'message.timestamp.type': 'CreateTime' });
    const group = uniqueGroup();
    await kafkaToolOk('kafka-consumer-groups', ['--bootstrap-server', cluster.bootstrapServers, '--group', group, '--topic', topic, '--reset-offsets', '--to-offset', '0', '--execute']);
    const committed = await requests.committedOffsets(backend, (g) => g === group, new Set([topic]));
    expect(committed).toEqual([{ group, topic, partition: 0, offset: 0n }]);
  });
});
