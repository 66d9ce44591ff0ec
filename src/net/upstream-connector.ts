// The one place Turnout opens a connection to a broker: a client's own upstreams, the
// topology's control connections, the own session's and the peer probes all come through
// `open`. For a backend with `tls` the connection is TLS; with `credentials.sasl` Turnout logs
// in (ApiVersions, SaslHandshake, SaslAuthenticate) before anything else goes out; requests
// sent meanwhile wait on the connection. A backend with neither gets a plain connection that
// writes at once, as before. Whether each secured backend takes Turnout's identity is kept in
// `identities` (backend-identity-health.ts).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { ScramKeyCache } from '../auth/scram-client.js';
import type { Logger } from '../observability/logger.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { BackendConfig, LimitsConfig } from '../policy/config.js';
import type { BackendTlsConfig, SaslCredentialsConfig } from '../policy/backend-security-schema.js';
import { BackendIdentityHealth } from './backend-identity-health.js';
import type { BrokerAddress } from './request-router.js';
import { saslLogin, UpstreamAuthError, type SaslLogin } from './upstream-handshake.js';
import type { UpstreamZoneTally } from './session-zone.js';
import {
  UpstreamConnection,
  UpstreamError,
  type UpstreamListener,
  type UpstreamOptions,
  type UpstreamSetupFailure,
} from './upstream-connection.js';

/** A backend's TLS files could not be read or do not make a context. */
export class BackendTlsError extends Error {
  readonly backend: string;
  constructor(backend: string, reason: string, cause?: unknown) {
    super(`backend ${backend}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'BackendTlsError';
    this.backend = backend;
  }
}

/** Per connection: who it is for and what differs from the limits. */
export interface OpenUpstreamOptions {
  log: Logger;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  maxFrameBytes?: number;
  writeHighWaterBytes?: number;
  zoneTally?: UpstreamZoneTally;
  streamMinFrameBytes?: number;
}

export interface UpstreamConnectorOptions {
  /** The backends whose security the connector applies; any other name gets a plain connection. */
  backends: readonly BackendConfig[];
  limits: LimitsConfig;
  metrics: ProxyMetrics;
  log: Logger;
  /** How long new connections to a backend that refused Turnout fail without trying. */
  refusalHoldOffMs?: number;
}

/** How Turnout connects to one backend. */
interface BackendSecurity {
  tls(host: string): tls.ConnectionOptions | undefined;
  login: SaslLogin | null;
}

const LINE_END = /\r?\n$/;

function passwordSource(backend: string, sasl: SaslCredentialsConfig): () => Promise<string> {
  const unavailable = (why: string, cause?: unknown): UpstreamAuthError =>
    new UpstreamAuthError('credentials', `backend ${backend}: ${why}`, cause);
  if (sasl.passwordFile !== undefined) {
    const file = sasl.passwordFile;
    return async () => {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        throw unavailable(`cannot read passwordFile ${file}: ${err instanceof Error ? err.message : String(err)}`, err);
      }
      const password = text.replace(LINE_END, '');
      if (password === '') throw unavailable(`passwordFile ${file} is empty`);
      return password;
    };
  }
  const name = sasl.passwordEnv as string;
  return () => {
    const password = process.env[name];
    if (password === undefined || password === '') return Promise.reject(unavailable(`environment variable ${name} (passwordEnv) is not set`));
    return Promise.resolve(password);
  };
}

function tlsOptions(backend: string, config: BackendTlsConfig): (host: string) => tls.ConnectionOptions {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new BackendTlsError(backend, `cannot read tls.${what} ${file}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  };
  let secureContext: tls.SecureContext;
  try {
    secureContext = tls.createSecureContext({
      ...(config.caFile !== undefined ? { ca: read(config.caFile, 'caFile') } : {}),
      ...(config.certFile !== undefined ? { cert: read(config.certFile, 'certFile') } : {}),
      ...(config.keyFile !== undefined ? { key: read(config.keyFile, 'keyFile') } : {}),
    });
  } catch (err) {
    if (err instanceof BackendTlsError) throw err;
    throw new BackendTlsError(backend, `tls files do not make a context: ${err instanceof Error ? err.message : String(err)}`, err);
  }
  return (host) => ({
    secureContext,
    rejectUnauthorized: !config.insecureSkipVerify,
    // The certificate is checked against this name; an IP address is checked as one (no SNI).
    ...(config.serverName !== undefined ? { servername: config.serverName } : net.isIP(host) === 0 ? { servername: host } : {}),
  });
}

/** Refusals are the broker's answer to Turnout's identity; anything else failed the connection. */
const setupFailure: UpstreamSetupFailure = (err, backend, brokerId) => {
  if (err instanceof UpstreamAuthError) return new UpstreamError('auth_failed', backend, brokerId, err.message, err);
  return new UpstreamError('bad_response', backend, brokerId, `login to the broker failed: ${err instanceof Error ? err.message : String(err)}`, err);
};

export class UpstreamConnector {
  /** Whether each secured backend takes Turnout's identity; /readyz reports it. */
  readonly identities: BackendIdentityHealth;
  private readonly opts: UpstreamConnectorOptions;
  private readonly security = new Map<string, BackendSecurity>();

