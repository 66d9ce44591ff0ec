// The demo's flow against two running clusters, whoever started them: Turnout in front of both
// in-process (one virtual cluster, a listener per zone, two domains: demo-workspace.ts), and
// through it, the whole time, an orders producer and a payments producer (kafkajs, paced,
// acks=all) and a consumer group per domain, the orders group with a member in every zone.
// Meanwhile the orders domain is cut over from east to west and back, live (demo-cutovers.ts).
// Afterwards every record each group read is checked against the produce acknowledgements,
// kcat and Kafka's Java console consumer read the orders topic back across its segments, the
// segments of every partition are held against what each cluster really stores, and the
// zone view and Turnout's metrics are read. `turnout demo` runs this against its own
// clusters; the integration test against the rig's.
import { performance } from 'node:perf_hooks';
import kafkajs from 'kafkajs';
import type { Admin, Producer } from 'kafkajs';
import { pino } from 'pino';
import { CutoverApi } from '../admin/cutover-client.js';
import { createLogger, type Logger, type LogLevel } from '../observability/logger.js';
import { loadConfigFile } from '../policy/config.js';
import { startProxy, type ProxyHandle } from '../proxy.js';
import { consoleCheck, type ClientCheck } from './client-check.js';
import { leakedIdentifiers, viewCluster, type ClusterView } from './cluster-view.js';
import { consumeWithJavaConsole, consumeWithKcat } from './console-consumers.js';
import { unlessAborted } from './demo-abort.js';
import { DemoCutoverSeries, type CutoverSeriesReport } from './demo-cutovers.js';
import { checkDelivery, type ExpectedRecord } from './delivery-check.js';
import {
  createDemoWorkspace,
  DEMO_BACKEND_NAMES,
  DEMO_ZONES,
  demoDomains,
  type DemoBackendName,
  type DemoBackends,
  type DemoWorkspace,
  type DemoZone,
} from './demo-workspace.js';
import { recreateTopic, topicReady, waitForRecords, type ProduceStats } from './kafkajs-traffic.js';
import { summarizeLatency } from './latency-stats.js';
import { orderEventStream } from './order-events.js';
import { PacedProducer, sendsDuring, type PacedProduceResult } from './paced-producer.js';
import { paymentEventStream } from './payment-events.js';
import { chainFromSwitchPoints, checkStored, partitionSegments, type PartitionSegments, type RealLog, type StoredCheck } from './segment-view.js';
import { turnoutTraffic, type TurnoutTraffic } from './turnout-traffic.js';
import { startZoneGroup, type RunningGroup } from './zone-group.js';
import { readZoneView, type DemoZoneView } from './zone-view.js';

export { DemoAbortedError } from './demo-abort.js';
export type { ClientCheck } from './client-check.js';
export type { ProduceStats } from './kafkajs-traffic.js';
export type { DemoBackend, DemoBackends } from './demo-workspace.js';

const { Kafka, logLevel: kafkaLogLevel } = kafkajs;

/** Turnout's logger in a demo: the demo's own output owns stdout, so Turnout's log lines go to stderr. */
export function demoLogger(level: LogLevel): Logger {
  return createLogger({ level, destination: pino.destination({ fd: 2, sync: false }) });
}

/** Turnout as the plain demo runs it, and what its clients need to reach it. */
export interface DemoTurnout {
  readonly proxy: ProxyHandle;
  readonly workspace: DemoWorkspace;
  readonly adminUrl: string;
  /** The bootstrap address of a zone's listener. */
  bootstrap(zone: DemoZone): string;
  /** Closes Turnout and removes its workspace (unless kept, for --keep). */
  close(opts?: { drainTimeoutMs?: number; keepWorkspace?: boolean }): Promise<void>;
}

export interface DemoProxyOptions {
  /** Cluster id clients see; default a fixed demo id. */
  clusterId?: string;
  /** In front of the domains' name patterns and so of the demo's topics and groups (demoDomains); default none. */
  namePrefix?: string;
  /** Turnout's own log level (to stderr); default error. */
  logLevel?: LogLevel;
}

