// One TCP connection from Turnout to one backend broker.
//
// It knows nothing about clients: it sends request frames under its own correlation ids and
// hands each response back to the exchange that sent it. A broker answers a connection's
// requests one at a time and in order, so pending exchanges form a FIFO; a response whose
// correlation id is not the oldest pending one is a protocol error and ends the connection.
//
// A large response may be streamed: once its correlation id is in, the exchange it answers can
// take its bytes as they arrive (`onUpstreamResponseStart`) rather than the whole frame.
//
// Setup: with `tls`, the connection is TLS; with `setup` (SASL), that runs once the transport
// is up. Requests sent before both are done wait in a queue and go out, in order, once the
// connection is ready; the connect timeout covers the whole setup, so nothing waits forever.
// Without either, requests are written at once, as they always were: no extra round trip.
// A login the broker gave a lifetime (KIP-368) is renewed on the connection before it ends;
// requests sent meanwhile wait the same way.
// Connections are opened by the connector (upstream-connector.ts), which knows each backend's
// security.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import Denque from 'denque';
import type { Logger } from '../observability/logger.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import { FramePieces } from './frame-pieces.js';
import { FrameError, FrameReader, type FrameSink } from './frame-reader.js';
import { sharedReadOption } from './shared-reads.js';
import {
  MIN_RESPONSE_FRAME_BYTES,
  nextCorrelationId,
  readResponseCorrelationId,
  writeRequestCorrelationId,
} from './correlation.js';
import type { UpstreamZoneTally } from './session-zone.js';

/** How long a closed connection may take to flush requests already written to it. */
const CLOSE_FLUSH_TIMEOUT_MS = 5_000;

export type UpstreamErrorKind =
  | 'connect_failed'
  | 'connect_timeout'
  | 'connection_lost'
  | 'request_timeout'
  | 'bad_response'
  | 'closed'
  /** The broker refused Turnout's SASL login, or Turnout could not present its credentials. */
  | 'auth_failed'
  /** The TLS handshake failed: a broker certificate not trusted, or Turnout's refused. */
  | 'tls_failed';

/** Kinds that say the broker did not accept Turnout's identity (the backend's credentials or TLS settings). */
export function isIdentityRefusal(kind: UpstreamErrorKind): boolean {
  return kind === 'auth_failed' || kind === 'tls_failed';
}

/** Why an upstream connection failed; every exchange pending on it receives this. */
export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind;
  readonly backend: string;
  readonly brokerId: number;

  constructor(kind: UpstreamErrorKind, backend: string, brokerId: number, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'UpstreamError';
    this.kind = kind;
    this.backend = backend;
    this.brokerId = brokerId;
  }
}

/** Takes the bytes of one streamed response frame, in order. */
export interface UpstreamResponseStream {
  /**
   * The next bytes of the frame, views over socket data; the first call starts at the size
   * prefix and holds at least the size and the correlation id (still Turnout's).
   */
  push(bytes: Buffer): void;
  /** The frame's last byte has been pushed. */
  end(): void;
}

/** A request in flight on an upstream connection. */
export interface UpstreamExchange {
  /** Set by the upstream connection when the request is sent. */
  upstreamCorrelationId: number;
  /** The response frame, correlation id still Turnout's. The frame may be a view over socket data. */
  onUpstreamResponse(frame: Buffer): void;
  /**
   * A response of `frameBytes` bytes (size prefix included) of at least the connection's
   * `streamMinFrameBytes` has begun: return a stream to take it piece by piece, or null (or
   * leave this out) to get it whole through `onUpstreamResponse`. Once streaming, a failure of
   * the connection before the last byte still arrives through `onUpstreamFailure`.
   */
  onUpstreamResponseStart?(frameBytes: number): UpstreamResponseStream | null;
  onUpstreamFailure(err: UpstreamError): void;
}

/** Sends one request on a connection being set up, before anything queued, and resolves with its response frame. */
export type UpstreamSetupRequest = (frame: Buffer) => Promise<Buffer>;

/** What a setup leaves on the connection: a login that must be renewed before `lifetimeMs` passes. */
export interface UpstreamSession {
  /** 0: never. */
  readonly lifetimeMs: number;
  renew(request: UpstreamSetupRequest): Promise<UpstreamSession>;
}

