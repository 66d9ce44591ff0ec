// One Kafka client's TCP connection to Turnout.
//
// Requests are read as frames, handed to the router, and either answered locally or
// forwarded to a backend broker over this connection's own upstream connections, or answered
// later by the router (`exchange.deferred`) from requests it sends through `sendUpstream`, as
// a split request is. Responses are released to the client strictly in request order through
// an in-order queue.
//
// Each client connection gets its own upstream connection per backend broker it needs,
// opened lazily on its first request for that broker. A broker processes one request at a
// time per connection, so an upstream shared between clients would let one client's slow
// fetch (long poll) hold up every other client's requests behind it.
//
// Large responses the router can rewrite on the fly (Fetch) are streamed: their bytes go to the
// client as they arrive from the broker, once every earlier response is out
// (client-response-stream.ts); later responses wait for the streamed one's last byte.
//
// Backpressure: reading from the client stops while too many requests are in flight, while
// an upstream's write buffer is full, or while the client's own write buffer is full; reading
// from upstreams stops while the client's write buffer is full. Both resume on 'drain'.

// Node's globals `Buffer` and `performance` are accessors, called on every use: the request
// path takes the modules' bindings instead.
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import type net from 'node:net';
import { ANONYMOUS, type KafkaPrincipal } from '../auth/principal.js';
import type { CloseAfter, Deadline, FilterStateKey, RawFrameHandler, RawFrameResult, TlsPeer } from '../pipeline/filter.js';
import { FilterStates } from '../pipeline/filter-states.js';
import type { Logger } from '../observability/logger.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { RequestSpan } from '../observability/request-span.js';
import type { RequestTracer } from '../observability/request-tracer.js';
import type { LimitsConfig } from '../policy/config.js';
import type { ZoneSource } from '../policy/zone-resolver.js';
import { ClientResponseStream, type StreamedResponseOwner } from './client-response-stream.js';
import { FramePieces } from './frame-pieces.js';
import { FrameError, FrameReader } from './frame-reader.js';
import { InOrderResponseQueue } from './response-queue.js';
import {
  MIN_REQUEST_FRAME_BYTES,
  REQUEST_API_KEY_OFFSET,
  REQUEST_API_VERSION_OFFSET,
  REQUEST_CORRELATION_OFFSET,
  writeResponseCorrelationId,
} from './correlation.js';
import {
  RequestRejectedError,
  type BrokerAddress,
  type ClientSession,
  type RequestExchange,
  type RequestRouter,
  type ResponseStream,
} from './request-router.js';
import { NO_ZONES, SessionZone, type SessionZoneView, type ZoneContext } from './session-zone.js';
import { chunkSourceOf } from './shared-reads.js';
import {
  UpstreamError,
  type UpstreamConnection,
  type UpstreamExchange,
  type UpstreamListener,
  type UpstreamResponseStream,
} from './upstream-connection.js';
import type { UpstreamConnector } from './upstream-connector.js';
import { sendRequest } from './upstream-request.js';

/** A client request from arrival until its response is written. */
class ClientExchange implements RequestExchange, UpstreamExchange {
  readonly conn: ClientConnection;
  /** The frame as one buffer; null while it is still in `pieces`. */
  private whole: Buffer | null;
  /** A frame that arrived over several reads, until something needs it whole. */
  private pieces: FramePieces | null;
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly receivedAtMs: number;
  response: Buffer | null = null;
  expectResponse = true;
  targetBrokerId = -1;
  targetAddress: BrokerAddress | null = null;
  routeState: unknown = undefined;
  deferred: Promise<Buffer | null> | null = null;
  held: Promise<unknown> | null = null;
  closeAfter: CloseAfter | null = null;
  pipelineState: unknown = undefined;
  upstreamCorrelationId = 0;
  /** Set while the response is streamed instead of arriving whole. */
  stream: ClientResponseStream | null = null;
  /** The request's span, when tracing is on and the request was sampled. */
  trace: RequestSpan | null = null;

