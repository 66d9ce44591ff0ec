// Turnout's Prometheus metrics. Each proxy instance has its own registry, so several
// instances in one process (tests, benchmarks) do not collide.
//
// What the data path counts per request or per socket read (requests, bytes, request
// latency) is kept in plain numbers and arrays and handed to prom-client only when the
// registry is read (its `collect` hook): even a cached prom-client child builds, validates
// and hashes a label object on every inc or observe.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { ApiLatencyHistogram } from './api-latency-histogram.js';
import { AuthzMetrics } from './authz-metrics.js';
import { AuthenticationMetrics } from './authentication-metrics.js';
import { CutoverMetrics } from './cutover-metrics.js';
import { ZoneMetrics } from './zone-metrics.js';

export type ConnectionSide = 'client' | 'upstream';

type CounterChild = ReturnType<Counter<string>['labels']>;

/** Bytes moved, by side and direction; handed to the counter when the registry is read. */
interface ByteTally {
  clientIn: number;
  clientOut: number;
  upstreamIn: number;
  upstreamOut: number;
}

export interface ProxyMetricsOptions {
  /** Name of an api key for labels (`Produce`); `apiKey_<n>` when unknown. */
  apiName: (apiKey: number) => string | undefined;
  /** Also export Node process metrics (CPU, memory, event loop lag). */
  processMetrics?: boolean;
}

/** How often the event loop delay is sampled (prom-client's default is 10 ms). */
const EVENT_LOOP_SAMPLE_MS = 100;

const BYTE_TALLY_KEYS = ['clientIn', 'clientOut', 'upstreamIn', 'upstreamOut'] as const;

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
  private readonly latency: ApiLatencyHistogram;
  private readonly bytes: Counter<'side' | 'direction'>;
  private readonly activeConnections: Gauge<'side'>;
  private readonly upstreamErrors: Counter<'backend' | 'kind'>;
  private readonly closes: Counter<'side' | 'reason'>;
  private readonly localResponses: Counter<'api'>;
  private readonly backendAuthFailures: Counter<'backend' | 'stage'>;

  /** Requests received since the registry was last read, by api key and version. */
  private readonly requestTally: number[][] = [];
  private readonly requestChildren: CounterChild[][] = [];
  private readonly byteTally: ByteTally = { clientIn: 0, clientOut: 0, upstreamIn: 0, upstreamOut: 0 };

  constructor(opts: ProxyMetricsOptions) {
    this.registry = new Registry();
    const known = opts.apiName;
    this.apiName = (k) => known(k) ?? `apiKey_${k}`;
    const registers = [this.registry];
    const requestTally = this.requestTally;
    const requestChildren = this.requestChildren;
    const apiName = this.apiName;
    this.requests = new Counter({
      name: 'turnout_requests_total',
      help: 'Requests received from clients, by api and version',
      labelNames: ['api', 'version'],
      registers,
      collect(this: Counter<'api' | 'version'>) {
        requestTally.forEach((byVersion, apiKey) => {
          byVersion.forEach((n, apiVersion) => {
            if (n === 0) return;
            byVersion[apiVersion] = 0;
            let children = requestChildren[apiKey];
            if (children === undefined) children = requestChildren[apiKey] = [];
            let child = children[apiVersion];
            if (child === undefined) child = children[apiVersion] = this.labels(apiName(apiKey), String(apiVersion));
            child.inc(n);
          });
        });
      },
    });
    this.latency = new ApiLatencyHistogram({
      name: 'turnout_request_duration_seconds',
      help: 'Time from a request arriving to its response being written to the client',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      apiName: this.apiName,
      registers,
    });
    const bytes = this.byteTally;
    let byteChildren: Record<keyof ByteTally, CounterChild> | null = null;
    this.bytes = new Counter({
      name: 'turnout_bytes_total',
      help: 'Bytes moved, by side (client, upstream) and direction (in, out) as seen from Turnout',
      labelNames: ['side', 'direction'],
      registers,
      collect(this: Counter<'side' | 'direction'>) {
        if (byteChildren === null) return;
        for (const key of BYTE_TALLY_KEYS) {
          const n = bytes[key];
          if (n === 0) continue;
          bytes[key] = 0;
          byteChildren[key].inc(n);
        }
      },
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
    byteChildren = {
      clientIn: this.bytes.labels('client', 'in'),
      clientOut: this.bytes.labels('client', 'out'),
      upstreamIn: this.bytes.labels('upstream', 'in'),
      upstreamOut: this.bytes.labels('upstream', 'out'),
    };
    for (const side of ['client', 'upstream'] as const) this.activeConnections.labels(side).set(0);
    if (opts.processMetrics) {
      // prom-client samples the event loop delay with a timer every 10 ms by default: 100
      // wakeups a second, idle or not, which cost an idle Turnout 1.2% of a core. A stall
      // long enough to matter (100 ms and more) is still caught by every sample.
      collectDefaultMetrics({ register: this.registry, prefix: 'turnout_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
    }
  }

  requestReceived(apiKey: number, apiVersion: number): void {
    let byVersion = this.requestTally[apiKey];
    if (byVersion === undefined) byVersion = this.requestTally[apiKey] = [];
    byVersion[apiVersion] = (byVersion[apiVersion] ?? 0) + 1;
  }

  requestCompleted(apiKey: number, seconds: number): void {
    this.latency.observe(apiKey, seconds);
  }

  answeredLocally(apiKey: number): void {
    this.localResponses.labels(this.apiName(apiKey)).inc();
  }

  clientBytesIn(n: number): void {
    this.byteTally.clientIn += n;
  }

  clientBytesOut(n: number): void {
    this.byteTally.clientOut += n;
  }

  upstreamBytesIn(n: number): void {
    this.byteTally.upstreamIn += n;
  }

  upstreamBytesOut(n: number): void {
    this.byteTally.upstreamOut += n;
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