/** Runs on a new connection once its transport is up, before queued requests go out (a SASL login). */
export type UpstreamSetup = (request: UpstreamSetupRequest) => Promise<UpstreamSession | void>;

/** A session is renewed at a random point in this part of its lifetime, as Kafka's client does. */
const RENEW_AT_MIN = 0.85;
const RENEW_AT_SPREAD = 0.1;

/** Turns a setup's failure into the connection's error (the connector knows which are refusals). */
export type UpstreamSetupFailure = (err: unknown, backend: string, brokerId: number) => UpstreamError;

/** Hears whether a broker took Turnout's identity (TLS, SASL) on a connection that presented one. */
export interface UpstreamIdentityReporter {
  accepted(backend: string): void;
  refused(err: UpstreamError): void;
}

/** What the owner of an upstream connection hears about it. */
export interface UpstreamListener {
  /** The write buffer drained below the high-water mark after `send` returned false. */
  onUpstreamDrain(upstream: UpstreamConnection): void;
  /** The connection is gone; pending exchanges have already been failed. */
  onUpstreamClosed(upstream: UpstreamConnection, err: UpstreamError | null): void;
}

export interface UpstreamOptions {
  backend: string;
  brokerId: number;
  host: string;
  port: number;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxFrameBytes: number;
  writeHighWaterBytes: number;
  log: Logger;
  metrics: ProxyMetrics;
  /** Counts this connection's bytes by zone pair, when the broker's zone is known. */
  zoneTally?: UpstreamZoneTally;
  /** Responses of at least this many bytes are offered to their exchange for streaming. (default: never) */
  streamMinFrameBytes?: number;
  /** TLS to the broker (secure context, server name, verification); plaintext when absent. */
  tls?: tls.ConnectionOptions;
  /** Runs once the transport is up, before queued requests go out. */
  setup?: { run: UpstreamSetup; failure: UpstreamSetupFailure };
  /** Told whether the broker took Turnout's identity, when TLS or a setup presents one. */
  identity?: UpstreamIdentityReporter;
  /** Fail with this at once, without connecting (a backend that refused Turnout a moment ago). */
  refused?: UpstreamError;
}

interface QueuedRequest {
  frame: Buffer | FramePieces;
  exchange: UpstreamExchange | null;
}

interface Pending {
  exchange: UpstreamExchange;
  /**
   * When the request was sent; while its response streams, when its last bytes arrived
   * (`performance.now()`: a monotonic clock, and a cheaper call than `Date.now()`).
   */
  sentAtMs: number;
}

/**
 * Forwards one streamed frame to its exchange's stream. The exchange stays the oldest pending
 * one until the last byte, so a broker that stalls mid-frame still times out, and a lost
 * connection still fails it.
 */
class StreamedResponse implements FrameSink {
  private readonly conn: UpstreamConnection;
  private readonly pending: Pending;
  private readonly stream: UpstreamResponseStream;

  constructor(conn: UpstreamConnection, pending: Pending, stream: UpstreamResponseStream) {
    this.conn = conn;
    this.pending = pending;
    this.stream = stream;
  }

  push(bytes: Buffer): void {
    if (this.conn.isClosed) return;
    this.pending.sentAtMs = performance.now();
    this.stream.push(bytes);
  }

  end(): void {
    if (this.conn.isClosed) return;
    this.conn.onStreamedResponseEnd(this.pending);
    this.stream.end();
  }
}

let nextUpstreamId = 1;

export class UpstreamConnection {
  readonly id: number;
  readonly backend: string;
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;

