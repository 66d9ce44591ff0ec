// The span of one sampled client request (kind SERVER, `kafka.Produce`): from the moment its
// frame is read until its response is written, or it is dropped (acks=0) or its connection
// closes. Its children (kind CLIENT, named for the api they send) are the requests Turnout
// sends to brokers on its behalf: the forwarded request itself, or each part of a split one.
// Only sampled requests get one: every method here runs for them alone.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { principalString, type KafkaPrincipal } from '../auth/principal.js';
import { REQUEST_API_KEY_OFFSET, REQUEST_API_VERSION_OFFSET } from '../net/correlation.js';
import type { FramePieces } from '../net/frame-pieces.js';
import type { FilterOutcome } from '../pipeline/filter.js';
import { SPAN_ATTR, SPAN_EVENT, type RouteKind } from './span-attributes.js';

/** What a span reads of the client connection a request came on. */
export interface TracedSession {
  readonly listenerName: string;
  /** Virtual node the client connected to, or -1 for the bootstrap port. */
  readonly virtualNodeId: number;
  readonly clientHost: string;
  /** Read when the span ends: a SASL login changes it. */
  readonly principal: KafkaPrincipal;
}

/** Where an upstream request goes. */
export interface UpstreamTarget {
  readonly backend: string;
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
}

/**
 * Now, in ms since the epoch, on the monotonic clock. Every span's start, events and end are
 * given from it: the SDK anchors each span to the wall clock on its own, a millisecond apart at
 * worst, which would put sub-millisecond children outside their parent.
 */
export function spanClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The api names spans are called by, `kafka.<Api>`, by api key. */
export interface SpanNames {
  of(apiKey: number): string;
  api(apiKey: number): string;
}

const SEVERAL_BROKERS = -2;

export class RequestSpan {
  readonly span: Span;
  private readonly tracer: Tracer;
  private readonly names: SpanNames;
  private readonly session: TracedSession;
  private parentContext: Context | null = null;
  /** The child span of a forwarded request, until its answer starts. */
  private forwardChild: Span | null = null;
  private upstreams = 0;
  /** The backends upstream requests went to, comma-separated in the order first used. */
  private backends: string | null = null;
  private firstBackend = '';
  /** The one broker every upstream request went to, or SEVERAL_BROKERS. */
  private brokerId = -1;
  private responseBytes = -1;
  private ended = false;