/** Writes the demo's configuration and starts Turnout from it, in front of both clusters, on loopback, every port ephemeral. */
export async function startDemoProxy(backends: DemoBackends, opts: DemoProxyOptions = {}): Promise<DemoTurnout> {
  const level = opts.logLevel ?? 'error';
  const workspace = await createDemoWorkspace(backends, { logLevel: level, domains: demoDomains(opts.namePrefix), ...(opts.clusterId !== undefined ? { clusterId: opts.clusterId } : {}) });
  let proxy: ProxyHandle;
  try {
    const config = await loadConfigFile(workspace.configFile, { severalBackends: true });
    proxy = await startProxy(config, { configFile: workspace.configFile, logger: demoLogger(level), waitForReadyMs: 60_000 });
  } catch (err) {
    await workspace.remove();
    throw err;
  }
  return {
    proxy,
    workspace,
    adminUrl: `http://127.0.0.1:${proxy.adminPort}`,
    bootstrap: (zone) => proxy.bootstrapServers(zone),
    async close(c = {}) {
      await proxy.close({ drainTimeoutMs: c.drainTimeoutMs ?? 1_000 });
      if (c.keepWorkspace !== true) await workspace.remove();
    },
  };
}

/** What both demo flows (plain and secured) take. */
export interface DemoTrafficOptions {
  /**
   * Order events: the plain demo writes them before, between and after its cutovers (those
   * written while a cutover runs come on top), default 3000; the secured demo this many in
   * all, default 5000.
   */
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
  /** Give up when a consumer gets nothing new for this long; default 30 s. */
  idleTimeoutMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  signal?: AbortSignal;
}

export interface DemoFlowOptions extends DemoTrafficOptions {
  /** Default orders.events and payments.events; topics of those names are deleted and created anew. */
  topics?: { orders?: string; payments?: string };
  /** Default orders-billing-<time> and payments-ledger-<time>. */
  groups?: { orders?: string; payments?: string };
  /** Cutovers of the orders domain, alternately to west and back to east; default 3. */
  cutovers?: number;
  /** Default 1000. */
  ordersPerSecond?: number;
  /** Default 200. */
  paymentsPerSecond?: number;
  /** Delete the topics at the end; default false. */
  deleteTopics?: boolean;
}

export interface DemoCluster {
  name: DemoBackendName;
  label: string;
  kafkaVersion: string | null;
  bootstrapServers: string[];
  view: ClusterView;
}

export interface DemoTopic {
  name: string;
  domain: string;
  partitions: number;
  replicationFactor: number;
}

export interface DemoProduce {
  topic: string;
  /** The producer's client.id and zone. */
  client: string;
  zone: DemoZone;
  stats: ProduceStats;
  /** Why the producer stopped early, or null. */
  failure: string | null;
}

export interface DemoGroup {
  group: string;
  topic: string;
  zones: string[];
  /** Rebalances after the group first settled. */
  rebalances: number;
  crashes: string[];
}

/** What a cutover's hold did to the producers: requests in flight during it and their longest wait. */
export interface HoldImpact {
  cutover: number;
  orders: { requests: number; maxAckMs: number | null };
  payments: { requests: number; maxAckMs: number | null };
}

export interface DemoSegments {
  /** Where the chains came from: Turnout's own (GET /v1/cutovers?domain=), rebuilt from switch points, or one segment before any cutover. */
  source: 'turnout' | 'switch-points' | 'no-cutover';
  partitions: PartitionSegments[];
  /** Each cluster holds exactly its segments' records, back to back. */
  stored: StoredCheck;
}