  private readonly opts: UpstreamOptions;
  private readonly listener: UpstreamListener;
  private readonly log: Logger;
  private readonly socket: net.Socket;
  private readonly reader: FrameReader;
  /** Sent and not yet answered, oldest first. */
  private pending = new Denque<Pending>();
  private correlationId = 0;
  private connected = false;
  /** TLS handshake done (always true without TLS once connected). */
  private secured = false;
  /** Setup done: requests go straight to the socket. */
  private ready: boolean;
  /** Requests sent before the connection was ready, in order. */
  private queued: QueuedRequest[] = [];
  private queuedBytes = 0;
  /** `send` returned false while queueing: the owner waits for onUpstreamDrain. */
  private queueFullReported = false;
  /** The owner asked to stop reading before the connection was ready. */
  private pauseWanted = false;
  /** TLS alone presented Turnout's identity and no answer has confirmed it yet. */
  private identityUnconfirmed = false;
  /** The owner has stopped reading (the socket is paused). */
  private readPaused = false;
  private renewTimer: NodeJS.Timeout | null = null;
  /** A session renewal waits for the owner to read again. */
  private renewalDue: UpstreamSession | null = null;
  private closed = false;
  private connectTimer: NodeJS.Timeout | null;
  private requestTimer: NodeJS.Timeout | null = null;

