// The secured demo's flow against a running SASL_SSL cluster, whoever started it: Turnout
// in-process from the workspace's configuration (TLS and SASL SCRAM-SHA-512 on its listener,
// ACLs decided by it, its own login to the cluster), then, each step checked:
//   - permitted: orders-service produces order events (acks=all) and billing consumes them,
//     with kafkajs, kcat and Kafka's Java console consumer, every record checked against the
//     produce acks, as in the plain demo;
//   - refused: a wrong password (authentication), and analytics, whom no ACL grants, reading
//     the topic (authorization), each with the error its client prints;
//   - an ACL added with kafka-acls through Turnout while shipping's producer runs: denied,
//     then allowed, without a restart;
//   - Turnout's own identity: the cluster refuses a wrong password, Turnout logged in without a
//     refusal, and what it acknowledged is stored on the cluster.
// `turnout demo --secure` runs this against its own cluster; the integration test against the rig's.
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import kafkajs from 'kafkajs';
import type { LogLevel } from '../observability/logger.js';
import { loadConfigFile } from '../policy/config.js';
import { startProxy, type ProxyHandle } from '../proxy.js';
import { checkBackendIdentity, type BackendIdentityCheck } from './backend-identity-check.js';
import { consoleCheck, type ClientCheck } from './client-check.js';
import { consumeWithJavaConsole, consumeWithKcat } from './console-consumers.js';
import { unlessAborted } from './demo-abort.js';
import { demoLogger, type DemoTrafficOptions } from './demo-flow.js';
import { checkDelivery } from './delivery-check.js';
import { produceAll, recreateTopic, startConsumer, waitForRecords, type ConsumerTap, type ProduceStats } from './kafkajs-traffic.js';
import { summarizeLatency } from './latency-stats.js';
import { grantWhileRunning, type LiveGrantResult } from './live-grant.js';
import { orderEvents } from './order-events.js';
import { refusedJavaConsumer, refusedKafkajsLogin, type Refusal } from './refused-clients.js';
import { SECURE_DEMO_DOMAIN, SECURE_DEMO_MECHANISM, SECURE_DEMO_USERS, type SecureDemoBackend, type SecureDemoRole, type SecureDemoWorkspace } from './secure-demo-workspace.js';
import { turnoutSecurityCounts, type TurnoutSecurityCounts } from './turnout-traffic.js';

const { Kafka, logLevel: kafkaLogLevel } = kafkajs;

/** Starts Turnout from the workspace's configuration file (its users file and ACL state beside it). */
export async function startSecureDemoProxy(workspace: SecureDemoWorkspace, opts: { logLevel?: LogLevel } = {}): Promise<ProxyHandle> {
  const level = opts.logLevel ?? 'error';
  const config = await loadConfigFile(workspace.configFile);
  return startProxy(config, { configFile: workspace.configFile, logger: demoLogger(level) });
}

export interface SecureDemoFlowOptions extends DemoTrafficOptions {
  /** Default `orders.events`. A topic of that name is deleted and created anew. */
  topic?: string;
  /** The topic shipping's producer is granted; default `orders.shipments`, created anew. */
  shipmentsTopic?: string;
  /** billing's consumer group; default `orders-billing-<time>`. */
  groupId?: string;
  /** Delete the topics at the end; default false. */
  deleteTopics?: boolean;
}

export interface DemoUser {
  user: string;
  /** What it may do, and why. */
  access: string;
}

export interface SecureDemoResult {
  /** Every check below held (a client that is not installed is warned about, as in the plain demo). */
  ok: boolean;
  backend: { label: string; kafkaVersion: string | null; bootstrapServers: string[]; mechanism: string; username: string };
  turnout: { bootstrapServers: string; adminUrl: string | null; configFile: string; mechanism: string };
  users: DemoUser[];
  topic: { name: string; partitions: number; replicationFactor: number };
  produce: ProduceStats;
  /** What billing read, each record checked. */
  clients: ClientCheck[];
  /** Clients refused at login or by an ACL. */
  refusals: Refusal[];
  liveGrant: LiveGrantResult;
  backendIdentity: BackendIdentityCheck;
  security: TurnoutSecurityCounts;
  durationMs: number;
}

