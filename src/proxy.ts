// Turnout in-process: `startProxy(config)` binds the listeners and the admin endpoint, learns
// the backend clusters' topology, and returns a handle to inspect and stop it. With one
// backend and no zones its brokers are presented one for one (VirtualClusterRouter); with
// several backends or with zones (or virtualCluster.presentation: turnout-nodes), as Turnout's
// own nodes over all of them, each client shown its zone's (MultiBackendRouter). The CLI, the
// tests, the demo and the benchmarks all start Turnout through this function.
//
//   const proxy = await startProxy({
//     virtualCluster: { clusterId: 'my-virtual-cluster' },
//     listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],   // ephemeral ports
//     backends: [{ name: 'main', bootstrapServers: ['localhost:9092'] }],
//     admin: { port: 0 },
//   });
//   const kafka = new Kafka({ brokers: [proxy.bootstrapServers()] });
//   ...
//   await proxy.close();
import type net from 'node:net';
import type { Registry } from 'prom-client';
import { AdminServer, type ReadinessReport } from './admin/admin-server.js';
import { ClientConnection, type ClientConnectionOptions } from './net/client-connection.js';
import { ListenerGroup } from './net/listener-group.js';
import { OwnSession } from './net/own-session.js';
import { UpstreamConnector } from './net/upstream-connector.js';
import { zoneContextOf, type ZoneContext } from './net/session-zone.js';
import type { RequestRouter } from './net/request-router.js';
import { createLogger, type Logger, type LogLevel } from './observability/logger.js';
import { principalFromTls } from './auth/tls-principal.js';
import type { TlsPeer } from './pipeline/filter.js';
import { ProxyMetrics } from './observability/metrics.js';
import type { DomainLookup, RequestTracer } from './observability/request-tracer.js';
import { joinHostPort, parseConfig, presentationOf, type TurnoutConfig, type TurnoutConfigInput } from './policy/config.js';
import type { RedisIdentityStore } from './routing/identity-redis-store.js';
import { SharedIdentities } from './routing/identity-sync.js';
import { openPolicyStore } from './policy/open-policy-store.js';
import { createAuthorization, type Authorization } from './policy/authorization.js';
import { PolicySnapshot, policyDocumentOf } from './policy/policy-snapshot.js';
import { defaultRedisKeyPrefix } from './policy/redis-key-prefix.js';
import { zoneModelOf, type ZoneModel } from './policy/zone-resolver.js';
import { tracingHeadersOf } from './policy/tracing-schema.js';
import type { PolicyStore } from './policy/policy-store.js';
import { ACL_API_VERSIONS } from './pipeline/acl-apis-filter.js';
import { buildPipeline } from './pipeline/build-pipeline.js';
import type { RequestFilter } from './pipeline/filter.js';
import { createAuthenticationFilter, jwtValidatorFor, SASL_API_VERSIONS, usesStoredUsers } from './pipeline/client-authentication.js';
import type { CredentialStore } from './auth/credential-store.js';
import { openCredentialStore } from './auth/open-credential-store.js';
import { apiName } from './routing/api-names.js';
import { BackendTopology } from './routing/backend-topology.js';
import { MultiBackendRouter } from './routing/multi-backend-router.js';
import { VirtualClusterRouter } from './routing/virtual-cluster-router.js';
import { VirtualNodeMap, type VirtualNodeMapOptions } from './routing/virtual-node-map.js';
import { ZoneRouting } from './routing/multi/zone-routing.js';
import { ZoneNodes } from './routing/zone-nodes.js';
import { nodeCountAdvice } from './routing/node-count-advice.js';
import { PeerHealth } from './routing/peer-health.js';
import { openProducerBindingStore } from './routing/open-producer-binding-store.js';
import { CutoverInstance } from './cutover-instance.js';
import { CutoverPolicyView } from './policy/cutover-policy-view.js';
import type { CutoverStore } from './policy/cutover-store.js';
import { openCutoverStore } from './policy/open-cutover-store.js';
import type { ProducerBindingStore } from './routing/producer-binding-store.js';