export interface DemoResult {
  /**
   * Every record was read intact and in order by every client that ran, nothing of either
   * cluster reached a client, every cutover asked for switched (or the build has none, which
   * the summary warns about), and each cluster holds exactly what the segments say.
   */
  ok: boolean;
  clusters: DemoCluster[];
  turnout: {
    clusterId: string | null;
    zones: Array<{ zone: DemoZone; bootstrap: string; nodes: ClusterView['brokers'] }>;
    adminUrl: string;
    configFile: string;
  };
  /** Each domain's backend at the start, its migration target, and its backend at the end. */
  domains: Array<{ name: string; topics: string; backend: string; migrationTarget: string | null; now: string }>;
  topics: DemoTopic[];
  produce: DemoProduce[];
  groups: DemoGroup[];
  /** What each consumer read, each record checked: the groups, then kcat and the Java console consumer on the orders topic. */
  clients: ClientCheck[];
  cutover: CutoverSeriesReport;
  holds: HoldImpact[];
  segments: DemoSegments;
  zones: DemoZoneView;
  /** What kafkajs's DescribeCluster returned through the az-a listener. */
  kafkajsSaw: { clusterId: string; brokers: string[] };
  /** Backend addresses or ids visible to a client (must be none). */
  leaks: string[];
  traffic: TurnoutTraffic;
  durationMs: number;
}

function directAdmin(backend: DemoBackends[DemoBackendName], clientId: string): Admin {
  return new Kafka({ clientId, brokers: [...backend.bootstrapServers], logLevel: kafkaLogLevel.NOTHING }).admin();
}

async function logsOf(admin: Admin, topic: string): Promise<Map<number, RealLog>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, { start: Number(p.low), end: Number(p.high) }]));
}

/** The orders topic's segments: Turnout's chains when its API lists them, else rebuilt from the switch points. */
async function segmentsOf(
  api: CutoverApi,
  cutover: CutoverSeriesReport,
  firstBackend: string,
  topic: string,
  virtualEnds: ReadonlyMap<number, number>,
): Promise<Omit<DemoSegments, 'stored'>> {
  const switched = cutover.cutovers.filter((c) => c.phase === 'SWITCHED');
  const listed = switched.length === 0 ? null : await api.domainChains(cutover.domain).catch(() => null);
  const partitions: PartitionSegments[] = [];
  const fromTurnout = listed?.[topic];
  for (const [partition, virtualEnd] of [...virtualEnds].sort((a, b) => a[0] - b[0])) {
    const chain =
      fromTurnout?.[partition] ??
      chainFromSwitchPoints(
        firstBackend,
        switched.flatMap((c) =>
          c.switchPoints
            .filter((p) => p.topic === topic && p.partition === partition)
            .map((p) => ({ backend: c.to, firstOffset: p.firstOffset, shift: p.shift, generation: c.generations[topic] ?? null })),
        ),
      );
    partitions.push(partitionSegments(topic, partition, chain, virtualEnd));
  }
  return { source: switched.length === 0 ? 'no-cutover' : fromTurnout !== undefined ? 'turnout' : 'switch-points', partitions };
}