  constructor(opts: UpstreamOptions, listener: UpstreamListener) {
    this.id = nextUpstreamId++;
    this.opts = opts;
    this.listener = listener;
    this.backend = opts.backend;
    this.brokerId = opts.brokerId;
    this.host = opts.host;
    this.port = opts.port;
    this.log = opts.log.child({ upstream: this.id, backend: opts.backend, brokerId: opts.brokerId });
    this.reader = new FrameReader(
      opts.maxFrameBytes,
      (frame) => this.onFrame(frame),
      opts.streamMinFrameBytes === undefined
        ? undefined
        : {
            minFrameBytes: Math.max(opts.streamMinFrameBytes, MIN_RESPONSE_FRAME_BYTES),
            headBytes: MIN_RESPONSE_FRAME_BYTES,
            onFrameStart: (frameBytes, head) => this.onFrameStart(frameBytes, head),
          },
    );

    this.ready = opts.tls === undefined && opts.setup === undefined;
    this.opts.metrics.connectionOpened('upstream');
    this.connectTimer = setTimeout(() => this.onConnectTimeout(), opts.connectTimeoutMs);
    this.connectTimer.unref();
    if (opts.refused !== undefined) {
      // Never connected; fails once the owner holds it, like any failed connect.
      this.socket = new net.Socket();
      const refused = opts.refused;
      setImmediate(() => this.fail(refused));
      return;
    }
    if (opts.tls === undefined) {
      this.socket = net.connect({
        host: opts.host,
        port: opts.port,
        noDelay: true,
        // Reads skip the Readable stream: shared-reads.ts.
        onread: sharedReadOption(
          (chunk) => this.onData(chunk),
          () => this.reader.bytesToFrameEnd,
        ),
      });
    } else {
      this.socket = tls.connect({ ...opts.tls, host: opts.host, port: opts.port });
      this.socket.setNoDelay(true);
      this.socket.on('secureConnect', () => this.onSecureConnect());
      this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    }
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('drain', () => this.listener.onUpstreamDrain(this));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err) => this.onSocketError(err));
    this.socket.on('close', () => this.fail(new UpstreamError('connection_lost', this.backend, this.brokerId, 'upstream connection closed')));
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Exchanges sent and not yet answered. */
  get inFlight(): number {
    return this.pending.length;
  }

  /** True while the write buffer (or, before ready, the queue) is over the high-water mark; wait for `onUpstreamDrain`. */
  get isWriteFull(): boolean {
    if (!this.ready) return this.queuedBytes >= this.opts.writeHighWaterBytes;
    return this.socket.writableNeedDrain && this.socket.writableLength >= this.opts.writeHighWaterBytes;
  }

  /**
   * Sends a request frame (size prefix included), rewriting its correlation id in place to
   * this connection's own. With a null exchange no response is expected (produce acks=0).
   * Before the connection is ready the request waits in order. Returns false when the write
   * buffer (or the queue) is over the high-water mark. A frame in pieces is written as its
   * pieces, in one corked write.
   */
  send(frame: Buffer | FramePieces, exchange: UpstreamExchange | null): boolean {
    if (this.closed) {
      exchange?.onUpstreamFailure(new UpstreamError('closed', this.backend, this.brokerId, 'upstream connection is closed'));
      return true;
    }
    if (!this.ready) {
      this.queued.push({ frame, exchange });
      this.queuedBytes += frame.length;
      if (this.isWriteFull) this.queueFullReported = true;
      return !this.queueFullReported;
    }
    this.write(frame, exchange);
    return !this.isWriteFull;
  }

  private write(frame: Buffer | FramePieces, exchange: UpstreamExchange | null): void {
    this.correlationId = nextCorrelationId(this.correlationId);
    // A frame in pieces has its header in the first.
    writeRequestCorrelationId(frame instanceof FramePieces ? frame.head : frame, this.correlationId);
    if (exchange !== null) {
      exchange.upstreamCorrelationId = this.correlationId;
      this.pending.push({ exchange, sentAtMs: performance.now() });
      if (this.requestTimer === null) this.armRequestTimer(this.opts.requestTimeoutMs);
    }
    this.opts.metrics.upstreamBytesOut(frame.length);
    this.opts.zoneTally?.count('to_broker', frame.length);
    if (frame instanceof FramePieces) this.writePieces(frame.pieces);
    else this.socket.write(frame);
  }

  /** One writev for the pieces, not one write each. */
  private writePieces(pieces: readonly Buffer[]): void {
    const socket = this.socket;
    socket.cork();
    for (let i = 0; i < pieces.length; i++) socket.write(pieces[i]);
    socket.uncork();
  }

  /** Stops reading responses (the client they go to cannot take more). Setup answers are still read. */
  pauseReading(): void {
    if (this.closed) return;
    if (this.ready) {
      this.readPaused = true;
      this.socket.pause();
    } else {
      this.pauseWanted = true;
    }
  }

  resumeReading(): void {
    this.pauseWanted = false;
    this.readPaused = false;
    if (this.closed) return;
    this.socket.resume();
    const due = this.renewalDue;
    if (due !== null) {
      this.renewalDue = null;
      this.renew(due);
    }
  }

  /**
   * Closes the connection; pending exchanges fail with kind `closed`. Requests already written
   * still reach the broker (the socket is flushed, then ended, even mid-connect), as they
   * would from a client closing its own connection: produce acks=0 has nothing else to wait for.
   */
  close(reason = 'closed by owner'): void {
    this.fail(new UpstreamError('closed', this.backend, this.brokerId, reason));
  }

  private onConnect(): void {
    this.connected = true;
    if (this.log.isLevelEnabled('debug')) this.log.debug({ host: this.host, port: this.port }, 'upstream connected');
    if (this.opts.tls === undefined) this.onTransportUp();
  }

  private onSecureConnect(): void {
    if (this.log.isLevelEnabled('debug')) this.log.debug({ host: this.host, port: this.port }, 'upstream TLS established');
    this.onTransportUp();
  }

  private onTransportUp(): void {
    this.secured = true;
    if (this.ready) {
      this.clearConnectTimer();
      return;
    }
    const setup = this.opts.setup;
    if (setup === undefined) {
      this.becomeReady(null);
      return;
    }
    setup.run((frame) => this.setupRequest(frame)).then(
      (session) => this.becomeReady(session ?? null),
      (err: unknown) => this.fail(err instanceof UpstreamError ? err : setup.failure(err, this.backend, this.brokerId)),
    );
  }

  /**
   * Logs in again on this connection before the broker's session ends. Requests sent
   * meanwhile wait; those in flight are answered first, in order, as the broker answers them.
   */
  private renew(session: UpstreamSession): void {
    if (this.closed) return;
    if (this.readPaused) {
      // The answers come after the responses in flight, which the owner cannot take now.
      this.renewalDue = session;
      return;
    }
    const setup = this.opts.setup as NonNullable<UpstreamOptions['setup']>;
    this.ready = false;
    if (this.log.isLevelEnabled('debug')) this.log.debug({ lifetimeMs: session.lifetimeMs }, 'renewing the upstream login');
    session.renew((frame) => this.setupRequest(frame)).then(
      (next) => this.becomeReady(next),
      (err: unknown) => this.fail(err instanceof UpstreamError ? err : setup.failure(err, this.backend, this.brokerId)),
    );
  }

  /** A setup request goes out ahead of the queue, through the same in-order bookkeeping. */
  private setupRequest(frame: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const exchange: UpstreamExchange = { upstreamCorrelationId: 0, onUpstreamResponse: (f) => resolve(Buffer.from(f)), onUpstreamFailure: reject };
      if (this.closed) exchange.onUpstreamFailure(new UpstreamError('closed', this.backend, this.brokerId, 'upstream connection is closed'));
      else this.write(frame, exchange);
    });
  }

  private becomeReady(session: UpstreamSession | null): void {
    if (this.closed) return;
    this.ready = true;
    this.clearConnectTimer();
    // After a login the broker has answered; with TLS alone it may still refuse the client
    // certificate after the handshake (TLS 1.3), so its first answer tells.
    if (this.opts.setup !== undefined) this.opts.identity?.accepted(this.backend);
    else this.identityUnconfirmed = this.opts.identity !== undefined;
    if (session !== null && session.lifetimeMs > 0) {
      const inMs = session.lifetimeMs * (RENEW_AT_MIN + Math.random() * RENEW_AT_SPREAD);
      this.renewTimer = setTimeout(() => {
        this.renewTimer = null;
        this.renew(session);
      }, inMs);
      this.renewTimer.unref();
    }
    const queued = this.queued;
    this.queued = [];
    this.queuedBytes = 0;
    for (const q of queued) this.write(q.frame, q.exchange);
    if (this.pauseWanted) {
      this.pauseWanted = false;
      this.readPaused = true;
      this.socket.pause();
    }
    if (this.queueFullReported && !this.isWriteFull) {
      this.queueFullReported = false;
      this.listener.onUpstreamDrain(this);
    }
  }

  private onConnectTimeout(): void {
    this.connectTimer = null;
    if (this.ready || this.closed) return;
    const stage = !this.connected ? 'connect' : !this.secured ? 'TLS handshake' : 'login';
    this.fail(
      new UpstreamError('connect_timeout', this.backend, this.brokerId, `${stage} to ${this.host}:${this.port} timed out after ${this.opts.connectTimeoutMs} ms`),
    );
  }

  private onData(chunk: Buffer): void {
    this.opts.metrics.upstreamBytesIn(chunk.length);
    this.opts.zoneTally?.count('from_broker', chunk.length);
    try {
      this.reader.push(chunk);
    } catch (err) {
      // A frame error is the broker's fault; anything else escaped from handling a response.
      // Either way only this connection (and the exchanges on it) is lost, never the process.
      const message = err instanceof FrameError ? err.message : `error handling a response: ${String(err)}`;
      this.fail(new UpstreamError('bad_response', this.backend, this.brokerId, message, err));
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.closed) return;
    if (this.identityUnconfirmed) this.confirmIdentity();
    if (frame.length < MIN_RESPONSE_FRAME_BYTES) {
      this.fail(new UpstreamError('bad_response', this.backend, this.brokerId, `response frame of ${frame.length} bytes is too short`));
      return;
    }
    const head = this.answeredPending(frame);
    if (head === undefined) return;
    this.pending.shift();
    head.exchange.onUpstreamResponse(frame);
  }

  /** The head of a large response is in: its exchange may take the rest as it arrives. */
  private onFrameStart(frameBytes: number, head: Buffer): FrameSink | null {
    if (this.closed) return null;
    if (this.identityUnconfirmed) this.confirmIdentity();
    const pending = this.answeredPending(head);
    if (pending === undefined || pending.exchange.onUpstreamResponseStart === undefined) return null;
    const stream = pending.exchange.onUpstreamResponseStart(frameBytes);
    return stream === null ? null : new StreamedResponse(this, pending, stream);
  }

  private confirmIdentity(): void {
    this.identityUnconfirmed = false;
    this.opts.identity?.accepted(this.backend);
  }

  /** Called by a streamed response after its last byte, before its stream hears of it. */
  onStreamedResponseEnd(pending: Pending): void {
    if (this.pending.peekFront() === pending) this.pending.shift();
  }

  /** The oldest pending exchange if `frame` (at least size and correlation id) answers it; else fails the connection. */
  private answeredPending(frame: Buffer): Pending | undefined {
    const correlationId = readResponseCorrelationId(frame);
    const head = this.pending.peekFront();
    if (head === undefined || head.exchange.upstreamCorrelationId !== correlationId) {
      this.fail(
        new UpstreamError(
          'bad_response',
          this.backend,
          this.brokerId,
          `response correlation id ${correlationId} does not match the oldest request (${head?.exchange.upstreamCorrelationId ?? 'none'})`,
        ),
      );
      return undefined;
    }
    return head;
  }

  private armRequestTimer(delayMs: number): void {
    this.requestTimer = setTimeout(() => this.onRequestTimer(), Math.max(1, delayMs));
    this.requestTimer.unref();
  }

  // One timer per connection, not per request: it checks the oldest pending exchange, the
  // one that would time out first, and re-arms for the next.
  private onRequestTimer(): void {
    this.requestTimer = null;
    if (this.closed || this.inFlight === 0) return;
    const oldest = this.pending.peekFront() as Pending;
    const dueInMs = oldest.sentAtMs + this.opts.requestTimeoutMs - performance.now();
    if (dueInMs <= 0) {
      this.fail(
        new UpstreamError('request_timeout', this.backend, this.brokerId, `no response within ${this.opts.requestTimeoutMs} ms`),
      );
    } else {
      this.armRequestTimer(dueInMs);
    }
  }

  private onEnd(): void {
    try {
      this.reader.end();
    } catch {
      // A partial response at close: the pending exchanges fail below either way.
    }
    this.fail(new UpstreamError('connection_lost', this.backend, this.brokerId, 'broker closed the connection'));
  }

  private onSocketError(err: NodeJS.ErrnoException): void {
    const where = `${this.host}:${this.port}`;
    // A TLS alert may come after the handshake looked done (TLS 1.3 refuses a client
    // certificate that way): its code still says TLS.
    const tlsFailure = this.opts.tls !== undefined && ((this.connected && !this.secured) || err.code?.startsWith('ERR_SSL_') === true);
    const kind: UpstreamErrorKind = tlsFailure ? 'tls_failed' : this.connected ? 'connection_lost' : 'connect_failed';
    const what = kind === 'tls_failed' ? 'TLS with' : kind === 'connect_failed' ? 'cannot connect to' : 'lost connection to';
    this.fail(new UpstreamError(kind, this.backend, this.brokerId, `${what} ${where} failed: ${err.message}`, err));
  }

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) {
      clearTimeout(this.connectTimer);
      this.connectTimer = null;
    }
  }

  private fail(err: UpstreamError): void {
    if (this.closed) return;
    this.closed = true;
    this.clearConnectTimer();
    if (this.requestTimer !== null) {
      clearTimeout(this.requestTimer);
      this.requestTimer = null;
    }
    if (this.renewTimer !== null) {
      clearTimeout(this.renewTimer);
      this.renewTimer = null;
    }
    if (err.kind === 'closed') {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), CLOSE_FLUSH_TIMEOUT_MS).unref();
    } else {
      this.socket.destroy();
    }
    const failed: Array<{ exchange: UpstreamExchange }> = this.pending.toArray();
    for (const q of this.queued) if (q.exchange !== null) failed.push({ exchange: q.exchange });
    this.pending = new Denque<Pending>();
    this.queued = [];
    this.queuedBytes = 0;
    const reason = err.kind;
    this.opts.metrics.connectionClosed('upstream', reason);
    const idleLoss = err.kind === 'connection_lost' && failed.length === 0;
    if (isIdentityRefusal(err.kind)) {
      // The identity reporter logs these, once per change rather than per connection.
      if (this.opts.refused === undefined) this.opts.identity?.refused(err);
      if (this.log.isLevelEnabled('debug')) this.log.debug({ reason, err, inFlight: failed.length }, 'upstream connection refused Turnout');
    } else if (err.kind !== 'closed' && !idleLoss) {
      this.opts.metrics.upstreamError(this.backend, err.kind);
      this.log.warn({ reason, err, inFlight: failed.length }, 'upstream connection failed');
    } else if (this.log.isLevelEnabled('debug')) {
      // A broker closing an idle connection (connections.max.idle.ms) is routine.
      this.log.debug({ reason: err.message, inFlight: failed.length }, 'upstream connection closed');
    }
    for (const p of failed) p.exchange.onUpstreamFailure(err);
    this.listener.onUpstreamClosed(this, err.kind === 'closed' ? null : err);
  }
}
