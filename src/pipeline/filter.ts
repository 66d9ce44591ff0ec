// The contract of a request filter. An ordered chain of filters (pipeline.ts) runs in front of
// the routing, the same for one backend and for several. A filter names the api keys it wants;
// a request no filter wants never reaches one and stays opaque bytes. For each request it
// wants, a filter returns one outcome:
//
//   forward   let it through (optionally replaced, optionally with its response rewritten)
//   answer    answer it here; nothing is forwarded
//   deny      part of it is refused: the allowed part goes on, the denied part is answered
//             with Kafka's error, and the two answers are merged in the client's order
//   hold      wait until a promise settles, then ask this filter again
//   close     close the client connection, with a logged reason
//
// Filters never touch sockets or upstreams: the client connection carries out the outcome.
import type { KafkaPrincipal } from '../auth/principal.js';
import type { AnyRequest, AnyResponse, DecodedRequestHeader } from '../codec/index.js';
import type { Logger } from '../observability/logger.js';

/** The TLS facts of a client connection. */
export interface TlsPeer {
  /** The client certificate's subject in RFC 2253 form (`CN=alice,OU=eng,O=acme`), or null when the client sent none. */
  readonly subject: string | null;
  /** Whether a client certificate was sent and verified against the listener's trusted CAs. */
  readonly authorized: boolean;
}

/** A slot of per-connection state for one filter; `init` makes it on first use. */
export class FilterStateKey<T> {
  readonly name: string;
  readonly init: () => T;
  constructor(name: string, init: () => T) {
    this.name = name;
    this.init = init;
  }
}

/** Closes the connection once the answer is written, after `delayMs` (a broker's delay after a failed login). */
export interface CloseAfter {
  readonly reason: string;
  readonly message: string;
  readonly delayMs: number;
}

/** What a raw frame handler (`FilterSession.takeRawFrames`) makes of one frame. */
export interface RawFrameResult {
  /** Bytes to send back (the connection adds the size prefix), or null for none. */
  readonly reply: Buffer | null;
  /** True when Kafka request framing resumes with the next frame. */
  readonly done: boolean;
  /** Set to close the connection once the reply is written. */
  readonly close?: CloseAfter;
}

/** Takes one raw frame (size prefix removed). */
export type RawFrameHandler = (frame: Buffer) => RawFrameResult | Promise<RawFrameResult>;

/** What a filter may know about, and change on, the client connection. */
export interface FilterSession {
  readonly connId: number;
  readonly log: Logger;
  readonly listenerName: string;
  /** The client's IP address without the port, as ACL host rules match it. */
  readonly clientHost: string;
  /** Set when the listener terminates TLS. */
  readonly tls: TlsPeer | null;
  /** Who the client is: `User:ANONYMOUS` until TLS or SASL establishes otherwise. */
  principal: KafkaPrincipal;
  /** This connection's state for one filter, made on first use. */
  filterState<T>(key: FilterStateKey<T>): T;
  /**
   * Takes the next frames off Kafka's request framing: each reaches `handler` as raw bytes
   * until a result says `done`. SaslHandshake v0 needs this: its SASL tokens travel as bare
   * size-prefixed frames without a request header. Requests already in flight finish first.
   */
  takeRawFrames(handler: RawFrameHandler): void;
  /**
   * Closes the connection at `deadline.atMs` (Date.now() time) unless replaced or cleared
   * (null) before: a client that never finishes authenticating is closed this way.
   */
  setDeadline(deadline: Deadline | null): void;
  /**
   * Caps the size of the client's next frames; null restores the configured cap. A broker
   * reads at most 512 KiB from a client that has not logged in (sasl.server.max.receive.size),
   * so a connection of a listener that requires a login starts capped, and the filter that
   * logs the client in lifts it.
   */
  setFrameLimit(maxFrameBytes: number | null): void;
}

/** When a connection is closed if nothing clears the deadline first. */
export interface Deadline {
  readonly atMs: number;
  readonly reason: string;
  readonly message: string;
}