  /** Reads every backend's TLS files now; throws BackendTlsError naming what is wrong. */
  constructor(opts: UpstreamConnectorOptions) {
    this.opts = opts;
    this.identities = new BackendIdentityHealth({
      log: opts.log,
      metrics: opts.metrics,
      ...(opts.refusalHoldOffMs !== undefined ? { holdOffMs: opts.refusalHoldOffMs } : {}),
    });
    for (const b of opts.backends) {
      if (b.tls === undefined && b.credentials === undefined) continue;
      const sasl = b.credentials?.sasl;
      const noTls = (): undefined => undefined;
      this.security.set(b.name, {
        tls: b.tls === undefined ? noTls : tlsOptions(b.name, b.tls),
        login: sasl === undefined ? null : { mechanism: sasl.mechanism, username: sasl.username, password: passwordSource(b.name, sasl), keys: new ScramKeyCache() },
      });
    }
  }

  /** Whether connections to `backend` present an identity (TLS or SASL). */
  isSecured(backend: string): boolean {
    return this.security.has(backend);
  }

  /** Opens a connection to a broker; requests may be sent on it at once. */
  open(address: BrokerAddress, listener: UpstreamListener, opts: OpenUpstreamOptions): UpstreamConnection {
    const limits = this.opts.limits;
    const base: UpstreamOptions = {
      backend: address.backend,
      brokerId: address.brokerId,
      host: address.host,
      port: address.port,
      connectTimeoutMs: opts.connectTimeoutMs ?? limits.upstreamConnectTimeoutMs,
      requestTimeoutMs: opts.requestTimeoutMs ?? limits.upstreamRequestTimeoutMs,
      maxFrameBytes: opts.maxFrameBytes ?? limits.maxFrameBytes,
      writeHighWaterBytes: opts.writeHighWaterBytes ?? limits.writeHighWaterBytes,
      log: opts.log,
      metrics: this.opts.metrics,
      ...(opts.zoneTally !== undefined ? { zoneTally: opts.zoneTally } : {}),
      ...(opts.streamMinFrameBytes !== undefined ? { streamMinFrameBytes: opts.streamMinFrameBytes } : {}),
    };
    const security = this.security.get(address.backend);
    if (security === undefined) return new UpstreamConnection(base, listener);
    const refused = this.identities.holdOff(address.backend, address.brokerId);
    const tlsOpts = security.tls(address.host);
    const login = security.login;
    return new UpstreamConnection(
      {
        ...base,
        ...(tlsOpts !== undefined ? { tls: tlsOpts } : {}),
        ...(login !== null ? { setup: { run: (request) => saslLogin(request, login), failure: setupFailure } } : {}),
        identity: this.identities,
        ...(refused !== null ? { refused } : {}),
      },
      listener,
    );
  }
}
