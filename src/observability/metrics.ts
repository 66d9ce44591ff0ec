// Turnout's Prometheus metrics. Each proxy instance has its own registry, so several
// instances in one process (tests, benchmarks) do not collide. Label children are cached,
// so counting a request on the hot path is an array lookup and an add.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { AuthzMetrics } from './authz-metrics.js';
import { AuthenticationMetrics } from './authentication-metrics.js';
import { CutoverMetrics } from './cutover-metrics.js';
import { ZoneMetrics } from './zone-metrics.js';

export type ConnectionSide = 'client' | 'upstream';

type CounterChild = ReturnType<Counter<string>['labels']>;
type HistogramChild = ReturnType<Histogram<string>['labels']>;

export interface ProxyMetricsOptions {
  /** Name of an api key for labels (`Produce`); `apiKey_<n>` when unknown. */
  apiName: (apiKey: number) => string | undefined;
  /** Also export Node process metrics (CPU, memory, event loop lag). */
  processMetrics?: boolean;
}

export class ProxyMetrics {
  readonly registry: Registry;
  /** Client zone decisions and bytes by zone pair (zone-metrics.ts). */
  readonly zones: ZoneMetrics;
  /** Authorization decisions (authz-metrics.ts). */
  readonly authz: AuthzMetrics;
  /** SASL logins by mechanism and result (authentication-metrics.ts). */
  readonly authentications: AuthenticationMetrics;
  /** Cutover phases, holds and outcomes (cutover-metrics.ts). */
  readonly cutovers: CutoverMetrics;
  private readonly apiName: (apiKey: number) => string;

  private readonly requests: Counter<'api' | 'version'>;
  private readonly latency: Histogram<'api'>;
  private readonly bytes: Counter<'side' | 'direction'>;
  private readonly activeConnections: Gauge<'side'>;
  private readonly upstreamErrors: Counter<'backend' | 'kind'>;
  private readonly closes: Counter<'side' | 'reason'>;
  private readonly localResponses: Counter<'api'>;
  private readonly backendAuthFailures: Counter<'backend' | 'stage'>;

  private readonly requestChildren: CounterChild[][] = [];
  private readonly latencyChildren: HistogramChild[] = [];
  private readonly clientIn: CounterChild;
  private readonly clientOut: CounterChild;
  private readonly upstreamIn: CounterChild;
  private readonly upstreamOut: CounterChild;

  constructor(opts: ProxyMetricsOptions) {
    this.registry = new Registry();
    const known = opts.apiName;
    this.apiName = (k) => known(k) ?? `apiKey_${k}`;
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'turnout_requests_total',
      help: 'Requests received from clients, by api and version',
      labelNames: ['api', 'version'],
      registers,
    });
    this.latency = new Histogram({
      name: 'turnout_request_duration_seconds',
      help: 'Time from a request arriving to its response being written to the client',
      labelNames: ['api'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.bytes = new Counter({
      name: 'turnout_bytes_total',
      help: 'Bytes moved, by side (client, upstream) and direction (in, out) as seen from Turnout',
      labelNames: ['side', 'direction'],
      registers,
    });
    this.activeConnections = new Gauge({
      name: 'turnout_active_connections',
      help: 'Open connections, by side (client, upstream)',
      labelNames: ['side'],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: 'turnout_upstream_errors_total',
      help: 'Failures on connections to backend brokers, by backend and kind',
      labelNames: ['backend', 'kind'],
      registers,
    });
    this.closes = new Counter({
      name: 'turnout_connection_closes_total',
      help: 'Closed connections, by side and close reason',
      labelNames: ['side', 'reason'],
      registers,
    });
    this.localResponses = new Counter({
      name: 'turnout_local_responses_total',
      help: 'Requests answered by Turnout itself (not forwarded), by api',
      labelNames: ['api'],
      registers,
    });
    this.backendAuthFailures = new Counter({
      name: 'turnout_backend_auth_failures_total',
      help: 'Connections on which a backend refused Turnout\'s own identity, by backend and stage (tls, sasl)',
      labelNames: ['backend', 'stage'],
      registers,
    });
    this.zones = new ZoneMetrics(this.registry);
    this.authz = new AuthzMetrics(this.registry);
    this.authentications = new AuthenticationMetrics(this.registry);
    this.cutovers = new CutoverMetrics(this.registry);
    this.clientIn = this.bytes.labels('client', 'in');
    this.clientOut = this.bytes.labels('client', 'out');
    this.upstreamIn = this.bytes.labels('upstream', 'in');
    this.upstreamOut = this.bytes.labels('upstream', 'out');
    for (const side of ['client', 'upstream'] as const) this.activeConnections.labels(side).set(0);
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'turnout_' });
  }

  requestReceived(apiKey: number, apiVersion: number): void {
    let byVersion = this.requestChildren[apiKey];
    if (byVersion === undefined) byVersion = this.requestChildren[apiKey] = [];
    let child = byVersion[apiVersion];
    if (child === undefined) child = byVersion[apiVersion] = this.requests.labels(this.apiName(apiKey), String(apiVersion));
    child.inc();
  }

  requestCompleted(apiKey: number, seconds: number): void {
    let child = this.latencyChildren[apiKey];
    if (child === undefined) child = this.latencyChildren[apiKey] = this.latency.labels(this.apiName(apiKey));
    child.observe(seconds);
  }

  answeredLocally(apiKey: number): void {
    this.localResponses.labels(this.apiName(apiKey)).inc();
  }

  clientBytesIn(n: number): void {
    this.clientIn.inc(n);
  }

  clientBytesOut(n: number): void {
    this.clientOut.inc(n);
  }

  upstreamBytesIn(n: number): void {
    this.upstreamIn.inc(n);
  }

  upstreamBytesOut(n: number): void {
    this.upstreamOut.inc(n);
  }

  connectionOpened(side: ConnectionSide): void {
    this.activeConnections.labels(side).inc();
  }

  connectionClosed(side: ConnectionSide, reason: string): void {
    this.activeConnections.labels(side).dec();
    this.closes.labels(side, reason).inc();
  }

  upstreamError(backend: string, kind: string): void {
    this.upstreamErrors.labels(backend, kind).inc();
  }

  backendAuthFailure(backend: string, stage: 'tls' | 'sasl'): void {
    this.backendAuthFailures.labels(backend, stage).inc();
  }
}