export interface StartProxyOptions {
  /** Logger to use; by default one is created at `config.logging.level`, writing to stdout. */
  logger?: Logger;
  /** Overrides `config.logging.level` for the created logger. */
  logLevel?: LogLevel;
  /**
   * How long `startProxy` waits for the backend topology before resolving, in ms. If it is not
   * known in time, the proxy is closed and `startProxy` rejects. 0 resolves as soon as the
   * listeners are bound; readiness then shows on `/readyz` and `whenReady()`.
   * (default: 30000)
   */
  waitForReadyMs?: number;
  /** Also export Node process metrics (CPU, memory, event loop). (default: false) */
  processMetrics?: boolean;
  /** Start the admin HTTP endpoint. (default: true) */
  admin?: boolean;
  /**
   * Serve the admin endpoint on an ephemeral loopback port of this process alone instead of
   * `config.admin`: a worker of several processes, whose primary serves the configured admin
   * port and reaches each worker's endpoint. (default: false)
   */
  privateAdmin?: boolean;
  /**
   * One backend presented broker per node: the virtual ids sibling processes gave its brokers,
   * and who to tell of the ones this process gives (a worker of several processes).
   */
  virtualNodeIds?: VirtualNodeMapOptions;
  /**
   * The configuration file `config` was read from: Turnout opens the policy store it names
   * (`store.type`), serves `/v1/domains` from it, and closes it on `close()`.
   */
  configFile?: string;
  /**
   * A policy store the caller opened (and closes), used instead of opening one from
   * `configFile`.
   */
  policyStore?: PolicyStore;
  /**
   * The SASL users, from a store the caller opened (and closes), used instead of the one
   * `configFile` names. Needed when a listener offers PLAIN or SCRAM.
   */
  credentialStore?: CredentialStore;
}

export interface CloseOptions {
  /** Time in-flight requests get to finish before connections are cut, in ms. (default: 5000) */
  drainTimeoutMs?: number;
}

/** Ports of one listener. */
export interface ListenerPorts {
  advertisedHost: string;
  bootstrap: number;
  /** Virtual node id → port, for every node bound so far. */
  nodes: Map<number, number>;
}

/** A running Turnout. */
export interface ProxyHandle {
  /** The validated configuration, defaults filled in. */
  readonly config: TurnoutConfig;
  readonly logger: Logger;
  /** The metrics of this instance; `metrics.registry` is what `/metrics` serves. */
  readonly metrics: ProxyMetrics;
  /** Shorthand for `metrics.registry`. */
  readonly registry: Registry;
  /** ACL decisions and bindings (authorization off: an authorizer that allows everything, no store). */
  readonly authorization: Authorization;
  /** Bound admin port, or 0 when the admin endpoint is off. */
  readonly adminPort: number;
  /** The policy store in use, or null when started without a configuration file or store. */
  readonly policyStore: PolicyStore | null;
  /** The cutover parts of an instance over several backends (turnout-nodes), else null. */
  readonly cutovers: CutoverInstance | null;
  /** The router over several backends (its topic ids, epochs, offset segments), or null with one backend. */
  readonly multiBackendRouter: MultiBackendRouter | null;
  /** `advertisedHost:bootstrapPort` of a listener (the first when unnamed), for clients. */
  bootstrapServers(listener?: string): string;
  /** Bound ports of a listener (the first when unnamed). */
  ports(listener?: string): ListenerPorts;
  /** Client connections currently open. */
  readonly clientConnections: number;
  /** True once the backend topology is known and every listener is bound. */
  isReady(): boolean;
  readiness(): ReadinessReport;
  /** Resolves when ready; rejects after `timeoutMs`. */
  whenReady(timeoutMs?: number): Promise<void>;
  /** Exports the spans of the requests finished so far (tracing on), rejecting when the endpoint refuses them; resolves at once with tracing off. */
  flushTraces(): Promise<void>;
  /** Stops accepting, drains client connections, exports the last spans, closes everything. Idempotent. */
  close(opts?: CloseOptions): Promise<void>;
}

/** A broker's cap on what a client that has not logged in may send (sasl.server.max.receive.size). */
const PRE_LOGIN_MAX_FRAME_BYTES = 512 * 1024;

