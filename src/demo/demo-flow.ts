// The demo's flow against a running cluster, whoever started it: Turnout in front of it
// in-process, keyed order events produced and consumed through Turnout with kafkajs (and
// read back by kcat and Kafka's Java console consumer), every record checked against the
// produce acks, and both views of the cluster (the client's and the real one) lined up.
// `turnout demo` runs this against its own cluster; the integration test against the rig's.
import { performance } from 'node:perf_hooks';
import kafkajs from 'kafkajs';
import type { Admin, PartitionMetadata } from 'kafkajs';
import { pino } from 'pino';
import { createLogger, type Logger, type LogLevel } from '../observability/logger.js';
import { startProxy, type ProxyHandle } from '../proxy.js';
import { consoleCheck, type ClientCheck } from './client-check.js';
import { leakedIdentifiers, mapVirtualNodes, viewCluster, type ClusterView, type NodeRoute, type PartitionLeaders } from './cluster-view.js';
import { consumeWithJavaConsole, consumeWithKcat } from './console-consumers.js';
import { unlessAborted } from './demo-abort.js';
import { checkDelivery } from './delivery-check.js';
import { produceAll, recreateTopic, startConsumer, waitForRecords, type ConsumerTap, type ProduceStats } from './kafkajs-traffic.js';
import { summarizeLatency } from './latency-stats.js';
import { orderEvents } from './order-events.js';
import { turnoutTraffic, type TurnoutTraffic } from './turnout-traffic.js';

export { DemoAbortedError } from './demo-abort.js';
export type { ClientCheck } from './client-check.js';
export type { ProduceStats } from './kafkajs-traffic.js';

const { Kafka, logLevel: kafkaLogLevel } = kafkajs;

/** The real cluster behind Turnout. */
export interface DemoBackend {
  bootstrapServers: readonly string[];
  /** Kafka version, for the summary, when known. */
  kafkaVersion?: string;
  /** How the summary names the cluster ("cluster demo"). */
  label: string;
}

export interface DemoProxyOptions {
  /** Cluster id clients see; default a fixed demo id. */
  clusterId?: string;
  /** Turnout's own log level (to stderr); default error. */
  logLevel?: LogLevel;
}

export const DEMO_CLUSTER_ID = 'tUrNoUtDeMoViRtUaLcLu0';

/** Starts Turnout in front of `backend` on loopback, every port ephemeral. */
export function startDemoProxy(backend: DemoBackend, opts: DemoProxyOptions = {}): Promise<ProxyHandle> {
  const level = opts.logLevel ?? 'error';
  return startProxy(
    {
      virtualCluster: { clusterId: opts.clusterId ?? DEMO_CLUSTER_ID },
      listeners: [{ name: 'demo', bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 }],
      backends: [{ name: 'demo', bootstrapServers: [...backend.bootstrapServers] }],
      admin: { host: '127.0.0.1', port: 0 },
      logging: { level },
    },
    { logger: demoLogger(level) },
  );
}

/** Turnout's logger in a demo: the demo's own output owns stdout, so Turnout's log lines go to stderr. */
export function demoLogger(level: LogLevel): Logger {
  return createLogger({ level, destination: pino.destination({ fd: 2, sync: false }) });
}