function demoUsers(shipments: string): DemoUser[] {
  const d = SECURE_DEMO_DOMAIN;
  return [
    { user: SECURE_DEMO_USERS.admin, access: 'super user (authorization.superUsers): creates the topics, runs kafka-acls' },
    { user: SECURE_DEMO_USERS.producer, access: `producer of domain ${d.name} (domains[].access): WRITE on ${d.topicPrefix}*` },
    { user: SECURE_DEMO_USERS.consumer, access: `consumer of domain ${d.name} (domains[].access): READ on ${d.topicPrefix}* and groups ${d.groupPrefix}*` },
    { user: SECURE_DEMO_USERS.refused, access: 'no grant' },
    { user: SECURE_DEMO_USERS.grantedLater, access: `no grant, until kafka-acls adds WRITE on ${shipments}` },
  ];
}

/** Runs the secured demo's traffic through a started Turnout (`startSecureDemoProxy`) and checks it. */
export async function runSecureDemoFlow(proxy: ProxyHandle, backend: SecureDemoBackend, workspace: SecureDemoWorkspace, opts: SecureDemoFlowOptions = {}): Promise<SecureDemoResult> {
  const started = performance.now();
  const log = opts.log ?? (() => undefined);
  const signal = opts.signal;
  const records = opts.records ?? 5_000;
  const topic = opts.topic ?? `${SECURE_DEMO_DOMAIN.topicPrefix}events`;
  const shipments = opts.shipmentsTopic ?? `${SECURE_DEMO_DOMAIN.topicPrefix}shipments`;
  const partitions = opts.partitions ?? 6;
  const stamp = Date.now().toString(36);
  const groupId = opts.groupId ?? `${SECURE_DEMO_DOMAIN.groupPrefix}billing-${stamp}`;
  const bootstrap = proxy.bootstrapServers();
  const ca = await readFile(workspace.caFile);
  const client = (role: SecureDemoRole): kafkajs.Kafka =>
    new Kafka({ clientId: `turnout-demo-${SECURE_DEMO_USERS[role]}`, brokers: [bootstrap], ...workspace.kafkajs(role), logLevel: kafkaLogLevel.NOTHING });

  const admin = client('admin').admin();
  const producer = client('producer').producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  const consumer = client('consumer').consumer({ groupId, maxWaitTimeInMs: 100 });
  const tap: ConsumerTap = { received: [], latenciesMs: [], firstAt: 0, lastAt: 0 };
  try {
    await unlessAborted(admin.connect(), signal);
    const brokers = (await unlessAborted(admin.describeCluster(), signal)).brokers.length;
    const replicationFactor = opts.replicationFactor ?? Math.min(3, brokers);
    log(`creating topics ${topic} (${partitions} partitions, replication factor ${replicationFactor}) and ${shipments} through Turnout as ${SECURE_DEMO_USERS.admin}`);
    await unlessAborted(recreateTopic(admin, topic, partitions, replicationFactor, signal), signal);
    await unlessAborted(recreateTopic(admin, shipments, 1, replicationFactor, signal), signal);
    const metadata = (await unlessAborted(admin.fetchTopicMetadata({ topics: [topic] }), signal)).topics[0]?.partitions ?? [];

    log(`starting a kafkajs consumer as ${SECURE_DEMO_USERS.consumer} (group ${groupId}) over TLS and ${SECURE_DEMO_MECHANISM}`);
    await startConsumer(consumer, topic, partitions, tap, signal);
    log(`producing ${records} order events as ${SECURE_DEMO_USERS.producer} (acks=all)`);
    await unlessAborted(producer.connect(), signal);
    const { expected, stats } = await produceAll(producer, topic, orderEvents(records), metadata, opts.batchSize ?? 100, signal);
    await waitForRecords(tap, expected.length, opts.idleTimeoutMs ?? 30_000, signal);
    const clients: ClientCheck[] = [
      { client: 'kafkajs', report: checkDelivery('kafkajs', expected, tap.received), durationMs: tap.lastAt - tap.firstAt, endToEndLatencyMs: summarizeLatency(tap.latenciesMs) },
    ];
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
    const consoleTimeoutMs = 90_000 + Math.ceil(expected.length / 5);
    if (opts.kcat !== false) {
      log(`reading the topic back with kcat (librdkafka) as ${SECURE_DEMO_USERS.consumer}`);
      const kcat = consoleCheck(await unlessAborted(consumeWithKcat(bootstrap, topic, expected.length, { timeoutMs: consoleTimeoutMs, settings: workspace.kcatSettings('consumer') }), signal), expected);
      if (kcat.notInstalled !== undefined) log(`WARNING: kcat (librdkafka) not checked: ${kcat.notInstalled}`);
      clients.push(kcat);
    }
    if (opts.javaConsole !== false) {
      log(`reading the topic back with Kafka's Java console consumer as ${SECURE_DEMO_USERS.consumer}`);
      const java = consumeWithJavaConsole(bootstrap, topic, expected.length, `${groupId}-java`, stats.payloadBytes, { timeoutMs: consoleTimeoutMs, consumerConfig: workspace.javaConfig('consumer') });
      clients.push(consoleCheck(await unlessAborted(java, signal), expected));
    }

    log(`refused: a wrong password, and ${SECURE_DEMO_USERS.refused} reading ${topic}`);
    const refusals = [
      await unlessAborted(
        refusedKafkajsLogin([bootstrap], workspace.kafkajs('consumer', 'not-the-password'), { user: SECURE_DEMO_USERS.consumer, attempt: 'log in to Turnout with a wrong password' }),
        signal,
      ),
      await unlessAborted(refusedJavaConsumer(bootstrap, topic, `${SECURE_DEMO_DOMAIN.groupPrefix}analytics-${stamp}`, workspace.javaConfig('refused'), SECURE_DEMO_USERS.refused), signal),
    ];

    const liveGrant = await grantWhileRunning({
      bootstrap,
      topic: shipments,
      user: SECURE_DEMO_USERS.grantedLater,
      producerSettings: workspace.kafkajs('grantedLater'),
      adminConfig: workspace.javaConfig('admin'),
      log,
      ...(signal !== undefined ? { signal } : {}),
    });

    log(`checking what ${backend.label} holds, over its SASL_SSL listener`);
    const backendIdentity = await unlessAborted(
      checkBackendIdentity(proxy, backend, ca, [
        { topic, records: expected.length },
        { topic: shipments, records: liveGrant.acknowledged },
      ]),
      signal,
    );
    if (opts.deleteTopics === true) await admin.deleteTopics({ topics: [topic, shipments] }).catch(() => undefined);
    const security = turnoutSecurityCounts(await proxy.registry.getMetricsAsJSON());
    const delivered = clients.every((c) => c.notInstalled !== undefined || (c.report?.ok === true && c.error === undefined));
    return {
      ok: delivered && refusals.every((r) => r.ok) && liveGrant.ok && backendIdentity.ok,
      backend: {
        label: backend.label,
        kafkaVersion: backend.kafkaVersion ?? null,
        bootstrapServers: [...backend.bootstrapServers],
        mechanism: SECURE_DEMO_MECHANISM,
        username: backend.turnoutUser.username,
      },
      turnout: {
        bootstrapServers: bootstrap,
        adminUrl: proxy.adminPort > 0 ? `http://127.0.0.1:${proxy.adminPort}` : null,
        configFile: workspace.configFile,
        mechanism: SECURE_DEMO_MECHANISM,
      },
      users: demoUsers(shipments),
      topic: { name: topic, partitions, replicationFactor },
      produce: stats,
      clients,
      refusals,
      liveGrant,
      backendIdentity,
      security,
      durationMs: performance.now() - started,
    };
  } finally {
    await Promise.allSettled([producer.disconnect(), consumer.disconnect()]);
    await admin.disconnect().catch(() => undefined);
  }
}