/** What startProxy opens before the proxy itself, handed to it to own. */
interface ProxyParts {
  /**
   * The tracer class, loaded only with tracing on: the OpenTelemetry SDK and its OTLP exporter
   * are several MB of heap that every major GC would otherwise mark.
   */
  tracerClass: typeof RequestTracer | null;
  /** The shared identity store's class, loaded only with several backends on the Redis store (the Redis client is several MB of heap). */
  identityStoreClass: typeof RedisIdentityStore | null;
  policyStore: PolicyStore | null;
  /** Whether close() closes the policy store (it was opened here, not given by the caller). */
  ownsPolicyStore: boolean;
  metrics: ProxyMetrics;
  authorization: Authorization;
  /** Where virtual producers' real ids outlive the process, or null (see open-producer-binding-store.ts). */
  producerBindings: ProducerBindingStore | null;
  /** The SASL login filter, first in the pipeline. */
  authentication: RequestFilter;
  /** The SASL users' store when it was opened here, for close() to close. */
  ownCredentialStore: CredentialStore | null;
  /** Where cutover segments and records live (turnout-nodes), or null. */
  cutoverStore: CutoverStore | null;
}

interface OpenedCredentials {
  store: CredentialStore | null;
  /** Opened here: close() closes it. */
  owned: boolean;
}

function multiTopicNames(router: MultiBackendRouter): string[] {
  return router.topicIds.entries().map((e) => e.name);
}

const PRODUCER_ID_IDLE_MS = 24 * 60 * 60 * 1000;
const PRODUCER_ID_EXPIRY_CHECK_MS = 10 * 60 * 1000;

class RunningProxy implements ProxyHandle {
  readonly config: TurnoutConfig;
  readonly logger: Logger;
  readonly metrics: ProxyMetrics;
  readonly policyStore: PolicyStore | null;
  adminPort = 0;

  private readonly nodeMap: VirtualNodeMap;
  /** The first backend's topology; the only one with a single backend. */
  private readonly topology: BackendTopology;
  /** Every backend's topology, in configuration order. */
  private readonly topologies: BackendTopology[];
  private readonly router: RequestRouter;
  /** Opens every connection to a broker, with its backend's TLS and credentials. */
  private readonly connector: UpstreamConnector;
  /** Set with the turnout-nodes presentation: Turnout's own nodes, split and merge over the backends. */
  private readonly multi: MultiBackendRouter | null = null;
  private readonly ownSession: OwnSession | null = null;
  /** Set with tracing on (config `tracing`): the spans of sampled client requests. */
  private readonly tracer: RequestTracer | null = null;
  /** Set with several backends on the Redis store: topic ids and leader epochs agreed with the other instances. */
  private readonly identities: SharedIdentities | null = null;
  private producerIdExpiryTimer: NodeJS.Timeout | null = null;
  /** Set with zoneRouting.peers: which peers answer, so a zone whose peers are gone is served elsewhere. */
  private peerHealth: PeerHealth | null = null;
  private readonly listeners: ListenerGroup[];
  private readonly admin: AdminServer | null;
  private readonly connections = new Set<ClientConnection>();
  private readonly zones: ZoneContext;
  private nextConnId = 1;
  private listenersBound = false;
  private nodeBindError: unknown = null;
  private readyWaiters: Array<() => void> = [];
  /** Node count warnings already logged (adviseNodeCount). */
  private readonly nodeCountAdviceGiven = new Set<string>();
  private closing: Promise<void> | null = null;
  /** Whether close() closes the policy store (it was opened here, not given by the caller). */
  private readonly ownsPolicyStore: boolean;
  readonly authorization: Authorization;
  /** The SASL users' store when it was opened here, for close() to close. */
  private readonly ownCredentialStore: CredentialStore | null;

  /** Where virtual producers' real ids outlive the process (turnout-nodes with a file or Redis store). */
  private readonly producerBindings: ProducerBindingStore | null;
  readonly cutovers: CutoverInstance | null = null;