  /** `raw`: a bare frame outside Kafka's request framing (a SASL token after SaslHandshake v0). */
  constructor(conn: ClientConnection, frame: Buffer | FramePieces, receivedAtMs: number, raw = false) {
    this.conn = conn;
    let head: Buffer;
    if (frame instanceof FramePieces) {
      this.whole = null;
      this.pieces = frame;
      head = frame.head;
    } else {
      this.whole = frame;
      this.pieces = null;
      head = frame;
    }
    this.apiKey = raw ? RAW_FRAME_API_KEY : head.readInt16BE(REQUEST_API_KEY_OFFSET);
    this.apiVersion = raw ? -1 : head.readInt16BE(REQUEST_API_VERSION_OFFSET);
    this.correlationId = raw ? 0 : head.readInt32BE(REQUEST_CORRELATION_OFFSET);
    this.receivedAtMs = receivedAtMs;
  }

  /** The frame as one buffer: reading it joins a frame still in pieces (once). */
  get frame(): Buffer {
    if (this.whole === null) {
      this.whole = (this.pieces as FramePieces).join();
      this.pieces = null;
    }
    return this.whole;
  }

  set frame(frame: Buffer) {
    this.whole = frame;
    this.pieces = null;
  }

  get head(): Buffer {
    return this.whole ?? (this.pieces as FramePieces).head;
  }

  /** What to send upstream: the pieces when nothing has needed the frame whole. */
  get bytesToSend(): Buffer | FramePieces {
    return this.whole ?? (this.pieces as FramePieces);
  }

  onUpstreamResponse(frame: Buffer): void {
    this.conn.onExchangeResponse(this, frame);
  }

  onUpstreamResponseStart(frameBytes: number): UpstreamResponseStream | null {
    return this.conn.startResponseStream(this, frameBytes);
  }

  onUpstreamFailure(err: UpstreamError): void {
    this.conn.onExchangeFailure(this, err);
  }
}

/** The api key a raw frame's exchange carries: no api has it. */
const RAW_FRAME_API_KEY = -1;
const SIZE_PREFIX_BYTES = 4;

/**
 * Responses at least this large are offered to the router for streaming. Smaller ones arrive
 * in a chunk or two, so holding them costs little, and the router can still rewrite them
 * whole, length changes included.
 */
export const DEFAULT_STREAM_MIN_FRAME_BYTES = 64 * 1024;

export interface ClientConnectionOptions {
  connId: number;
  socket: net.Socket;
  listenerName: string;
  /** Virtual node the socket was accepted for, or -1 for the bootstrap port. */
  virtualNodeId: number;
  /** Opens this client's upstreams to brokers. */
  connector: UpstreamConnector;
  router: RequestRouter;
  limits: LimitsConfig;
  log: Logger;
  metrics: ProxyMetrics;
  /** Zones to resolve the client's against. (default: none) */
  zones?: ZoneContext;
  /** Responses at least this large may be streamed. (default: DEFAULT_STREAM_MIN_FRAME_BYTES) */
  streamMinFrameBytes?: number;
  /** Traces sampled requests (config `tracing`); nothing is traced without it. (default: none) */
  tracer?: RequestTracer | null;
  /** The TLS facts of the socket, when its listener terminates TLS. (default: none) */
  tls?: TlsPeer | null;
  /**
   * For a listener that requires a login: the frame cap until a filter lifts it, and when the
   * connection closes if nobody has logged in by then. (default: none)
   */
  preLogin?: { maxFrameBytes: number; deadline: Deadline };
  /** Who the client is before any SASL exchange (its certificate's principal on an mTLS listener). (default: User:ANONYMOUS) */
  principal?: KafkaPrincipal;
  onClosed: (conn: ClientConnection) => void;
}

/** One client connection as the admin API lists it. */
export interface ClientConnectionView extends SessionZoneView {
  connId: number;
  listener: string;
  /** `address:port` the client connected from. */
  remote: string;
}

/** Close reasons that are a client's ordinary goodbye rather than a problem. */
const QUIET_CLOSE_REASONS = new Set(['client_closed', 'client_reset', 'shutdown']);

