// What Turnout knows about one backend cluster: its brokers (id, host, port, rack), its
// controller and cluster id, and the api versions each broker speaks. Learned on Turnout's
// own connection (never a client's), refreshed periodically and on demand.
import {
  ApiKey,
  APIS,
  createMetadataRequest,
  decodeApiVersionsResponse,
  decodeMetadataResponse,
  encodeMetadataRequest,
  type ApiVersionsResponse,
  type MetadataResponse,
} from '../codec/index.js';
import type { UpstreamConnection, UpstreamListener } from '../net/upstream-connection.js';
import type { UpstreamConnector } from '../net/upstream-connector.js';
import { API_VERSIONS_REQUEST_VERSION, apiVersionsRequestFrame, TURNOUT_CLIENT_ID } from '../net/upstream-handshake.js';
import { sendRequest } from '../net/upstream-request.js';
import type { Logger } from '../observability/logger.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import { splitHostPort, type BackendConfig, type LimitsConfig } from '../policy/config.js';
import { ApiVersionsTable, type BrokerApiVersions, type VersionRange } from './api-versions.js';
import { decodeResponseFrame, encodeRequestFrame } from '../codec/message-frames.js';

export interface BrokerInfo {
  brokerId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** What routing reads from a backend's topology. */
export interface TopologyView {
  readonly backend: string;
  readonly apiVersions: ApiVersionsTable;
  broker(brokerId: number): BrokerInfo | undefined;
  /** A live broker for requests any broker can serve, or -1 when none is known. */
  anyBrokerId(): number;
  /** Asks for a refresh soon (a response named a broker Turnout does not know). */
  requestRefresh(): void;
}

export interface BackendTopologyOptions {
  backend: BackendConfig;
  limits: LimitsConfig;
  refreshIntervalMs: number;
  log: Logger;
  metrics: ProxyMetrics;
  /** Opens the control and probe connections, with the backend's TLS and credentials. */
  connector: UpstreamConnector;
}

/** On-demand refreshes closer together than this are merged. */
const MIN_REFRESH_GAP_MS = 1_000;
/** First retry delay while the topology has never been learned; doubles up to the refresh interval. */
const INITIAL_RETRY_MS = 500;

const codecMetadata = APIS.find((a) => a.apiKey === ApiKey.Metadata) as { minVersion: number; maxVersion: number };

/** A broker's ApiVersions answer as the version table takes it. */
export function toBrokerApiVersions(m: ApiVersionsResponse): BrokerApiVersions {
  const apis = new Map<number, VersionRange>();
  for (const k of m.apiKeys) apis.set(k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion });
  return {
    apis,
    supportedFeatures: m.supportedFeatures ?? [],
    finalizedFeaturesEpoch: m.finalizedFeaturesEpoch ?? -1n,
    finalizedFeatures: m.finalizedFeatures ?? [],
  };
}

function sameBrokers(a: Map<number, BrokerInfo>, b: Map<number, BrokerInfo>): boolean {
  if (a.size !== b.size) return false;
  for (const [id, x] of a) {
    const y = b.get(id);
    if (y === undefined || y.host !== x.host || y.port !== x.port || y.rack !== x.rack) return false;
  }
  return true;
}

export class BackendTopology implements TopologyView, UpstreamListener {
  readonly backend: string;
  readonly apiVersions = new ApiVersionsTable();
  private readonly opts: BackendTopologyOptions;
  private readonly log: Logger;
  private brokersById = new Map<number, BrokerInfo>();
  private readonly versionsByBroker = new Map<number, BrokerApiVersions>();
  private clusterIdValue: string | null = null;
  private controllerIdValue = -1;
  private known = false;
  private control: UpstreamConnection | null = null;
  private readonly changeListeners: Array<() => void> = [];
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  private lastRefreshStartMs = 0;
  private periodicTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private roundRobin = 0;
  private retryDelayMs = INITIAL_RETRY_MS;
  private closed = false;

  constructor(opts: BackendTopologyOptions) {
    this.opts = opts;
    this.backend = opts.backend.name;
    this.log = opts.log.child({ backend: this.backend, component: 'topology' });
  }

  /** True once brokers and api versions have been learned at least once. */
  get isKnown(): boolean {
    return this.known;
  }