  constructor(config: TurnoutConfig, opts: StartProxyOptions, logger: Logger, parts: ProxyParts) {
    const { policyStore, ownsPolicyStore, producerBindings, authentication } = parts;
    this.config = config;
    this.nodeMap = new VirtualNodeMap(opts.virtualNodeIds ?? {});
    this.producerBindings = producerBindings;
    this.logger = logger;
    this.policyStore = policyStore;
    this.ownsPolicyStore = ownsPolicyStore;
    this.metrics = parts.metrics;
    this.authorization = parts.authorization;
    this.ownCredentialStore = parts.ownCredentialStore;
    this.connector = new UpstreamConnector({ backends: config.backends, limits: config.limits, metrics: this.metrics, log: this.logger });
    this.topologies = config.backends.map(
      (backend) =>
        new BackendTopology({
          backend,
          limits: config.limits,
          refreshIntervalMs: config.topology.refreshIntervalMs,
          log: this.logger,
          metrics: this.metrics,
          connector: this.connector,
        }),
    );
    this.topology = this.topologies[0];
    const zoneModel = zoneModelOf(config);
    this.zones = zoneContextOf(zoneModel, this.topologies);
    this.listeners = config.listeners.map(
      (l) => new ListenerGroup(l, (socket, name, node, tls) => this.accept(socket, name, node, tls), this.logger),
    );
    const fixedPolicy = new PolicySnapshot(policyDocumentOf(config), 1, new Map());
    let policy = policyStore === null ? () => fixedPolicy : () => policyStore.current();
    // With several backends, routing, spans and the domain API read the policy with cut-over domains' backends.
    let routedPolicy: PolicyStore | null = policyStore;
    if (presentationOf(config) === 'turnout-nodes') {
      const cutoverStore = parts.cutoverStore as CutoverStore;
      const view = new CutoverPolicyView({ inner: policyStore, fixed: fixedPolicy, cutovers: cutoverStore, log: this.logger });
      if (policyStore !== null) routedPolicy = view;
      policy = () => view.current();
      this.multi = new MultiBackendRouter({
        clusterId: config.virtualCluster.clusterId,
        topologies: this.topologies,
        policy,
        listeners: this.listeners,
        nodeCount: Math.min(...config.listeners.map((l) => l.nodes)),
        zoneRouting: this.zoneRouting(zoneModel),
        log: this.logger,
        metrics: this.metrics,
        producerBindings: producerBindings ?? undefined,
      });
      const multiRouter = this.multi;
      this.metrics.zones.reportRemoteLeaders(() => multiRouter.remoteLeaders());
      this.ownSession = new OwnSession({ limits: config.limits, log: this.logger, connector: this.connector });
      this.multi.setOwnSession(this.ownSession);
      const multi = this.multi;
      const ownSession = this.ownSession;
      this.cutovers = new CutoverInstance({
        store: cutoverStore,
        view,
        router: multi,
        topologies: this.topologies,
        ownSession: () => ownSession,
        settings: config.cutover,
        log: this.logger,
        metrics: this.metrics.cutovers,
      });
      // Kafka forgets idle producer ids after a day (producer.id.expiration.ms); so does the map.
      this.producerIdExpiryTimer = setInterval(() => multi.producerIds.expireIdle(PRODUCER_ID_IDLE_MS), PRODUCER_ID_EXPIRY_CHECK_MS);
      this.producerIdExpiryTimer.unref();
      multi.offeredApis.offerLocalApis(ACL_API_VERSIONS);
      multi.offeredApis.offerLocalApis(SASL_API_VERSIONS);
      this.router = buildPipeline({
        router: multi,
        offered: () => multi.offeredApis,
        authorization: parts.authorization,
        authentication,
        cutoverHold: this.cutovers.filter,
        log: this.logger,
      });
      this.identities = this.shareIdentities(this.multi, policyStore, parts.identityStoreClass);
    } else {
      const single = new VirtualClusterRouter({
        clusterId: config.virtualCluster.clusterId,
        topology: this.topology,
        nodeMap: this.nodeMap,
        listeners: this.listeners,
        log: this.logger,
      });
      single.offeredApis.offerLocalApis(ACL_API_VERSIONS);
      single.offeredApis.offerLocalApis(SASL_API_VERSIONS);
      this.router = buildPipeline({ router: single, offered: () => single.offeredApis, authorization: parts.authorization, authentication, log: this.logger });
    }
    if (config.tracing.enabled) {
      if (parts.tracerClass === null) throw new Error('tracing is on but its tracer was not loaded');
      this.tracer = new parts.tracerClass({
        config: config.tracing,
        headers: tracingHeadersOf(config.tracing, opts.configFile ?? 'config'),
        log: this.logger,
        domains: this.domainLookup(policy),
      });
    }
    this.admin =
      opts.admin === false
        ? null
        : new AdminServer({
            host: opts.privateAdmin === true ? '127.0.0.1' : config.admin.host,
            port: opts.privateAdmin === true ? 0 : config.admin.port,
            exclusivePort: opts.privateAdmin === true,
            auth: config.admin.auth,
            acl: parts.authorization,
            registry: this.metrics.registry,
            readiness: () => this.readiness(),
            log: this.logger,
            policyStore: routedPolicy ?? undefined,
            // Over several backends: the topics merged Metadata has shown clients.
            domainInsights: this.multi === null ? undefined : { knownTopics: () => multiTopicNames(this.multi as MultiBackendRouter) },
            cutovers: this.cutovers?.admin(),
            zones: {
              zones: config.zones,
              listeners: config.listeners.map((l) => ({ name: l.name, zone: l.zone ?? null })),
              connections: () => [...this.connections].map((c) => c.view()),
              traffic: () => this.metrics.zones.snapshot(),
              peers: () => this.peerHealth?.states() ?? [],
            },
          });
    for (const t of this.topologies) t.onChange(() => this.onTopologyChange());
  }