/** One client request as filters see it. */
export interface FilterRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /**
   * The frame that will be forwarded, size prefix included (an earlier filter may have replaced
   * it). Reading it may join a frame that arrived in pieces: a filter that needs only the first
   * fields reads `head`.
   */
  readonly frame: Buffer;
  /** The frame's first bytes, joining nothing: the whole frame, or at least its first 512 bytes. */
  readonly head: Buffer;
  /** The header (client id included) and body, decoded once and shared by every filter. Throws DecodeError. */
  decoded(): DecodedFilterRequest;
  /** A response frame for this request carrying the client's correlation id. Throws EncodeError. */
  respond(body: AnyResponse): Buffer;
}

export interface DecodedFilterRequest {
  readonly header: DecodedRequestHeader;
  readonly body: AnyRequest;
}

/** Rewrites the whole response to a forwarded request (size prefix and client's correlation id included). */
export type ResponseTransform = (response: Buffer) => Buffer;

/**
 * A request split into what a filter allows and what it denies. Built per api by whoever
 * denies (the ACL filter), since only the api knows its partitions and errors.
 */
export interface PartialDenial {
  /** The request with only its allowed part (client's correlation id), or null when nothing in it is allowed. */
  readonly allowed: Buffer | null;
  /** The answer when nothing is allowed: every denied part with its error. */
  answerAll(): Buffer;
  /** The answer to the allowed part with the denied parts' errors merged in, in the client's order. */
  merge(response: Buffer): Buffer;
  /**
   * Set for a request that gets no answer (Produce acks=0): close the connection after
   * forwarding the allowed part, as a broker does when an acks=0 produce fails in part.
   */
  readonly closeIfNoResponse?: CloseAfter;
}

export type FilterOutcome =
  | {
      readonly kind: 'forward';
      /** A replacement request frame (client's correlation id). */
      readonly request?: Buffer;
      /** Rewrites the response on its way back; the response is then taken whole, never streamed. */
      readonly onResponse?: ResponseTransform;
      /**
       * Called instead of `onResponse` when the request ends without its response (its client
       * connection closed first): what the filter counted for it is released here. Exactly one
       * of the two runs, once.
       */
      readonly onAbandoned?: () => void;
      /** The request gets no answer from anyone (Produce acks=0). */
      readonly noResponse?: true;
    }
  | {
      readonly kind: 'answer';
      readonly response: Buffer | Promise<Buffer>;
      readonly thenClose?: CloseAfter;
    }
  | { readonly kind: 'deny'; readonly denial: PartialDenial }
  | {
      readonly kind: 'hold';
      readonly until: Promise<unknown>;
      /** Called when the request is abandoned while held (its client connection closed): it is never asked about again. */
      readonly onAbandoned?: () => void;
    }
  | { readonly kind: 'close'; readonly reason: string; readonly message: string };

/** Let the request through unchanged. */
export const FORWARD: FilterOutcome = Object.freeze({ kind: 'forward' });
/** Let the request through; it gets no answer. */
export const FORWARD_WITHOUT_RESPONSE: FilterOutcome = Object.freeze({ kind: 'forward', noResponse: true });

export interface RequestFilter {
  /** Names the filter in logs and metrics. */
  readonly name: string;
  /**
   * Whether this filter sees requests of `apiKey` in `apiVersion`. Asked per request, so it
   * may follow the policy (unless `fixedInterest`); a request no filter wants costs the
   * pipeline nothing.
   */
  wants(apiKey: number, apiVersion: number): boolean;
  /**
   * True when `wants` depends on the api key alone and never changes for this filter: the
   * pipeline asks it once per api key instead of per request. (default: false)
   */
  readonly fixedInterest?: boolean;
  /** Decides on one request. A throw of DecodeError closes the connection as a malformed request. */
  onRequest(request: FilterRequest, session: FilterSession): FilterOutcome;
}