/** What both demo flows (plain and secured) take. */
export interface DemoTrafficOptions {
  /** Number of order events; default 5000. */
  records?: number;
  /** Default 6. */
  partitions?: number;
  /** Default min(3, brokers). */
  replicationFactor?: number;
  /** Records per produce request; default 100. */
  batchSize?: number;
  /** Also read the topic with kcat (if installed); default true. */
  kcat?: boolean;
  /** Also read the topic with Kafka's Java console consumer; default true. */
  javaConsole?: boolean;
  /** Give up when the consumer gets nothing new for this long; default 30 s. */
  idleTimeoutMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface DemoFlowOptions extends DemoTrafficOptions {
  /** Default `orders`. A topic of that name is deleted and created anew. */
  topic?: string;
  /** kafkajs consumer group; default `orders-demo-<time>`. */
  groupId?: string;
  /** Delete the topic at the end; default false. */
  deleteTopic?: boolean;
}

export interface DemoResult {
  /**
   * Every client that ran got every record intact and in order, and nothing of the backend
   * leaked. A client that is not installed leaves it true; the summary warns about it.
   */
  ok: boolean;
  backend: { label: string; kafkaVersion: string | null; bootstrapServers: string[] };
  turnout: { bootstrapServers: string; nodePorts: Record<string, number>; adminUrl: string | null };
  topic: { name: string; partitions: number; replicationFactor: number };
  produce: ProduceStats;
  clients: ClientCheck[];
  /** What a client sees through Turnout, and what is really there. */
  seen: ClusterView;
  real: ClusterView;
  /** What kafkajs's DescribeCluster returned through Turnout. */
  kafkajsSaw: { clusterId: string; brokers: string[] };
  nodes: NodeRoute[];
  /** Backend addresses or ids visible to the client (must be none). */
  leaks: string[];
  traffic: TurnoutTraffic;
  durationMs: number;
}

async function partitionLeaders(viaTurnout: Admin, direct: Admin, topic: string): Promise<{ leaders: PartitionLeaders[]; metadata: PartitionMetadata[] }> {
  const [seen, real] = await Promise.all([viaTurnout.fetchTopicMetadata({ topics: [topic] }), direct.fetchTopicMetadata({ topics: [topic] })]);
  const seenPartitions = seen.topics[0]?.partitions ?? [];
  const realLeader = new Map((real.topics[0]?.partitions ?? []).map((p) => [p.partitionId, p.leader]));
  const leaders = seenPartitions
    .map((p) => ({ partition: p.partitionId, virtualLeader: p.leader, realLeader: realLeader.get(p.partitionId) ?? -1 }))
    .sort((a, b) => a.partition - b.partition);
  return { leaders, metadata: seenPartitions };
}

/** Runs the demo's traffic through a started Turnout (`startDemoProxy`) and checks it. */
export async function runDemoFlow(proxy: ProxyHandle, backend: DemoBackend, opts: DemoFlowOptions = {}): Promise<DemoResult> {
  const started = performance.now();
  const log = opts.log ?? (() => undefined);
  const signal = opts.signal;
  const records = opts.records ?? 5_000;
  const topic = opts.topic ?? 'orders';
  const partitions = opts.partitions ?? 6;
  const groupId = opts.groupId ?? `orders-demo-${Date.now().toString(36)}`;
  const bootstrap = proxy.bootstrapServers();

  const real = await unlessAborted(viewCluster(backend.bootstrapServers), signal);
  const seen = await unlessAborted(viewCluster([bootstrap]), signal);
  const replicationFactor = opts.replicationFactor ?? Math.min(3, real.brokers.length);

  const viaTurnout = new Kafka({ clientId: 'turnout-demo', brokers: [bootstrap], logLevel: kafkaLogLevel.NOTHING });
  const direct = new Kafka({ clientId: 'turnout-demo-direct', brokers: [...backend.bootstrapServers], logLevel: kafkaLogLevel.NOTHING });
  const admin = viaTurnout.admin();
  const directAdmin = direct.admin();
  const producer = viaTurnout.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  const consumer = viaTurnout.consumer({ groupId, maxWaitTimeInMs: 100 });
  const tap: ConsumerTap = { received: [], latenciesMs: [], firstAt: 0, lastAt: 0 };
  try {
    await unlessAborted(Promise.all([admin.connect(), directAdmin.connect()]), signal);
    const described = await unlessAborted(admin.describeCluster(), signal);
    const kafkajsSaw = { clusterId: described.clusterId, brokers: described.brokers.map((b) => `${b.host}:${b.port}`).sort() };

    log(`creating topic ${topic} (${partitions} partitions, replication factor ${replicationFactor}) through Turnout`);
    await unlessAborted(recreateTopic(admin, topic, partitions, replicationFactor, signal), signal);
    const { leaders, metadata } = await unlessAborted(partitionLeaders(admin, directAdmin, topic), signal);

    log(`starting a kafkajs consumer (group ${groupId}) through Turnout`);
    await startConsumer(consumer, topic, partitions, tap, signal);

    log(`producing ${records} order events through Turnout (acks=all)`);
    await unlessAborted(producer.connect(), signal);
    const events = orderEvents(records);
    const { expected, stats } = await produceAll(producer, topic, events, metadata, opts.batchSize ?? 100, signal);
    await waitForRecords(tap, expected.length, opts.idleTimeoutMs ?? 30_000, signal);
    const clients: ClientCheck[] = [
      {
        client: 'kafkajs',
        report: checkDelivery('kafkajs', expected, tap.received),
        durationMs: tap.lastAt - tap.firstAt,
        endToEndLatencyMs: summarizeLatency(tap.latenciesMs),
      },
    ];
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
    // A minute and a half, plus time to read big topics at a slow 5000 records/s.
    const consoleTimeoutMs = 90_000 + Math.ceil(expected.length / 5);

    if (opts.kcat !== false) {
      log('reading the topic back with kcat (librdkafka) through Turnout');
      const kcat = consoleCheck(await unlessAborted(consumeWithKcat(bootstrap, topic, expected.length, { timeoutMs: consoleTimeoutMs }), signal), expected);
      if (kcat.notInstalled !== undefined) log(`WARNING: kcat (librdkafka) not checked: ${kcat.notInstalled}`);
      clients.push(kcat);
    }
    if (opts.javaConsole !== false) {
      log("reading the topic back with Kafka's Java console consumer through Turnout");
      const java = consumeWithJavaConsole(bootstrap, topic, expected.length, `${groupId}-java`, stats.payloadBytes, { timeoutMs: consoleTimeoutMs });
      clients.push(consoleCheck(await unlessAborted(java, signal), expected));
    }

    const nodes = mapVirtualNodes(seen, real, leaders);
    const byPartition = new Map<number, { records: number; bytes: number }>();
    for (const e of expected) {
      const c = byPartition.get(e.partition) ?? { records: 0, bytes: 0 };
      c.records++;
      c.bytes += Buffer.byteLength(e.key) + Buffer.byteLength(e.value);
      byPartition.set(e.partition, c);
    }
    for (const n of nodes) {
      for (const p of n.partitions) {
        n.records += byPartition.get(p)?.records ?? 0;
        n.payloadBytes += byPartition.get(p)?.bytes ?? 0;
      }
    }
    const leaks = leakedIdentifiers(seen, real);
    if (kafkajsSaw.clusterId === real.clusterId) leaks.push(`kafkajs saw the backend's cluster id ${real.clusterId}`);
    const realAddresses = new Set(real.brokers.map((b) => `${b.host}:${b.port}`));
    for (const a of kafkajsSaw.brokers) if (realAddresses.has(a)) leaks.push(`kafkajs saw broker address ${a}`);

    if (opts.deleteTopic === true) await directAdmin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    const traffic = turnoutTraffic(await proxy.registry.getMetricsAsJSON());
    const ok = leaks.length === 0 && clients.every((c) => c.notInstalled !== undefined || (c.report?.ok === true && c.error === undefined));
    return {
      ok,
      backend: { label: backend.label, kafkaVersion: backend.kafkaVersion ?? null, bootstrapServers: [...backend.bootstrapServers] },
      turnout: {
        bootstrapServers: bootstrap,
        nodePorts: Object.fromEntries([...proxy.ports().nodes].map(([id, port]) => [String(id), port])),
        adminUrl: proxy.adminPort > 0 ? `http://127.0.0.1:${proxy.adminPort}` : null,
      },
      topic: { name: topic, partitions, replicationFactor },
      produce: stats,
      clients,
      seen,
      real,
      kafkajsSaw,
      nodes,
      leaks,
      traffic,
      durationMs: performance.now() - started,
    };
  } finally {
    await Promise.allSettled([producer.disconnect(), consumer.disconnect()]);
    await Promise.allSettled([admin.disconnect(), directAdmin.disconnect()]);
  }
}