  get registry(): Registry {
    return this.metrics.registry;
  }

  get multiBackendRouter(): MultiBackendRouter | null {
    return this.multi;
  }

  /** Where spans find the domain of a topic (and, over several backends, the name of a topic id). */
  private domainLookup(policy: () => PolicySnapshot): DomainLookup {
    const multi = this.multi;
    const domainOf = (topic: string): string | null => {
      const res = policy().resolve('topic', topic);
      return res.ok ? res.domain.name : null;
    };
    return multi === null ? { domainOf } : { domainOf, topicNameOf: (id) => multi.topicIds.nameOf(id) };
  }

  /** Which nodes each client is shown and which replica serves its fetches (turnout-nodes). */
  private zoneRouting(model: ZoneModel): ZoneRouting {
    const config = this.config;
    const topologyOf = (backend: string): BackendTopology | undefined => this.topologies.find((t) => t.backend === backend);
    const { peers, peerHealth } = config.zoneRouting;
    const health =
      peers.length === 0
        ? null
        : new PeerHealth({
            // A peer's first node answers for the peer: every node of an instance is one process.
            peers: peers.map((p) => ({ name: p.name, zone: p.zone, host: p.advertisedHost, port: p.nodePortBase })),
            ...peerHealth,
            log: this.logger,
            metrics: this.metrics,
            connector: this.connector,
          });
    this.peerHealth = health;
    const nodes = new ZoneNodes({
      zones: config.zones,
      fallbacks: config.zoneRouting.fallbacks,
      listeners: this.listeners.map((listener) => ({ listener, zone: listener.config.zone ?? null, nodeIdBase: listener.config.nodeIdBase, nodes: listener.config.nodes })),
      peers,
      peerUp: health === null ? undefined : (name) => health.isUp(name),
    });
    return new ZoneRouting({
      nodes,
      brokerZone: (backend, brokerId) => model.brokerZone(backend, topologyOf(backend)?.broker(brokerId)?.rack ?? null),
      isLive: (backend, brokerId) => topologyOf(backend)?.broker(brokerId) !== undefined,
      followerFetching: config.zoneRouting.followerFetching,
      replicaMaxAgeMs: config.topology.refreshIntervalMs,
      metrics: this.metrics.zones,
    });
  }

  /**
   * With the Redis policy store, several instances serve one virtual cluster: their topic ids
   * and leader epoch generations are kept in the same Redis, under the policy's key prefix.
   */
  private shareIdentities(multi: MultiBackendRouter, policyStore: PolicyStore | null, identityStoreClass: typeof RedisIdentityStore | null): SharedIdentities | null {
    const redis = this.config.store.redis;
    if (policyStore?.kind !== 'redis' || redis === undefined) return null;
    if (identityStoreClass === null) throw new Error('the Redis identity store was not loaded');
    const store = new identityStoreClass({
      url: redis.url,
      password: redis.passwordEnv === undefined ? undefined : process.env[redis.passwordEnv],
      keyPrefix: redis.keyPrefix ?? defaultRedisKeyPrefix(this.config.virtualCluster.clusterId),
      log: this.logger,
      connectTimeoutMs: redis.connectTimeoutMs,
    });
    return new SharedIdentities({ topicIds: multi.topicIds, epochs: multi.epochs, store, log: this.logger, onLoaded: () => this.notifyIfReady() });
  }

