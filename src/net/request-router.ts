// The seam between moving bytes (src/net) and deciding about them (src/routing). A client
// connection hands every request to a RequestRouter, which says where it goes, and hands
// every response back to it for rewriting. The router never touches sockets.
import type { CloseAfter, FilterOutcome, FilterSession } from '../pipeline/filter.js';
import type { ZoneSource } from '../policy/zone-resolver.js';
import type { UpstreamError } from './upstream-connection.js';
import type { FramePieces } from './frame-pieces.js';

/**
 * What the router may know about the client connection a request arrived on: what the
 * request filters know (who the client is, from where), and where it connected.
 */
export interface ClientSession extends FilterSession {
  /** Virtual node the client connected to, or -1 for a bootstrap connection. */
  readonly virtualNodeId: number;
  /** Backend broker a bootstrap connection sends its requests to; -1 until the router picks one. */
  anyBrokerId: number;
  /**
   * The client's availability zone (session-zone.ts), null when none is known. It can change
   * during the connection, only ever to a more trusted source. Absent on sessions that stand
   * for no client (test fakes).
   */
  readonly zone?: string | null;
  /** What decided `zone`: client-id-tag, fetch-rack, cidr, listener or none. */
  readonly zoneSource?: ZoneSource;
  /**
   * Sends a request frame to a backend broker over this client's own upstream connection to
   * it (opened on first use), for routers that answer through `exchange.deferred`. Resolves
   * with the response frame (correlation id still Turnout's), or null at once when
   * `expectResponse` is false; rejects with an UpstreamError. A frame in pieces goes out as its
   * pieces, in one write.
   */
  sendUpstream(address: BrokerAddress, frame: Buffer | FramePieces, expectResponse: boolean): Promise<Buffer | null>;
}

/** One request from a client, from arrival to its response being written. */
export interface RequestExchange {
  /**
   * The request frame, size prefix included. The router may replace it with a rewritten one.
   * A frame that arrived over several reads is joined when this is first read: what only
   * needs the header reads `head`.
   */
  frame: Buffer;
  /**
   * The frame's first bytes without joining it: at least the request header's fixed part and
   * up to 512 bytes (`FRAME_PIECES_HEAD_BYTES`), or the whole frame. Absent: read `frame`.
   */
  readonly head?: Buffer;
  readonly apiKey: number;
  readonly apiVersion: number;
  /** The client's correlation id. */
  readonly correlationId: number;
  /** Set by the router to answer locally; the frame must carry the client's correlation id. */
  response: Buffer | null;
  /** Set by the router to false for requests that get no response (produce acks=0). */
  expectResponse: boolean;
  /** Set by the router: the backend broker to forward to. */
  targetBrokerId: number;
  /**
   * Set by a router over several backends instead of `targetBrokerId`: the broker to forward
   * to, reached over the same upstream connection as `sendUpstream` to it. The response then
   * comes back through `rewriteResponse` or `streamResponse` like any forwarded one.
   */
  targetAddress: BrokerAddress | null;
  /** Scratch space for the router, carried from routing to response rewriting. */
  routeState: unknown;
  /**
   * Set by the router to answer later (after requests of its own upstream): resolves with the
   * response frame, carrying the client's correlation id, or null when the request gets no
   * response (then `expectResponse` must be false). A rejection closes the client connection.
   */
  deferred: Promise<Buffer | null> | null;
  /**
   * Set by the request pipeline to hold the request: once the promise settles (either way),
   * the connection hands the request to the router again, in its place in the response order.
   */
  held: Promise<unknown> | null;
  /** Set by the request pipeline: close the connection once this request's answer is written. */
  closeAfter: CloseAfter | null;
  /** Scratch space for the request pipeline, carried from routing to the response. */
  pipelineState: unknown;
  /** Set while the request is traced (sampled): where the pipeline notes its filters' decisions. Null or absent otherwise. */
  readonly trace?: RequestTraceNotes | null;
}

/** What the request pipeline tells a traced request (observability/request-span.ts). */
export interface RequestTraceNotes {
  /** A filter decided `outcome` on the request. */
  filterDecided(filter: string, outcome: FilterOutcome): void;
}

/** Where the rewritten bytes of a streamed response go, in order. */
export interface ResponseBytesSink {
  /** Bytes for the client. The sink may keep `bytes` (a view) until written: do not change it after. */
  emit(bytes: Buffer): void;
}

/**
 * Rewrites one response frame as its bytes arrive and emits it to a sink, holding back only
 * what it has yet to decide on. The frame keeps its length: a streamed rewrite cannot change
 * the size prefix, which has gone to the client already.
 */
export interface ResponseStream {
  /**
   * The next bytes of the frame, size prefix first. The first call holds at least the size and
   * the correlation id (the client's already). Throws on a malformed response.
   */
  write(bytes: Buffer): void;
  /** The frame's last byte has been written: emits what was held back. Throws if the response is incomplete. */
  end(): void;
}

/** Where a backend broker can be reached. */
export interface BrokerAddress {
  backend: string;
  brokerId: number;
  host: string;
  port: number;
}

export interface RequestRouter {
  /**
   * Decides what to do with one request: fill `exchange.response` to answer it locally, or
   * `exchange.targetBrokerId` to forward it. Throws `RequestRejectedError` to close the
   * connection.
   */
  routeRequest(session: ClientSession, exchange: RequestExchange): void;
  /**
   * Rewrites a backend response for the client. `frame` already carries the client's
   * correlation id; return it unchanged when nothing needs rewriting. A throw closes the
   * client connection.
   */
  rewriteResponse(session: ClientSession, exchange: RequestExchange, frame: Buffer): Buffer;
  /**
   * Offered for a large response of `frameBytes` bytes (size prefix included) before its bytes
   * arrive: return a stream that rewrites it on the way to `sink`, or null to get it whole
   * through `rewriteResponse`. Leave out to never stream.
   */
  streamResponse?(session: ClientSession, exchange: RequestExchange, frameBytes: number, sink: ResponseBytesSink): ResponseStream | null;
  /**
   * A retriable Kafka error response for a request whose upstream failed, or null when none
   * can be built for this api (the client connection is then closed, which clients retry).
   */
  failureResponse(session: ClientSession, exchange: RequestExchange, err: UpstreamError): Buffer | null;
  /** Where to connect for a backend broker, or null if it is unknown. */
  brokerAddress(brokerId: number): BrokerAddress | null;
  /**
   * The client connection closed before `exchange`'s response was made (or written): release
   * what routing or a filter holds for it. Leave out when nothing is held per request.
   */
  abandon?(session: ClientSession, exchange: RequestExchange): void;
}

/** Thrown by a router to close the client connection; `reason` labels the close. */
export class RequestRejectedError extends Error {
  readonly reason: string;
  readonly apiKey: number;
  readonly apiVersion: number;
  constructor(reason: string, apiKey: number, apiVersion: number, message: string) {
    super(message);
    this.name = 'RequestRejectedError';
    this.reason = reason;
    this.apiKey = apiKey;
    this.apiVersion = apiVersion;
  }
}