  constructor(span: Span, tracer: Tracer, names: SpanNames, session: TracedSession) {
    this.span = span;
    this.tracer = tracer;
    this.names = names;
    this.session = session;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Notes a pipeline filter's decision other than a plain forward. */
  filterDecided(filter: string, outcome: FilterOutcome): void {
    switch (outcome.kind) {
      case 'forward':
        return;
      case 'deny':
        this.span.addEvent(SPAN_EVENT.filterPrefix + outcome.kind, { [SPAN_ATTR.filter]: filter, [SPAN_ATTR.denied]: outcome.denial.allowed === null ? 'all' : 'part' }, spanClockMs());
        return;
      case 'close':
        this.span.addEvent(SPAN_EVENT.filterPrefix + outcome.kind, { [SPAN_ATTR.filter]: filter, [SPAN_ATTR.closeReason]: outcome.reason }, spanClockMs());
        return;
      default:
        this.span.addEvent(SPAN_EVENT.filterPrefix + outcome.kind, { [SPAN_ATTR.filter]: filter }, spanClockMs());
    }
  }

  /** A held request goes back to the pipeline. */
  resumed(): void {
    this.span.addEvent(SPAN_EVENT.resumed, spanClockMs());
  }

  routed(route: RouteKind): void {
    this.span.setAttribute(SPAN_ATTR.route, route);
  }

  /** The request is forwarded whole to a broker: its child span runs until the answer starts. */
  forwarded(target: UpstreamTarget, frame: Buffer, expectResponse: boolean): void {
    const child = this.startUpstream(target, frame);
    if (expectResponse) this.forwardChild = child;
    else child.end(spanClockMs());
  }

  /** The forwarded request's answer has started to arrive: `frameBytes` long. */
  forwardAnswered(frameBytes: number): void {
    const child = this.forwardChild;
    if (child === null) return;
    this.forwardChild = null;
    child.setAttribute(SPAN_ATTR.responseBytes, frameBytes);
    child.end(spanClockMs());
  }

  forwardFailed(reason: string, err: unknown): void {
    const child = this.forwardChild;
    if (child === null) return;
    this.forwardChild = null;
    failSpan(child, reason, err);
    child.end(spanClockMs());
  }

  /** A request Turnout sends to a broker for this one (a part of a split request, a lookup): its child span, ended by `upstreamSettled`. */
  upstreamStarted(target: UpstreamTarget, frame: Buffer | FramePieces): Span {
    return this.startUpstream(target, frame);
  }

  /** Ends `child` when its answer arrives or it fails; resolves and rejects as `pending` does. */
  upstreamSettled(child: Span, pending: Promise<Buffer>): Promise<Buffer> {
    return pending.then(
      (response) => {
        child.setAttribute(SPAN_ATTR.responseBytes, response.length);
        child.end(spanClockMs());
        return response;
      },
      (err: unknown) => {
        failSpan(child, errorReasonOf(err), err);
        child.end(spanClockMs());
        throw err;
      },
    );
  }

  /** A request sent to a broker that gets no answer (acks=0): its child span ends at once. */
  upstreamSent(target: UpstreamTarget, frame: Buffer | FramePieces): void {
    this.startUpstream(target, frame).end(spanClockMs());
  }

  /** The size of the response the client gets, when it is known before it is written (a streamed one). */
  setResponseBytes(n: number): void {
    this.responseBytes = n;
  }

  /** The response has been written to the client: `responseBytes`, or -1 for the size set before. */
  answered(responseBytes: number): void {
    if (responseBytes >= 0) this.responseBytes = responseBytes;
    this.end();
  }

  /** The request gets no response (acks=0), and has been sent on. */
  dropped(): void {
    this.end();
  }

  /** An upstream failure was answered with a retriable error. */
  failedUpstream(reason: string): void {
    this.span.setAttribute(SPAN_ATTR.errorType, reason);
  }

  /** The connection closed before the response was written. */
  closed(reason: string, err?: unknown): void {
    if (this.ended) return;
    this.span.setAttribute(SPAN_ATTR.closeReason, reason);
    failSpan(this.span, reason, err);
    this.forwardFailed(reason, err);
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    const span = this.span;
    span.setAttribute(SPAN_ATTR.principal, principalString(this.session.principal));
    if (this.responseBytes >= 0) span.setAttribute(SPAN_ATTR.responseBytes, this.responseBytes);
    if (this.upstreams > 0) {
      span.setAttribute(SPAN_ATTR.upstreamCount, this.upstreams);
      if (this.backends !== null) span.setAttribute(SPAN_ATTR.backend, this.backends);
      if (this.brokerId >= 0) span.setAttribute(SPAN_ATTR.brokerId, this.brokerId);
    }
    span.end(spanClockMs());
  }

  private startUpstream(target: UpstreamTarget, frame: Buffer | FramePieces): Span {
    this.noteDestination(target);
    if (this.parentContext === null) this.parentContext = trace.setSpan(ROOT_CONTEXT, this.span);
    // A frame in pieces has its header in the first.
    const head = Buffer.isBuffer(frame) ? frame : frame.head;
    const apiKey = head.readInt16BE(REQUEST_API_KEY_OFFSET);
    const child = this.tracer.startSpan(this.names.of(apiKey), { kind: SpanKind.CLIENT, startTime: spanClockMs() }, this.parentContext);
    child.setAttributes({
      [SPAN_ATTR.messagingSystem]: 'kafka',
      [SPAN_ATTR.apiKey]: apiKey,
      [SPAN_ATTR.apiName]: this.names.api(apiKey),
      [SPAN_ATTR.apiVersion]: head.readInt16BE(REQUEST_API_VERSION_OFFSET),
      [SPAN_ATTR.backend]: target.backend,
      [SPAN_ATTR.brokerId]: target.brokerId,
      [SPAN_ATTR.serverAddress]: target.host,
      [SPAN_ATTR.serverPort]: target.port,
      [SPAN_ATTR.requestBytes]: frame.length,
    });
    return child;
  }

  private noteDestination(target: UpstreamTarget): void {
    this.upstreams += 1;
    if (this.backends === null) {
      this.backends = target.backend;
      this.firstBackend = target.backend;
      this.brokerId = target.brokerId;
      return;
    }
    if (target.backend !== this.firstBackend || target.brokerId !== this.brokerId) this.brokerId = SEVERAL_BROKERS;
    if (!this.backends.split(',').includes(target.backend)) this.backends += `,${target.backend}`;
  }
}

/** The reason an upstream request failed: an UpstreamError's kind, else the error's name. */
function errorReasonOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'kind' in err && typeof err.kind === 'string') return err.kind;
  return err instanceof Error ? err.name : 'error';
}

function failSpan(span: Span, reason: string, err: unknown): void {
  span.setAttribute(SPAN_ATTR.errorType, reason);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : reason });
}