  get clientConnections(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    // The cutover state is in routing before the first client connects.
    this.cutovers?.startApplying();
    for (const l of this.listeners) await l.listenBootstrap();
    this.listenersBound = true;
    if (this.admin !== null) this.adminPort = await this.admin.listen();
    if (this.multi !== null) this.bindOwnNodes(this.multi);
    this.cutovers?.start();
    this.identities?.start();
    this.peerHealth?.start();
    for (const t of this.topologies) t.start();
    this.logger.info(
      {
        clusterId: this.config.virtualCluster.clusterId,
        backends: this.topologies.map((t) => t.backend),
        listeners: this.listeners.map((l) => ({ name: l.name, bootstrapPort: l.bootstrapPort })),
        adminPort: this.adminPort,
        tracing: this.tracer === null ? 'off' : { endpoint: this.config.tracing.endpoint, samplingRatio: this.tracer.samplingRatio },
      },
      'turnout started',
    );
  }

  bootstrapServers(listener?: string): string {
    const l = this.listenerNamed(listener);
    return joinHostPort(l.advertisedHost, l.bootstrapPort);
  }

  ports(listener?: string): ListenerPorts {
    const l = this.listenerNamed(listener);
    return {
      advertisedHost: l.advertisedHost,
      bootstrap: l.bootstrapPort,
      nodes: new Map(l.boundNodes().map((n) => [n.virtualNodeId, n.port])),
    };
  }

  readiness(): ReadinessReport {
    const reasons: string[] = [];
    if (this.closing !== null) reasons.push('shutting down');
    if (!this.listenersBound) reasons.push('listeners not bound');
    const unknown = this.topologies.filter((t) => !t.isKnown);
    for (const t of unknown) reasons.push(`topology of backend ${t.backend} not known yet`);
    if (unknown.length === 0 && !this.allNodesBound()) reasons.push('node listeners not bound yet');
    if (this.nodeBindError !== null) reasons.push(`cannot bind a node port: ${String(this.nodeBindError)}`);
    if (this.identities !== null && !this.identities.loaded) reasons.push('shared topic ids and leader epochs not loaded from redis yet');
    const cutoverReason = this.cutovers?.notReadyReason() ?? null;
    if (cutoverReason !== null) reasons.push(cutoverReason);
    reasons.push(...this.connector.identities.reasons());
    return { ready: reasons.length === 0, reasons };
  }

  isReady(): boolean {
    return this.readiness().ready;
  }

