// A fake Kafka broker for unit tests: answers ApiVersions and Metadata with the codec, from
// a cluster description the test controls. Several instances form a fake cluster. It may
// listen with TLS, and may require a SASL PLAIN login first, refusing any other request
// before it as a broker does (by closing the connection).
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import {
  APIS,
  ApiKey,
  apiCodec,
  createApiVersionsResponse,
  createMetadataResponse,
  createSaslAuthenticateResponse,
  createSaslHandshakeResponse,
  decodeRequestBody,
  decodeRequestHeader,
  encodeResponseFrame,
} from '../../../src/codec/index.js';
import { FrameReader } from '../../../src/net/frame-reader.js';

export interface FakeBrokerOptions {
  /** Listen with TLS. */
  tls?: tls.TlsOptions;
  /** Require a SASL PLAIN login with one of these user → password pairs. */
  plainUsers?: ReadonlyMap<string, string>;
  /** Never answer SaslHandshake (a login that hangs). */
  stallLogin?: boolean;
  /** Grant logins this lifetime (KIP-368) and close a connection used after it without a new login. */
  sessionLifetimeMs?: number;
}

/** Requests a broker answers before a SASL login. */
const BEFORE_LOGIN = new Set<number>([ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]);
const SASL_AUTHENTICATION_FAILED = 58;
const UNSUPPORTED_SASL_MECHANISM = 33;

export interface FakeClusterState {
  clusterId: string;
  controllerId: number;
  brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>;
  /** Api key → max version this cluster advertises (default: the codec's max). */
  maxVersions: Map<number, number>;
}

export class FakeKafkaBroker {
  readonly nodeId: number;
  readonly state: FakeClusterState;
  readonly requests: Array<{ apiKey: number; apiVersion: number }> = [];
  /** Connections accepted (after the TLS handshake, with TLS). */
  connections = 0;
  /** Connections closed for a request after their session ended. */
  expiredSessions = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly opts: FakeBrokerOptions;
  port = 0;

  constructor(nodeId: number, state: FakeClusterState, opts: FakeBrokerOptions = {}) {
    this.nodeId = nodeId;
    this.state = state;
    this.opts = opts;
    const onSocket = (socket: net.Socket): void => {
      this.connections++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let loggedIn = opts.plainUsers === undefined;
      let sessionEndsAt = Infinity;
      const reader = new FrameReader(1 << 20, (frame) => {
        const body = frame.subarray(4);
        const apiKey = body.readInt16BE(0);
        const expired = Date.now() > sessionEndsAt;
        if ((!loggedIn || expired) && !BEFORE_LOGIN.has(apiKey)) {
          if (expired) this.expiredSessions++;
          socket.destroy();
          return;
        }
        let res: Buffer | null;
        if (apiKey === ApiKey.SaslHandshake || apiKey === ApiKey.SaslAuthenticate) {
          const login = this.login(body);
          if (login.ok) {
            loggedIn = true;
            if (opts.sessionLifetimeMs !== undefined) sessionEndsAt = Date.now() + opts.sessionLifetimeMs;
          }
          res = login.response;
          if (login.closeAfter) setTimeout(() => socket.destroy(), 20);
        } else {
          res = this.answer(body);
        }
        if (res !== null && !socket.destroyed) socket.write(res);
      });
      socket.on('data', (b: Buffer) => reader.push(b));
    };
    this.server = opts.tls === undefined ? net.createServer(onSocket) : tls.createServer(opts.tls, onSocket);
    this.server.on('tlsClientError', () => undefined);
  }

  /** Answers SaslHandshake (PLAIN only) and SaslAuthenticate against `plainUsers`. */
  private login(body: Buffer): { response: Buffer | null; ok: boolean; closeAfter: boolean } {
    const h = decodeRequestHeader(body);
    this.requests.push({ apiKey: h.apiKey, apiVersion: h.apiVersion });
    const req = decodeRequestBody(h.apiKey, h.apiVersion, body.subarray(h.headerSizeBytes));
    if (h.apiKey === ApiKey.SaslHandshake) {
      if (this.opts.stallLogin === true) return { response: null, ok: false, closeAfter: false };
      const m = createSaslHandshakeResponse();
      m.mechanisms = ['PLAIN'];
      m.errorCode = (req as { mechanism: string }).mechanism === 'PLAIN' ? 0 : UNSUPPORTED_SASL_MECHANISM;
      return { response: encodeResponseFrame(h.correlationId, h.apiKey, h.apiVersion, m), ok: false, closeAfter: m.errorCode !== 0 };
    }
    const [, user, password] = (req as { authBytes: Buffer }).authBytes.toString('utf8').split('\u0000');
    const ok = this.opts.plainUsers?.get(user ?? '') === password;
    const m = createSaslAuthenticateResponse();
    m.errorCode = ok ? 0 : SASL_AUTHENTICATION_FAILED;
    m.errorMessage = ok ? null : 'Authentication failed: Invalid username or password';
    m.sessionLifetimeMs = BigInt(ok ? (this.opts.sessionLifetimeMs ?? 0) : 0);
    return { response: encodeResponseFrame(h.correlationId, h.apiKey, h.apiVersion, m), ok, closeAfter: !ok };
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private answer(body: Buffer): Buffer | null {
    const h = decodeRequestHeader(body);
    this.requests.push({ apiKey: h.apiKey, apiVersion: h.apiVersion });
    if (h.apiKey === ApiKey.ApiVersions) {
      const m = createApiVersionsResponse();
      m.apiKeys = APIS.map((a) => ({
        apiKey: a.apiKey,
        minVersion: a.minVersion,
        maxVersion: Math.min(a.maxVersion, this.state.maxVersions.get(a.apiKey) ?? a.maxVersion),
      }));
      m.finalizedFeatures = [{ name: 'metadata.version', minVersionLevel: 1, maxVersionLevel: 27 }];
      m.finalizedFeaturesEpoch = 5n;
      m.supportedFeatures = [];
      return encodeResponseFrame(h.correlationId, ApiKey.ApiVersions, Math.min(h.apiVersion, 3), m);
    }
    if (h.apiKey === ApiKey.Metadata) {
      const m = createMetadataResponse();
      m.brokers = this.state.brokers.map((b) => ({ ...b }));
      m.clusterId = this.state.clusterId;
      m.controllerId = this.state.controllerId;
      m.topics = [];
      return encodeResponseFrame(h.correlationId, ApiKey.Metadata, h.apiVersion, m);
    }
    const codec = apiCodec(h.apiKey);
    if (codec === undefined) return null;
    return encodeResponseFrame(h.correlationId, h.apiKey, h.apiVersion, codec.createResponse());
  }
}

/** Starts `n` fake brokers with ids 11, 12, ... in racks r1, r2, ... */
export async function startFakeCluster(n: number): Promise<{ brokers: FakeKafkaBroker[]; state: FakeClusterState; close: () => Promise<void> }> {
  const state: FakeClusterState = { clusterId: 'fAkEbAcKeNdClUsTeRiD00', controllerId: 11, brokers: [], maxVersions: new Map() };
  const brokers: FakeKafkaBroker[] = [];
  for (let i = 0; i < n; i++) {
    const b = new FakeKafkaBroker(11 + i, state);
    await b.listen();
    brokers.push(b);
    state.brokers.push({ nodeId: 11 + i, host: '127.0.0.1', port: b.port, rack: `r${i + 1}` });
  }
  return { brokers, state, close: async () => Promise.all(brokers.map((b) => b.close())).then(() => undefined) };
}