  /** The backend's own cluster id (never shown to clients). */
  get clusterId(): string | null {
    return this.clusterIdValue;
  }

  get controllerId(): number {
    return this.controllerIdValue;
  }

  brokers(): ReadonlyMap<number, BrokerInfo> {
    return this.brokersById;
  }

  broker(brokerId: number): BrokerInfo | undefined {
    return this.brokersById.get(brokerId);
  }

  /** The api versions each broker advertised (a router over several backends intersects them all). */
  brokerApiVersions(): BrokerApiVersions[] {
    return [...this.versionsByBroker.values()];
  }

  /** A live broker for requests any broker can serve (round robin), or -1 when none is known. */
  anyBrokerId(): number {
    const n = this.brokersById.size;
    if (n === 0) return -1;
    const i = this.roundRobin++ % n;
    let k = 0;
    for (const id of this.brokersById.keys()) if (k++ === i) return id;
    return -1;
  }

  /** Calls `listener` after every change of brokers (also after the first refresh). */
  onChange(listener: () => void): void {
    this.changeListeners.push(listener);
  }

  start(): void {
    this.requestRefresh();
    this.periodicTimer = setInterval(() => this.requestRefresh(), this.opts.refreshIntervalMs);
    this.periodicTimer.unref();
  }

  /** Asks for a refresh soon; calls close together are merged. */
  requestRefresh(): void {
    if (this.closed) return;
    if (this.refreshing !== null) {
      this.refreshAgain = true;
      return;
    }
    const waitMs = this.lastRefreshStartMs + MIN_REFRESH_GAP_MS - Date.now();
    if (waitMs > 0 && this.known) {
      if (this.retryTimer === null) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.requestRefresh();
        }, waitMs);
        this.retryTimer.unref();
      }
      return;
    }
    this.refreshing = this.refresh().finally(() => {
      this.refreshing = null;
      if (this.refreshAgain) {
        this.refreshAgain = false;
        this.requestRefresh();
      }
    });
  }

  /** Resolves when the refresh in progress (if any) has finished. */
  async settled(): Promise<void> {
    while (this.refreshing !== null) await this.refreshing;
  }

  close(): void {
    this.closed = true;
    if (this.periodicTimer !== null) clearInterval(this.periodicTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.control?.close('shutdown');
    this.control = null;
  }

  onUpstreamDrain(): void {}

  onUpstreamClosed(upstream: UpstreamConnection): void {
    if (this.control === upstream) this.control = null;
  }

  private async refresh(): Promise<void> {
    this.lastRefreshStartMs = Date.now();
    if (this.control !== null && this.opts.connector.identities.isRefused(this.backend)) {
      // Its connections refuse Turnout now: log in afresh, so fixed credentials are seen
      // (and reported) even while no client connects.
      this.control.close('checking the backend takes Turnout\'s credentials');
      this.control = null;
    }
    try {
      const { upstream, versions } = await this.controlConnection();
      const metadata = await this.fetchMetadata(upstream, versions);
      if (this.closed) return;
      const brokers = new Map<number, BrokerInfo>();
      for (const b of metadata.brokers) brokers.set(b.nodeId, { brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
      this.clusterIdValue = metadata.clusterId;
      this.controllerIdValue = metadata.controllerId;
      const changed = !sameBrokers(this.brokersById, brokers);
      const probed = await this.probeVersions(brokers, changed);
      if (this.closed) return;
      this.brokersById = brokers;
      if (probed || !this.apiVersions.isKnown) {
        const all = [...brokers.keys()].map((id) => this.versionsByBroker.get(id)).filter((v): v is BrokerApiVersions => v !== undefined);
        this.apiVersions.update(all.length > 0 ? all : [versions]);
      }
      const first = !this.known;
      this.known = true;
      this.retryDelayMs = INITIAL_RETRY_MS;
      if (changed || first) {
        this.log.info(
          { clusterId: this.clusterIdValue, controllerId: this.controllerIdValue, brokers: [...brokers.values()] },
          'backend topology changed',
        );
        for (const l of this.changeListeners) l();
      }
    } catch (err) {
      if (this.closed) return;
      this.opts.metrics.upstreamError(this.backend, 'topology_refresh');
      this.log.warn({ err, retryInMs: this.known ? undefined : this.retryDelayMs }, 'backend topology refresh failed');
      if (!this.known && this.retryTimer === null) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.requestRefresh();
        }, this.retryDelayMs);
        this.retryTimer.unref();
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.opts.refreshIntervalMs);
      }
    }
  }

  /** Probes the api versions of brokers not probed yet (all of them after a change). */
  private async probeVersions(brokers: Map<number, BrokerInfo>, changed: boolean): Promise<boolean> {
    let probed = false;
    for (const b of brokers.values()) {
      if (!changed && this.versionsByBroker.has(b.brokerId)) continue;
      const upstream = this.connect(b.brokerId, b.host, b.port);
      try {
        this.versionsByBroker.set(b.brokerId, await this.fetchApiVersions(upstream));
        probed = true;
      } catch (err) {
        this.log.warn({ err, brokerId: b.brokerId }, 'cannot learn api versions of broker');
      } finally {
        upstream.close('probe done');
      }
    }
    for (const id of this.versionsByBroker.keys()) if (!brokers.has(id)) this.versionsByBroker.delete(id);
    return probed;
  }

  private connect(brokerId: number, host: string, port: number): UpstreamConnection {
    return this.opts.connector.open({ backend: this.backend, brokerId, host, port }, this, {
      log: this.log,
      requestTimeoutMs: Math.min(this.opts.limits.upstreamRequestTimeoutMs, 30_000),
    });
  }

  /** Turnout's own connection to some broker: a known one, else a bootstrap server. */
  private async controlConnection(): Promise<{ upstream: UpstreamConnection; versions: BrokerApiVersions }> {
    const candidates: Array<{ brokerId: number; host: string; port: number }> = [];
    for (const b of this.brokersById.values()) candidates.push(b);
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
    }
    for (const s of this.opts.backend.bootstrapServers) candidates.push({ brokerId: -1, ...splitHostPort(s) });

    let lastError: unknown = new Error('no brokers to connect to');
    for (const c of candidates) {
      if (this.closed) break;
      if (this.control !== null && !this.control.isClosed) {
        try {
          return { upstream: this.control, versions: await this.fetchApiVersions(this.control) };
        } catch (err) {
          lastError = err;
          this.control?.close('refresh failed');
          this.control = null;
        }
      }
      const upstream = this.connect(c.brokerId, c.host, c.port);
      this.control = upstream;
      try {
        return { upstream, versions: await this.fetchApiVersions(upstream) };
      } catch (err) {
        lastError = err;
        upstream.close('refresh failed');
        if (this.control === upstream) this.control = null;
      }
    }
    throw lastError;
  }

  private async fetchApiVersions(upstream: UpstreamConnection): Promise<BrokerApiVersions> {
    const response = await sendRequest(upstream, apiVersionsRequestFrame());
    const { body } = decodeResponseFrame(response, ApiKey.ApiVersions, API_VERSIONS_REQUEST_VERSION, decodeApiVersionsResponse);
    if (body.errorCode !== 0) throw new Error(`ApiVersions failed with error code ${body.errorCode}`);
    return toBrokerApiVersions(body);
  }

  private async fetchMetadata(upstream: UpstreamConnection, versions: BrokerApiVersions): Promise<MetadataResponse> {
    const range = versions.apis.get(ApiKey.Metadata);
    if (range === undefined) throw new Error('broker does not support Metadata');
    const version = Math.min(range.maxVersion, codecMetadata.maxVersion);
    if (version < Math.max(1, range.minVersion, codecMetadata.minVersion)) throw new Error('no common Metadata version');
    const req = createMetadataRequest();
    req.topics = []; // v1+: an empty list asks for no topics (null would mean all).
    req.allowAutoTopicCreation = false;
    const frame = encodeRequestFrame(
      { apiKey: ApiKey.Metadata, apiVersion: version, correlationId: 0, clientId: TURNOUT_CLIENT_ID },
      req,
      encodeMetadataRequest,
    );
    const response = await sendRequest(upstream, frame);
    return decodeResponseFrame(response, ApiKey.Metadata, version, decodeMetadataResponse).body;
  }
}