  whenReady(timeoutMs = 30_000): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== done);
        reject(new Error(`turnout not ready after ${timeoutMs} ms: ${this.readiness().reasons.join('; ')}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.readyWaiters.push(done);
    });
  }

  flushTraces(): Promise<void> {
    return this.tracer === null ? Promise.resolve() : this.tracer.flush();
  }

  close(opts: CloseOptions = {}): Promise<void> {
    if (this.closing === null) this.closing = this.doClose(opts.drainTimeoutMs ?? 5_000);
    return this.closing;
  }

  private async doClose(drainTimeoutMs: number): Promise<void> {
    // A server's close completes only once its connections are gone, so stop accepting
    // first, drain the connections, then wait for the servers.
    const listenersClosed = Promise.all(this.listeners.map((l) => l.close()));
    // A cutover run here and not switched is rolled back first: its held requests go on, and drain.
    await this.cutovers?.stopCoordinating().catch((err: unknown) => this.logger.error({ err }, 'error rolling back the cutovers run here'));
    await Promise.all([...this.connections].map((c) => c.drain(drainTimeoutMs)));
    await listenersClosed;
    await this.cutovers?.close().catch((err: unknown) => this.logger.error({ err }, 'error closing the cutover store'));
    // Every request has ended by now: its span is in the batch to export.
    await this.tracer?.shutdown();
    for (const t of this.topologies) t.close();
    this.ownSession?.close();
    this.peerHealth?.close();
    if (this.producerIdExpiryTimer !== null) clearInterval(this.producerIdExpiryTimer);
    await this.identities?.close();
    await this.producerBindings?.close().catch((err: unknown) => this.logger.error({ err }, 'error closing the producer binding store'));
    if (this.admin !== null) await this.admin.close();
    await this.authorization.close();
    if (this.ownsPolicyStore && this.policyStore !== null) {
      await this.policyStore.close().catch((err: unknown) => this.logger.error({ err }, 'error closing the policy store'));
    }
    await this.ownCredentialStore?.close().catch((err: unknown) => this.logger.error({ err }, 'error closing the credential store'));
    this.logger.info('turnout stopped');
  }

  private listenerNamed(name: string | undefined): ListenerGroup {
    const l = name === undefined ? this.listeners[0] : this.listeners.find((x) => x.name === name);
    if (l === undefined) throw new Error(`no listener named ${name}`);
    return l;
  }

  private allNodesBound(): boolean {
    if (this.multi !== null) {
      for (const l of this.listeners) for (const vid of this.multi.nodeIds(l.name)) if (l.nodePort(vid) === undefined) return false;
      return true;
    }
    for (const brokerId of this.topology.brokers().keys()) {
      const vid = this.nodeMap.lookupVirtualId(this.topology.backend, brokerId);
      if (vid < 0) return false;
      for (const l of this.listeners) if (l.nodePort(vid) === undefined) return false;
    }
    return true;
  }

  private onTopologyChange(): void {
    if (this.multi !== null) {
      this.multi.updateApiVersions();
      this.adviseNodeCount();
      this.notifyIfReady();
      return;
    }
    const vids: number[] = [];
    // In broker id order: processes (or instances) that meet the same brokers give them the same virtual ids.
    for (const brokerId of [...this.topology.brokers().keys()].sort((a, b) => a - b)) vids.push(this.nodeMap.virtualIdFor(this.topology.backend, brokerId));
    this.bindNodes(vids);
  }

  /** Warns, once per finding, of a listener with fewer nodes than the backends have brokers (node-count-advice.ts). */
  private adviseNodeCount(): void {
    if (this.topologies.some((t) => !t.isKnown)) return;
    const advice = nodeCountAdvice(
      this.config.listeners.map((l) => ({ name: l.name, nodes: l.nodes })),
      this.topologies.map((t) => ({ backend: t.backend, brokers: t.brokers().size })),
      this.config.zones.length > 0,
    );
    for (const message of advice) {
      if (this.nodeCountAdviceGiven.has(message)) continue;
      this.nodeCountAdviceGiven.add(message);
      this.logger.warn(message);
    }
  }

  /** Binds the ports of virtual nodes on every listener; readiness follows. */
  private bindNodes(vids: readonly number[]): void {
    const binds: Array<Promise<number>> = [];
    for (const vid of vids) for (const l of this.listeners) binds.push(l.ensureNode(vid));
    this.awaitBinds(binds);
  }

  /** Binds each listener's own Turnout nodes (their ids differ between listeners with nodeIdBase). */
  private bindOwnNodes(multi: MultiBackendRouter): void {
    this.awaitBinds(this.listeners.flatMap((l) => multi.nodeIds(l.name).map((vid) => l.ensureNode(vid))));
  }

  private awaitBinds(binds: Array<Promise<number>>): void {
    Promise.all(binds).then(
      () => {
        this.nodeBindError = null;
        this.notifyIfReady();
      },
      (err: unknown) => {
        this.nodeBindError = err;
        this.logger.error({ err }, 'cannot bind a node listener');
      },
    );
  }

  private notifyIfReady(): void {
    if (!this.isReady()) return;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * What a listener that requires a SASL login holds its clients to until they log in: a
   * broker's 512 KiB frame cap (sasl.server.max.receive.size), and the login timeout from the
   * moment they connect, so that a client that never sends a byte is closed too.
   */
  private preLoginOf(listenerName: string): ClientConnectionOptions['preLogin'] {
    const sasl = this.config.listeners.find((l) => l.name === listenerName)?.sasl;
    if (sasl === undefined || !sasl.required) return undefined;
    const timeoutMs = this.config.authentication.loginTimeoutMs;
    return {
      maxFrameBytes: PRE_LOGIN_MAX_FRAME_BYTES,
      deadline: { atMs: Date.now() + timeoutMs, reason: 'sasl_login_timeout', message: `SASL authentication not completed within ${timeoutMs} ms of connecting` },
    };
  }

  private accept(socket: net.Socket, listenerName: string, virtualNodeId: number, tls: TlsPeer | null): void {
    if (this.closing !== null) {
      socket.destroy();
      return;
    }
    // A verified client certificate names the client before any SASL exchange, as on a
    // broker's SSL listener (the listener has refused subjects no rule maps).
    const rules = this.listenerNamed(listenerName).tls?.rules;
    const principal = rules === undefined ? null : principalFromTls(tls, rules);
    const conn = new ClientConnection({
      connId: this.nextConnId++,
      socket,
      listenerName,
      virtualNodeId,
      tls,
      ...(principal !== null ? { principal } : {}),
      preLogin: this.preLoginOf(listenerName),
      connector: this.connector,
      router: this.router,
      limits: this.config.limits,
      log: this.logger,
      metrics: this.metrics,
      zones: this.zones,
      tracer: this.tracer,
      onClosed: (c) => this.connections.delete(c),
    });
    this.connections.add(conn);
  }
}

/**
 * Starts Turnout with a configuration (validated here; a `ConfigError` names the bad field).
 * Resolves once the listeners are bound and, unless `waitForReadyMs` is 0, the backend
 * topology is known and every virtual node's port is bound.
 */
export async function startProxy(config: TurnoutConfigInput | TurnoutConfig, opts: StartProxyOptions = {}): Promise<ProxyHandle> {
  const parsed = parseConfig(config, 'config', { severalBackends: true });
  const logger = opts.logger ?? createLogger({ level: opts.logLevel ?? parsed.logging.level });
  let policyStore: PolicyStore | null = opts.policyStore ?? null;
  const ownsPolicyStore = policyStore === null && opts.configFile !== undefined;
  if (ownsPolicyStore && opts.configFile !== undefined) {
    policyStore = await openPolicyStore({ file: opts.configFile, config: parsed, log: logger });
  }
  const metrics = new ProxyMetrics({ apiName, processMetrics: opts.processMetrics ?? false });
  const tracerClass = parsed.tracing.enabled ? (await import('./observability/request-tracer.js')).RequestTracer : null;
  const identityStoreClass =
    presentationOf(parsed) === 'turnout-nodes' && policyStore?.kind === 'redis' ? (await import('./routing/identity-redis-store.js')).RedisIdentityStore : null;
  let credentials: OpenedCredentials = { store: null, owned: false };
  let authentication: RequestFilter;
  let authorization: Authorization;
  let producerBindings: ProducerBindingStore | null = null;
  let cutoverStore: CutoverStore | null = null;
  try {
    producerBindings = await openProducerBindingStore({ config: parsed, configFile: opts.configFile, policyStore, idleMs: PRODUCER_ID_IDLE_MS, log: logger });
    if (presentationOf(parsed) === 'turnout-nodes') cutoverStore = await openCutoverStore({ config: parsed, configFile: opts.configFile, policyStore, log: logger });
    credentials = await credentialStoreFor(parsed, opts, logger);
    authentication = createAuthenticationFilter({
      config: parsed,
      configFile: opts.configFile,
      credentials: credentials.store,
      log: logger,
      metrics: metrics.authentications,
      jwtValidator: await jwtValidatorFor(parsed),
    });
    authorization = await createAuthorization(parsed, policyStore, logger, metrics, { configFile: opts.configFile });
  } catch (err) {
    await producerBindings?.close();
    await cutoverStore?.close();
    if (credentials.owned) await credentials.store?.close();
    if (ownsPolicyStore) await policyStore?.close();
    throw err;
  }
  let proxy: RunningProxy;
  try {
    proxy = new RunningProxy(parsed, opts, logger, {
      tracerClass,
      identityStoreClass,
      policyStore,
      ownsPolicyStore,
      metrics,
      authorization,
      producerBindings,
      authentication,
      ownCredentialStore: credentials.owned ? credentials.store : null,
      cutoverStore,
    });
  } catch (err) {
    // Unusable TLS files, for instance: nothing started but the stores opened here.
    await authorization.close().catch(() => undefined);
    await producerBindings?.close().catch(() => undefined);
    await cutoverStore?.close().catch(() => undefined);
    if (credentials.owned) await credentials.store?.close().catch(() => undefined);
    if (ownsPolicyStore) await policyStore?.close().catch(() => undefined);
    throw err;
  }
  try {
    await proxy.start();
    const waitMs = opts.waitForReadyMs ?? 30_000;
    if (waitMs > 0) await proxy.whenReady(waitMs);
  } catch (err) {
    await proxy.close({ drainTimeoutMs: 0 });
    throw err;
  }
  return proxy;
}

/** The SASL users: the caller's store, or the one the configuration file names when a listener needs users. */
async function credentialStoreFor(config: TurnoutConfig, opts: StartProxyOptions, log: Logger): Promise<OpenedCredentials> {
  if (opts.credentialStore !== undefined) return { store: opts.credentialStore, owned: false };
  if (!usesStoredUsers(config)) return { store: null, owned: false };
  if (opts.configFile === undefined) throw new Error('listeners offer PLAIN or SCRAM: start Turnout with its configuration file (for the users) or a credential store');
  return { store: await openCredentialStore({ file: opts.configFile, config, log }), owned: true };
}