export class ClientConnection implements ClientSession, UpstreamListener, StreamedResponseOwner {
  readonly connId: number;
  readonly log: Logger;
  readonly listenerName: string;
  readonly virtualNodeId: number;
  anyBrokerId = -1;
  readonly clientHost: string;
  readonly tls: TlsPeer | null;
  principal: KafkaPrincipal;

  private readonly socket: net.Socket;
  private readonly filterStates = new FilterStates();
  /** Set while frames arrive outside Kafka's request framing (filter.ts takeRawFrames). */
  private rawFrameHandler: RawFrameHandler | null = null;
  /** Set once an answer that ends the connection is decided: nothing more is read. */
  private closeScheduled = false;
  private closeTimerStarted = false;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private readonly router: RequestRouter;
  private readonly connector: UpstreamConnector;
  private readonly limits: LimitsConfig;
  private readonly metrics: ProxyMetrics;
  private readonly tracer: RequestTracer | null;
  private readonly onClosedCallback: (conn: ClientConnection) => void;
  private readonly zones: ZoneContext;
  private readonly sessionZone: SessionZone;
  private readonly remote: string;
  private readonly reader: FrameReader;
  private readonly streamMinFrameBytes: number | undefined;
  private readonly queue = new InOrderResponseQueue<ClientExchange>();
  private readonly upstreams = new Map<number, UpstreamConnection>();
  /** Upstreams of `sendUpstream`, by backend and broker: a router over several backends uses these. */
  private readonly destinationUpstreams = new Map<string, UpstreamConnection>();
  private readonly fullUpstreams = new Set<UpstreamConnection>();
  private clientWriteFull = false;
  /** The client socket is corked until the end of this event loop turn. */
  private writesBatched = false;
  private readPaused = false;
  private draining = false;
  private closed = false;
  private drainWaiters: Array<() => void> = [];

