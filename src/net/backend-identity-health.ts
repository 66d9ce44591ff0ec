// Whether each secured backend accepts Turnout's identity (its TLS settings and SASL
// credentials). Every connection that presents them reports here: a refusal is counted
// (turnout_backend_auth_failures_total), logged when the backend starts refusing and then at
// most once a minute while it goes on, and shown by /readyz until a login succeeds again.
//
// For a moment after a refusal, new connections to that backend fail at once without asking
// the broker again: clients retrying every few milliseconds must not turn one wrong password
// into a flood of logins (SCRAM costs the broker thousands of hashes each). The password is
// read again at the next attempt, so a fixed one is taken within that moment.
import type { Logger } from '../observability/logger.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import { UpstreamError, type UpstreamIdentityReporter } from './upstream-connection.js';

/** How long new connections to a backend that refused Turnout fail without trying. */
export const DEFAULT_REFUSAL_HOLD_OFF_MS = 1_000;
const REPEAT_LOG_INTERVAL_MS = 60_000;

interface BackendState {
  refused: boolean;
  /** Refusals since the last accepted login. */
  failures: number;
  lastError: UpstreamError | null;
  lastRefusalMs: number;
  lastLogMs: number;
  /** Refusals not logged yet. */
  unlogged: number;
}

/** One backend's standing, as the admin API reports it. */
export interface BackendIdentityState {
  backend: string;
  refused: boolean;
  failures: number;
  lastError: string | null;
}

export interface BackendIdentityHealthOptions {
  log: Logger;
  metrics: ProxyMetrics;
  holdOffMs?: number;
  now?: () => number;
}

export class BackendIdentityHealth implements UpstreamIdentityReporter {
  private readonly log: Logger;
  private readonly metrics: ProxyMetrics;
  private readonly holdOffMs: number;
  private readonly now: () => number;
  private readonly states = new Map<string, BackendState>();

  constructor(opts: BackendIdentityHealthOptions) {
    this.log = opts.log.child({ component: 'backend-identity' });
    this.metrics = opts.metrics;
    this.holdOffMs = opts.holdOffMs ?? DEFAULT_REFUSAL_HOLD_OFF_MS;
    this.now = opts.now ?? Date.now;
  }

  accepted(backend: string): void {
    const s = this.states.get(backend);
    if (s === undefined || !s.refused) return;
    s.refused = false;
    this.log.info({ backend, failures: s.failures }, 'backend accepts Turnout\'s credentials again');
    s.failures = 0;
    s.unlogged = 0;
    s.lastError = null;
  }

  refused(err: UpstreamError): void {
    const now = this.now();
    let s = this.states.get(err.backend);
    if (s === undefined) {
      s = { refused: false, failures: 0, lastError: null, lastRefusalMs: 0, lastLogMs: 0, unlogged: 0 };
      this.states.set(err.backend, s);
    }
    const stage = err.kind === 'tls_failed' ? 'tls' : 'sasl';
    this.metrics.backendAuthFailure(err.backend, stage);
    s.failures++;
    s.lastError = err;
    s.lastRefusalMs = now;
    if (!s.refused) {
      s.refused = true;
      s.lastLogMs = now;
      s.unlogged = 0;
      this.log.warn({ backend: err.backend, brokerId: err.brokerId, stage, err: err.message }, 'backend refuses Turnout\'s credentials: its clients get retriable errors');
    } else if (now - s.lastLogMs >= REPEAT_LOG_INTERVAL_MS) {
      this.log.warn({ backend: err.backend, stage, failures: s.failures, since: s.unlogged + 1, err: err.message }, 'backend still refuses Turnout\'s credentials');
      s.lastLogMs = now;
      s.unlogged = 0;
    } else {
      s.unlogged++;
    }
  }

  /** Whether `backend` refused Turnout's identity on its last try. */
  isRefused(backend: string): boolean {
    return this.states.get(backend)?.refused === true;
  }

  /** The error a new connection to `backend` fails with at once, or null to try the broker. */
  holdOff(backend: string, brokerId: number): UpstreamError | null {
    const s = this.states.get(backend);
    if (s === undefined || !s.refused || s.lastError === null) return null;
    const agoMs = this.now() - s.lastRefusalMs;
    if (agoMs >= this.holdOffMs) return null;
    return new UpstreamError(s.lastError.kind, backend, brokerId, `backend ${backend} refused Turnout's credentials ${agoMs} ms ago: ${s.lastError.message}`);
  }

  /** Why each refusing backend refuses, for readiness. */
  reasons(): string[] {
    const out: string[] = [];
    for (const [backend, s] of this.states) {
      if (s.refused) out.push(`backend ${backend} refuses Turnout's credentials (${s.failures} failed logins): ${s.lastError?.message ?? 'unknown'}`);
    }
    return out;
  }

  view(): BackendIdentityState[] {
    return [...this.states].map(([backend, s]) => ({ backend, refused: s.refused, failures: s.failures, lastError: s.lastError?.message ?? null }));
  }
}