function producerFor(bootstrap: string, clientId: string): Producer {
  return new Kafka({ clientId, brokers: [bootstrap], logLevel: kafkaLogLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
}

function groupCheck(group: RunningGroup, expected: readonly ExpectedRecord[]): ClientCheck {
  const tap = group.tap;
  return {
    client: `kafkajs group ${group.groupId}`,
    report: checkDelivery(`kafkajs group ${group.groupId}`, expected, tap.received),
    durationMs: tap.lastAt - tap.firstAt,
    endToEndLatencyMs: summarizeLatency(tap.latenciesMs),
  };
}

/** Runs the demo's traffic and cutovers through a started Turnout (`startDemoProxy`) and checks them. */
export async function runDemoFlow(turnout: DemoTurnout, backends: DemoBackends, opts: DemoFlowOptions = {}): Promise<DemoResult> {
  const started = performance.now();
  const log = opts.log ?? (() => undefined);
  const signal = opts.signal;
  const records = opts.records ?? 3_000;
  const cutoverCount = opts.cutovers ?? 3;
  const suffix = Date.now().toString(36);
  const domains = turnout.workspace.domains;
  const orders = { name: opts.topics?.orders ?? `${domains.orders.topicPrefix}events`, partitions: opts.partitions ?? 6, group: opts.groups?.orders ?? `${domains.orders.groupPrefix}billing-${suffix}` };
  const payments = { name: opts.topics?.payments ?? `${domains.payments.topicPrefix}events`, partitions: 3, group: opts.groups?.payments ?? `${domains.payments.groupPrefix}ledger-${suffix}` };
  const api = new CutoverApi(turnout.adminUrl, { 'content-type': 'application/json', authorization: `Bearer ${turnout.workspace.adminToken}` });

  const realViews = await unlessAborted(Promise.all(DEMO_BACKEND_NAMES.map((n) => viewCluster(backends[n].bootstrapServers))), signal);
  const clusters: DemoCluster[] = DEMO_BACKEND_NAMES.map((name, i) => ({
    name,
    label: backends[name].label,
    kafkaVersion: backends[name].kafkaVersion ?? null,
    bootstrapServers: [...backends[name].bootstrapServers],
    view: realViews[i] as ClusterView,
  }));
  const seenByZone = await unlessAborted(Promise.all(DEMO_ZONES.map((z) => viewCluster([turnout.bootstrap(z)]))), signal);
  const replicationFactor = opts.replicationFactor ?? Math.min(3, ...realViews.map((v) => v.brokers.length));

  const admin = new Kafka({ clientId: 'turnout-demo-admin', brokers: [turnout.bootstrap('az-a')], logLevel: kafkaLogLevel.NOTHING }).admin();
  const direct = { east: directAdmin(backends.east, 'turnout-demo-direct'), west: directAdmin(backends.west, 'turnout-demo-direct') };
  const ordersClient = { client: 'orders-service', zone: 'az-a' as const };
  const paymentsClient = { client: 'payments-service', zone: 'az-c' as const };
  const ordersProducer = producerFor(turnout.bootstrap(ordersClient.zone), ordersClient.client);
  const paymentsProducer = producerFor(turnout.bootstrap(paymentsClient.zone), paymentsClient.client);
  const groups: RunningGroup[] = [];
  try {
    await unlessAborted(Promise.all([admin.connect(), direct.east.connect(), direct.west.connect()]), signal);
    const described = await unlessAborted(admin.describeCluster(), signal);
    const kafkajsSaw = { clusterId: described.clusterId, brokers: described.brokers.map((b) => `${b.host}:${b.port}`).sort() };

    log(`creating topic ${orders.name} (${orders.partitions} partitions) through Turnout: domain orders, on ${domains.orders.backend}`);
    await unlessAborted(recreateTopic(admin, orders.name, orders.partitions, replicationFactor, signal), signal);
    log(`creating ${orders.name} on ${domains.orders.migrationTarget} too, empty, as an operator does before a cutover (no record is ever copied)`);
    await unlessAborted(recreateTopic(direct[domains.orders.migrationTarget], orders.name, orders.partitions, replicationFactor, signal), signal);
    log(`creating topic ${payments.name} (${payments.partitions} partitions) through Turnout: domain payments, on ${domains.payments.backend}`);
    await unlessAborted(recreateTopic(admin, payments.name, payments.partitions, replicationFactor, signal), signal);
    const [ordersPartitions, paymentsPartitions] = await unlessAborted(
      Promise.all([topicReady(admin, orders.name, orders.partitions, signal), topicReady(admin, payments.name, payments.partitions, signal)]),
      signal,
    );

    log(`starting consumer group ${orders.group} (kafkajs, a member in each of ${DEMO_ZONES.join(', ')}) and ${payments.group} (az-b) through Turnout`);
    const member = (zone: DemoZone) => ({ zone, bootstrap: turnout.bootstrap(zone) });
    const runningGroups = await unlessAborted(
      Promise.all([
        startZoneGroup({ groupId: orders.group, topic: orders.name, partitions: orders.partitions, members: DEMO_ZONES.map(member), ...(signal !== undefined ? { signal } : {}) }),
        startZoneGroup({ groupId: payments.group, topic: payments.name, partitions: payments.partitions, members: [member('az-b')], ...(signal !== undefined ? { signal } : {}) }),
      ]),
      signal,
    );
    groups.push(...runningGroups);
    const [ordersGroup, paymentsGroup] = runningGroups as [RunningGroup, RunningGroup];

    await unlessAborted(Promise.all([ordersProducer.connect(), paymentsProducer.connect()]), signal);
    const ordersRate = opts.ordersPerSecond ?? 1_000;
    const paymentsRate = opts.paymentsPerSecond ?? 200;
    const ordersFlow = new PacedProducer(ordersProducer, orders.name, orderEventStream(), ordersPartitions, { ratePerSecond: ordersRate });
    const paymentsFlow = new PacedProducer(paymentsProducer, payments.name, paymentEventStream(), paymentsPartitions, { ratePerSecond: paymentsRate });
    log(`producing order events at ${ordersRate}/s (${ordersClient.client}, az-a) and payment events at ${paymentsRate}/s (${paymentsClient.client}, az-c) through Turnout, idempotent, acks=all`);
    ordersFlow.start();
    paymentsFlow.start();

    const series = new DemoCutoverSeries(api, { domain: domains.orders.name, from: domains.orders.backend, to: domains.orders.migrationTarget, log, ...(signal !== undefined ? { signal } : {}) });
    const stretch = Math.ceil(records / (cutoverCount + 1));
    for (let i = 0; i <= cutoverCount; i++) {
      await ordersFlow.waitForAcknowledged(ordersFlow.acknowledged + stretch, signal);
      if (i < cutoverCount) await series.next();
    }
    const [ordersSent, paymentsSent] = await Promise.all([ordersFlow.stop(), paymentsFlow.stop()]);
    const cutover = series.report();
    log(`stopped the producers: ${ordersSent.expected.length} order events and ${paymentsSent.expected.length} payment events acknowledged; waiting for the groups`);

    const idle = opts.idleTimeoutMs ?? 30_000;
    await Promise.all([waitForRecords(ordersGroup.tap, ordersSent.expected.length, idle, signal), waitForRecords(paymentsGroup.tap, paymentsSent.expected.length, idle, signal)]);
    const clients: ClientCheck[] = [groupCheck(ordersGroup, ordersSent.expected), groupCheck(paymentsGroup, paymentsSent.expected)];
    const groupResults: DemoGroup[] = groups.map((g) => ({ group: g.groupId, topic: g.topic, zones: g.zones, rebalances: g.rejoins(), crashes: g.crashes() }));
    await Promise.all(groups.map((g) => g.stop()));
    groups.length = 0;
    await Promise.all([ordersProducer.disconnect(), paymentsProducer.disconnect()]);

    const virtualEnds = new Map((await admin.fetchTopicOffsets(orders.name)).map((p) => [p.partition, Number(p.high)]));
    const logs = new Map<string, Map<number, RealLog>>();
    for (const name of DEMO_BACKEND_NAMES) logs.set(name, await logsOf(direct[name], orders.name));
    const segmentView = await segmentsOf(api, cutover, domains.orders.backend, orders.name, virtualEnds);
    const segments: DemoSegments = { ...segmentView, stored: checkStored(segmentView.partitions, logs) };

    clients.push(...(await unlessAborted(readBack(turnout.bootstrap('az-a'), orders.name, orders.group, ordersSent, opts), signal)));

    const holds: HoldImpact[] = cutover.cutovers.map((c) => ({ cutover: c.number, orders: sendsDuring(ordersSent.sends, c.holdWindow), payments: sendsDuring(paymentsSent.sends, c.holdWindow) }));
    const zones = await unlessAborted(readZoneView(turnout.adminUrl), signal);
    const leaks = leakChecks(seenByZone, realViews, kafkajsSaw);
    if (opts.deleteTopics === true) {
      // On each cluster itself: the orders topic is on both, wherever the cutovers left the domain.
      await Promise.all([
        direct.east.deleteTopics({ topics: [orders.name] }).catch(() => undefined),
        direct.west.deleteTopics({ topics: [orders.name, payments.name] }).catch(() => undefined),
      ]);
    }
    const traffic = turnoutTraffic(await turnout.proxy.registry.getMetricsAsJSON());
    const produce: DemoProduce[] = [
      { topic: orders.name, ...ordersClient, stats: ordersSent.stats, failure: ordersSent.failure },
      { topic: payments.name, ...paymentsClient, stats: paymentsSent.stats, failure: paymentsSent.failure },
    ];
    const ok =
      leaks.length === 0 &&
      produce.every((p) => p.failure === null) &&
      clients.every((c) => c.notInstalled !== undefined || (c.report?.ok === true && c.error === undefined)) &&
      cutover.status !== 'failed' &&
      segments.stored.ok;
    const lastSwitched = cutover.cutovers.filter((c) => c.phase === 'SWITCHED').at(-1);
    return {
      ok,
      clusters,
      turnout: {
        clusterId: seenByZone[0]?.clusterId ?? null,
        zones: DEMO_ZONES.map((zone, i) => ({ zone, bootstrap: turnout.bootstrap(zone), nodes: seenByZone[i]?.brokers ?? [] })),
        adminUrl: turnout.adminUrl,
        configFile: turnout.workspace.configFile,
      },
      domains: [
        {
          name: domains.orders.name,
          topics: `${domains.orders.topicPrefix}*`,
          backend: domains.orders.backend,
          migrationTarget: domains.orders.migrationTarget,
          now: lastSwitched?.to ?? domains.orders.backend,
        },
        { name: domains.payments.name, topics: `${domains.payments.topicPrefix}*`, backend: domains.payments.backend, migrationTarget: null, now: domains.payments.backend },
      ],
      topics: [
        { name: orders.name, domain: domains.orders.name, partitions: orders.partitions, replicationFactor },
        { name: payments.name, domain: domains.payments.name, partitions: payments.partitions, replicationFactor },
      ],
      produce,
      groups: groupResults,
      clients,
      cutover,
      holds,
      segments,
      zones,
      kafkajsSaw,
      leaks,
      traffic,
      durationMs: performance.now() - started,
    };
  } finally {
    await Promise.allSettled(groups.map((g) => g.stop()));
    await Promise.allSettled([ordersProducer.disconnect(), paymentsProducer.disconnect()]);
    await Promise.allSettled([admin.disconnect(), direct.east.disconnect(), direct.west.disconnect()]);
  }
}

/** kcat and the Java console consumer read the topic from the beginning, across its segments, at the same time. */
async function readBack(bootstrap: string, topic: string, group: string, sent: PacedProduceResult, opts: DemoTrafficOptions): Promise<ClientCheck[]> {
  const log = opts.log ?? (() => undefined);
  const expected = sent.expected;
  // A minute and a half, plus time to read big topics at a slow 5000 records/s.
  const timeoutMs = 90_000 + Math.ceil(expected.length / 5);
  const readers: Array<Promise<ClientCheck>> = [];
  if (opts.kcat !== false) {
    log(`reading ${topic} back from the beginning with kcat (librdkafka) through Turnout`);
    readers.push(
      consumeWithKcat(bootstrap, topic, expected.length, { timeoutMs }).then((run) => {
        const check = consoleCheck(run, expected);
        if (check.notInstalled !== undefined) log(`WARNING: kcat (librdkafka) not checked: ${check.notInstalled}`);
        return check;
      }),
    );
  }
  if (opts.javaConsole !== false) {
    log(`reading ${topic} back from the beginning with Kafka's Java console consumer through Turnout`);
    readers.push(consumeWithJavaConsole(bootstrap, topic, expected.length, `${group}-java`, sent.stats.payloadBytes, { timeoutMs }).then((run) => consoleCheck(run, expected)));
  }
  return Promise.all(readers);
}

function leakChecks(seenByZone: readonly ClusterView[], real: readonly ClusterView[], kafkajsSaw: { clusterId: string; brokers: string[] }): string[] {
  const leaks: string[] = [];
  for (const seen of seenByZone) for (const r of real) leaks.push(...leakedIdentifiers(seen, r));
  for (const r of real) {
    if (kafkajsSaw.clusterId === r.clusterId) leaks.push(`kafkajs saw a backend's cluster id ${r.clusterId}`);
    const addresses = new Set(r.brokers.map((b) => `${b.host}:${b.port}`));
    for (const a of kafkajsSaw.brokers) if (addresses.has(a)) leaks.push(`kafkajs saw broker address ${a}`);
  }
  return [...new Set(leaks)];
}