  constructor(opts: ClientConnectionOptions) {
    this.connId = opts.connId;
    this.socket = opts.socket;
    this.listenerName = opts.listenerName;
    this.virtualNodeId = opts.virtualNodeId;
    this.router = opts.router;
    this.connector = opts.connector;
    this.limits = opts.limits;
    this.metrics = opts.metrics;
    this.tracer = opts.tracer ?? null;
    this.onClosedCallback = opts.onClosed;
    this.remote = `${this.socket.remoteAddress}:${this.socket.remotePort}`;
    this.clientHost = clientHostOf(this.socket.remoteAddress);
    this.tls = opts.tls ?? null;
    this.principal = opts.principal ?? ANONYMOUS;
    this.log = opts.log.child({
      conn: this.connId,
      client: this.remote,
      listener: opts.listenerName,
      node: opts.virtualNodeId,
    });
    this.reader = new FrameReader(opts.limits.maxFrameBytes, (frame) => this.onFrame(frame));
    // A request forwarded untouched goes upstream as the reads it came in, not joined.
    this.reader.takeFramesInPieces((frame) => this.onFrame(frame));
    this.zones = opts.zones ?? NO_ZONES;
    this.streamMinFrameBytes =
      this.router.streamResponse === undefined ? undefined : (opts.streamMinFrameBytes ?? DEFAULT_STREAM_MIN_FRAME_BYTES);
    this.sessionZone = new SessionZone({
      model: this.zones.model,
      remoteAddress: this.socket.remoteAddress,
      listenerName: opts.listenerName,
      log: this.log,
      metrics: opts.metrics.zones,
    });

    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, 60_000);
    const reads = chunkSourceOf(this.socket);
    if (reads === undefined) this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    else reads.onChunk((chunk) => this.onData(chunk), () => this.reader.bytesToFrameEnd);
    this.socket.on('drain', () => this.onClientDrain());
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      this.close(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'client_reset' : 'client_error', err);
    });
    this.socket.on('close', () => this.close('client_closed'));
    this.metrics.connectionOpened('client');
    this.log.info('client connected');
    if (opts.preLogin !== undefined) {
      this.reader.setMaxFrameBytes(Math.min(opts.preLogin.maxFrameBytes, opts.limits.maxFrameBytes));
      this.setDeadline(opts.preLogin.deadline);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get zone(): string | null {
    return this.sessionZone.zone;
  }

  get zoneSource(): ZoneSource {
    return this.sessionZone.source;
  }

  view(): ClientConnectionView {
    return { connId: this.connId, listener: this.listenerName, remote: this.remote, ...this.sessionZone.view() };
  }

  filterState<T>(key: FilterStateKey<T>): T {
    return this.filterStates.get(key);
  }

  takeRawFrames(handler: RawFrameHandler): void {
    this.rawFrameHandler = handler;
  }

  setFrameLimit(maxFrameBytes: number | null): void {
    this.reader.setMaxFrameBytes(maxFrameBytes ?? this.limits.maxFrameBytes);
  }

  setDeadline(deadline: Deadline | null): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
    if (deadline === null || this.closed) return;
    this.deadlineTimer = setTimeout(() => this.close(deadline.reason, new Error(deadline.message)), Math.max(0, deadline.atMs - Date.now()));
    this.deadlineTimer.unref();
  }

  /** Requests received whose responses have not yet been written. */
  get inFlight(): number {
    return this.queue.size;
  }

  /** Response bytes held in this process for the client, not yet taken by its socket. */
  get bufferedForClient(): number {
    return this.socket.writableLength;
  }

  /**
   * Stops reading new requests, lets in-flight ones finish, then closes. Resolves once closed;
   * forces the close after `timeoutMs`.
   */
  drain(timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.draining = true;
    this.updateReadState();
    const done = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    if (this.queue.size === 0) {
      this.close('shutdown');
    } else {
      const timer = setTimeout(() => this.close('shutdown'), timeoutMs);
      timer.unref();
    }
    return done;
  }

  /** Closes the connection and its upstreams now. `reason` labels the close in logs and metrics. */
  close(reason: string, err?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.reader.pause();
    if (reason === 'shutdown') {
      // Let the responses already written reach the client before the socket goes.
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 5_000).unref();
    } else {
      this.socket.destroy();
    }
    for (const upstream of this.upstreams.values()) upstream.close('client connection closed');
    this.upstreams.clear();
    for (const upstream of this.destinationUpstreams.values()) upstream.close('client connection closed');
    this.destinationUpstreams.clear();
    this.fullUpstreams.clear();
    const dropped = this.queue.clear();
    if (this.tracer !== null) for (const ex of dropped) ex.trace?.closed(reason, err);
    if (this.router.abandon !== undefined) this.abandonAll(dropped);
    this.metrics.connectionClosed('client', reason);
    if (QUIET_CLOSE_REASONS.has(reason)) {
      this.log.info({ reason, inFlight: dropped.length }, 'client connection closed');
    } else {
      this.log.warn({ reason, err, inFlight: dropped.length }, 'client connection closed');
    }
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
    this.onClosedCallback(this);
  }

  private onData(chunk: Buffer): void {
    this.metrics.clientBytesIn(chunk.length);
    try {
      this.reader.push(chunk);
    } catch (err) {
      this.closeOnReadError(err);
    }
  }

  private onEnd(): void {
    try {
      this.reader.end();
    } catch (err) {
      this.closeOnReadError(err);
      return;
    }
    this.close('client_closed');
  }

  /** Tells the router of every request the close dropped, so that nothing counted for one stays counted. */
  private abandonAll(dropped: Iterable<ClientExchange>): void {
    for (const ex of dropped) {
      try {
        this.router.abandon?.(this, ex);
      } catch (err) {
        this.log.error({ err, apiKey: ex.apiKey, correlationId: ex.correlationId }, 'releasing a request dropped by the close failed');
      }
    }
  }

  private closeOnReadError(err: unknown): void {
    if (err instanceof FrameError) this.close(err.reason, err);
    else this.close('internal_error', err);
  }

  private onFrame(frame: Buffer | FramePieces): void {
    if (this.closed || this.closeScheduled) return;
    if (this.rawFrameHandler !== null) {
      this.onRawFrame(frame instanceof FramePieces ? frame.join() : frame, this.rawFrameHandler);
      return;
    }
    if (frame.length < MIN_REQUEST_FRAME_BYTES) {
      this.close('short_frame', new Error(`request frame of ${frame.length} bytes is shorter than a request header`));
      return;
    }
    const exchange = new ClientExchange(this, frame, performance.now());
    if (this.tracer !== null) exchange.trace = this.tracer.startRequest(this, () => exchange.frame, exchange.apiKey, exchange.apiVersion, exchange.correlationId);
    // Before routing: the router may rewrite the frame.
    if (this.sessionZone.wantsRequest(exchange.apiKey, exchange.apiVersion)) this.sessionZone.observeRequest(exchange.frame, exchange.apiKey, exchange.apiVersion);
    this.dispatch(exchange, false);
  }

  /**
   * Hands a request to the router (the request pipeline) and carries out what it decided.
   * `queued`: the exchange already holds its place in the response queue (it was held).
   */
  private dispatch(exchange: ClientExchange, queued: boolean): void {
    const trace = exchange.trace;
    try {
      if (trace === null) this.router.routeRequest(this, exchange);
      else (this.tracer as RequestTracer).runWithin(trace, routeThrough, this.router, this, exchange);
    } catch (err) {
      const reason = err instanceof RequestRejectedError ? err.reason : 'internal_error';
      trace?.closed(reason, err);
      this.close(reason, err);
      return;
    }
    if (!queued) this.metrics.requestReceived(exchange.apiKey, exchange.apiVersion);
    const enqueue = !queued && exchange.expectResponse;
    if (exchange.held !== null) {
      if (enqueue) this.queue.push(exchange);
      const resume = (): void => {
        if (this.closed) return;
        exchange.held = null;
        exchange.trace?.resumed();
        this.dispatch(exchange, exchange.expectResponse);
      };
      exchange.held.then(resume, resume);
    } else if (exchange.response !== null) {
      this.metrics.answeredLocally(exchange.apiKey);
      trace?.routed('answered');
      if (!queued) this.queue.push(exchange);
      this.flush();
    } else if (exchange.deferred !== null) {
      trace?.routed('deferred');
      if (enqueue) this.queue.push(exchange);
      exchange.deferred.then(
        (response) => this.onDeferredResponse(exchange, response),
        (err: unknown) => this.close('internal_error', err),
      );
    } else {
      this.forward(exchange, enqueue);
    }
    if (exchange.closeAfter !== null && exchange.held === null) {
      // A request that gets no answer closes the connection once it is on its way; one that
      // does, once its answer is written. Either way nothing after it is read.
      if (exchange.expectResponse) this.closeScheduled = true;
      else this.scheduleClose(exchange.closeAfter);
    }
    this.updateReadState();
  }

  /** A bare frame after SaslHandshake v0: its handler's reply keeps its place in the response order. */
  private onRawFrame(frame: Buffer, handler: RawFrameHandler): void {
    const exchange = new ClientExchange(this, frame, performance.now(), true);
    this.queue.push(exchange);
    let result: RawFrameResult | Promise<RawFrameResult>;
    try {
      result = handler(frame.subarray(SIZE_PREFIX_BYTES));
    } catch (err) {
      this.close('internal_error', err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (r) => this.onRawResult(exchange, r),
        (err: unknown) => this.close('internal_error', err),
      );
    } else {
      this.onRawResult(exchange, result);
    }
    this.updateReadState();
  }

  private onRawResult(exchange: ClientExchange, result: RawFrameResult): void {
    if (this.closed) return;
    if (result.done && this.rawFrameHandler !== null) this.rawFrameHandler = null;
    exchange.closeAfter = result.close ?? null;
    exchange.response = result.reply === null ? Buffer.alloc(0) : withSizePrefix(result.reply);
    this.flush();
    this.updateReadState();
  }

  /** Stops reading now, and closes `delayMs` after (the broker's delay after a failed login). */
  private scheduleClose(after: CloseAfter): void {
    if (this.closeTimerStarted || this.closed) return;
    this.closeScheduled = true;
    this.closeTimerStarted = true;
    this.updateReadState();
    const timer = setTimeout(() => this.close(after.reason, new Error(after.message)), after.delayMs);
    timer.unref();
  }

  private forward(exchange: ClientExchange, enqueue: boolean): void {
    const upstream = exchange.targetAddress === null ? this.upstreamFor(exchange.targetBrokerId) : this.destinationUpstream(exchange.targetAddress);
    if (enqueue) this.queue.push(exchange);
    const trace = exchange.trace;
    trace?.routed('forwarded');
    if (upstream === null) {
      this.onExchangeFailure(
        exchange,
        new UpstreamError('connect_failed', '', exchange.targetBrokerId, `no address known for broker ${exchange.targetBrokerId}`),
      );
      return;
    }
    trace?.forwarded(upstream, exchange.frame, exchange.expectResponse);
    if (!upstream.send(exchange.bytesToSend, exchange.expectResponse ? exchange : null)) {
      this.fullUpstreams.add(upstream);
    }
    if (trace !== null && !exchange.expectResponse) trace.dropped();
  }

  sendUpstream(address: BrokerAddress, frame: Buffer | FramePieces, expectResponse: boolean): Promise<Buffer | null> {
    if (this.closed) return Promise.reject(new UpstreamError('closed', address.backend, address.brokerId, 'client connection is closed'));
    const upstream = this.destinationUpstream(address);
    // The request this one is sent for, when it is traced: the send is its child span.
    const trace = this.tracer === null ? undefined : this.tracer.activeRequest();
    if (!expectResponse) {
      trace?.upstreamSent(address, frame);
      if (!upstream.send(frame, null)) this.fullUpstreams.add(upstream);
      return Promise.resolve(null);
    }
    const child = trace === undefined ? null : trace.upstreamStarted(address, frame);
    let pending = sendRequest(upstream, frame);
    if (child !== null) pending = (trace as RequestSpan).upstreamSettled(child, pending);
    if (upstream.isWriteFull) this.fullUpstreams.add(upstream);
    return pending;
  }

  private onDeferredResponse(exchange: ClientExchange, response: Buffer | null): void {
    if (this.closed || !exchange.expectResponse) {
      // A request without a response (acks=0) is done once its answer, if any, is made.
      if (exchange.trace !== null) {
        if (this.closed) exchange.trace.closed('connection_closed');
        else exchange.trace.dropped();
      }
      return;
    }
    if (response === null) {
      this.close('internal_error', new Error(`no response built for api ${exchange.apiKey}`));
      return;
    }
    exchange.response = response;
    this.flush();
    this.updateReadState();
  }

  /** This client's upstream to a backend broker named by address (a router over several backends). */
  private destinationUpstream(address: BrokerAddress): UpstreamConnection {
    const key = `${address.backend}/${address.brokerId}`;
    let upstream = this.destinationUpstreams.get(key);
    if (upstream === undefined || upstream.isClosed || upstream.host !== address.host || upstream.port !== address.port) {
      upstream?.close('broker address changed');
      upstream = this.openUpstream(address);
      this.destinationUpstreams.set(key, upstream);
    }
    return upstream;
  }

  private upstreamFor(brokerId: number): UpstreamConnection | null {
    const existing = this.upstreams.get(brokerId);
    if (existing !== undefined && !existing.isClosed) return existing;
    const address = this.router.brokerAddress(brokerId);
    if (address === null) return null;
    const upstream = this.openUpstream(address);
    this.upstreams.set(brokerId, upstream);
    return upstream;
  }

  private openUpstream(address: BrokerAddress): UpstreamConnection {
    // An upstream outlives the request it is opened for: its callbacks run in no request's trace.
    return this.tracer === null ? this.connectUpstream(address) : this.tracer.outside(() => this.connectUpstream(address));
  }

  private connectUpstream(address: BrokerAddress): UpstreamConnection {
    const brokerZone = this.zones.brokerZone(address);
    const upstream = this.connector.open(address, this, {
      log: this.log,
      zoneTally: brokerZone === null ? undefined : this.sessionZone.tallyFor(brokerZone),
      streamMinFrameBytes: this.streamMinFrameBytes,
    });
    if (this.clientWriteFull) upstream.pauseReading();
    return upstream;
  }

  /** Called by an exchange when its upstream response arrives. */
  onExchangeResponse(exchange: ClientExchange, frame: Buffer): void {
    if (this.closed) return;
    exchange.trace?.forwardAnswered(frame.length);
    writeResponseCorrelationId(frame, exchange.correlationId);
    try {
      exchange.response = this.router.rewriteResponse(this, exchange, frame);
    } catch (err) {
      this.close('bad_backend_response', err);
      return;
    }
    this.flush();
    this.updateReadState();
  }

  /** Called by an exchange when a large response begins: a stream for it, or null to take it whole. */
  startResponseStream(exchange: ClientExchange, frameBytes: number): UpstreamResponseStream | null {
    if (this.closed || this.router.streamResponse === undefined) return null;
    const trace = exchange.trace;
    trace?.forwardAnswered(frameBytes);
    const stream = new ClientResponseStream(this, exchange.correlationId);
    let rewriter: ResponseStream | null;
    try {
      rewriter = this.router.streamResponse(this, exchange, frameBytes, stream);
    } catch (err) {
      this.close('internal_error', err);
      return null;
    }
    if (rewriter === null) return null;
    stream.attach(rewriter);
    exchange.stream = stream;
    // A streamed response keeps the broker's length.
    trace?.setResponseBytes(frameBytes);
    // It may be the oldest response already: then its bytes go out as they come.
    this.flush();
    return stream;
  }

  /** Called by an exchange when its upstream failed before answering. */
  onExchangeFailure(exchange: ClientExchange, err: UpstreamError): void {
    if (this.closed || !exchange.expectResponse) return;
    const trace = exchange.trace;
    if (trace !== null) {
      trace.forwardFailed(err.kind, err);
      trace.failedUpstream(err.kind);
    }
    if (exchange.stream !== null) {
      // Part of the response is out: nothing else can follow it on this connection.
      if (exchange.stream.hasWritten) {
        this.close('upstream_failed', err);
        return;
      }
      exchange.stream = null;
    }
    let response: Buffer | null = null;
    try {
      response = this.router.failureResponse(this, exchange, err);
    } catch {
      response = null;
    }
    if (response === null) {
      this.close('upstream_failed', err);
      return;
    }
    exchange.response = response;
    this.flush();
    this.updateReadState();
  }

  onUpstreamDrain(upstream: UpstreamConnection): void {
    if (this.fullUpstreams.delete(upstream)) this.updateReadState();
  }

  onUpstreamClosed(upstream: UpstreamConnection): void {
    if (this.upstreams.get(upstream.brokerId) === upstream) this.upstreams.delete(upstream.brokerId);
    const key = `${upstream.backend}/${upstream.brokerId}`;
    if (this.destinationUpstreams.get(key) === upstream) this.destinationUpstreams.delete(key);
    if (this.fullUpstreams.delete(upstream)) this.updateReadState();
  }

  /** Writes a streamed response's bytes (its exchange is the oldest in the queue). */
  writeToClient(bytes: Buffer): void {
    if (this.closed) return;
    this.metrics.clientBytesOut(bytes.length);
    this.socket.write(bytes);
    // Within one turn libuv may read a broker's socket many times over; a slow client must
    // stop those reads as soon as its buffer is full, not after the turn.
    this.afterClientWrite();
  }

  batchClientWrites(): void {
    if (this.closed || this.writesBatched) return;
    this.writesBatched = true;
    this.socket.cork();
    setImmediate(this.releaseClientWrites);
  }

  /** Ends a turn's batch (see `batchClientWrites`); bound once, so no closure per turn. */
  private readonly releaseClientWrites = (): void => {
    this.writesBatched = false;
    if (this.closed) return;
    this.socket.uncork();
    this.afterClientWrite();
  };

  onStreamError(err: unknown): void {
    this.close('bad_backend_response', err);
  }

  /** A streamed response has emitted its last byte: release it and whatever waited behind it. */
  onStreamDone(): void {
    if (this.closed) return;
    this.flush();
    this.updateReadState();
  }

  private flush(): void {
    let exchange: ClientExchange | undefined;
    const now = performance.now();
    while (!this.closed && (exchange = this.queue.peek()) !== undefined) {
      const response = exchange.response;
      if (response !== null) {
        this.queue.shift();
        this.metrics.clientBytesOut(response.length);
        if (response.length > 0) this.socket.write(response);
        if (exchange.trace !== null) exchange.trace.answered(response.length);
        if (exchange.closeAfter !== null) this.scheduleClose(exchange.closeAfter);
      } else {
        const stream = exchange.stream;
        if (stream === null) break;
        stream.goLive();
        if (!stream.isDone) break;
        this.queue.shift();
        exchange.stream = null;
        if (exchange.trace !== null) exchange.trace.answered(-1);
      }
      if (exchange.apiKey !== RAW_FRAME_API_KEY) this.metrics.requestCompleted(exchange.apiKey, (now - exchange.receivedAtMs) / 1000);
    }
    if (this.closed) return;
    this.afterClientWrite();
    if (this.draining && this.queue.size === 0) this.close('shutdown');
  }

  /** Stops reading from upstreams while the client's write buffer is over the high-water mark. */
  private afterClientWrite(): void {
    if (this.closed) return;
    // While batched, the buffer holds this turn's writes, which may yet all go out when the
    // batch ends; once they alone reach the high-water mark, waiting for that gains nothing.
    // Either way 'drain' follows (the buffer is past the stream's own mark), and resumes reads.
    const full = this.socket.writableNeedDrain && this.socket.writableLength >= this.limits.writeHighWaterBytes;
    if (full && !this.clientWriteFull) {
      this.clientWriteFull = true;
      for (const upstream of this.upstreams.values()) upstream.pauseReading();
      for (const upstream of this.destinationUpstreams.values()) upstream.pauseReading();
    }
  }

  private onClientDrain(): void {
    if (!this.clientWriteFull || this.closed) return;
    this.clientWriteFull = false;
    for (const upstream of this.upstreams.values()) upstream.resumeReading();
    for (const upstream of this.destinationUpstreams.values()) upstream.resumeReading();
    this.updateReadState();
  }

  private updateReadState(): void {
    if (this.closed) return;
    const pause =
      this.draining ||
      this.closeScheduled ||
      this.queue.size >= this.limits.maxInFlightRequests ||
      this.fullUpstreams.size > 0 ||
      this.clientWriteFull;
    if (pause && !this.readPaused) {
      this.readPaused = true;
      this.reader.pause();
      this.socket.pause();
    } else if (!pause && this.readPaused) {
      this.readPaused = false;
      this.socket.resume();
      try {
        this.reader.resume();
      } catch (err) {
        this.closeOnReadError(err);
      }
    }
  }
}

/** Routes a traced request (RequestTracer.runWithin): a function, not a closure per request. */
function routeThrough(router: RequestRouter, session: ClientSession, exchange: RequestExchange): void {
  router.routeRequest(session, exchange);
}

/** The client's IP address as ACL host rules match it: an IPv4 client on a dual-stack socket without its `::ffff:` prefix. */
function clientHostOf(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return '';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.') ? remoteAddress.slice(7) : remoteAddress;
}

/** A raw reply as a frame: its size, then its bytes. */
function withSizePrefix(reply: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(SIZE_PREFIX_BYTES + reply.length);
  framed.writeInt32BE(reply.length, 0);
  reply.copy(framed, SIZE_PREFIX_BYTES);
  return framed;
}
