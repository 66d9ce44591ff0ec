// The request pipeline: an ordered chain of filters (filter.ts) in front of a router, itself a
// router to the client connection. A request whose api key no filter wants goes straight to
// the router, untouched. Otherwise each filter that wants it decides in turn, and the pipeline
// carries out the outcome:
//
//   forward   the next filter (a replaced frame is what it sees); a response transform is kept
//   answer    the request is answered here, the router never sees it
//   deny      the denied part is answered here; the allowed part goes on; the answers are
//             merged once the router's answer is in
//   hold      the connection keeps the request in its place and hands it back once the promise
//             settles; the same filter then decides again
//   close     the connection closes, with the filter's reason
//
// Response transforms (from forward and deny) apply in reverse filter order, whether the
// router answers locally, later, by forwarding, or with a failure answer; such a response is
// taken whole, never streamed. A request whose connection closes before its response is made
// is abandoned instead: the forward outcomes' abandon hooks run (once, and never after the
// transforms), and so does the hook of the hold it waits in, if any, so that what a filter
// counts for a request in flight or held is always released.

// Node's globals `Buffer` and `performance` are accessors, called on every use: the request
// path takes the modules' bindings instead.
import { Buffer } from 'node:buffer';
import { DecodeError, EncodeError } from '../codec/index.js';
import {
  RequestRejectedError,
  type BrokerAddress,
  type ClientSession,
  type RequestExchange,
  type RequestRouter,
  type ResponseBytesSink,
  type ResponseStream,
} from '../net/request-router.js';
import type { UpstreamError } from '../net/upstream-connection.js';
import { FORWARD, type CloseAfter, type FilterOutcome, type RequestFilter, type ResponseTransform } from './filter.js';
import { PipelineRequest } from './pipeline-request.js';

/** What the pipeline remembers of one request between routing and its answer. */
class PipelineProgress {
  readonly request: PipelineRequest;
  /** The filter to ask next (after a hold: the one that held). */
  nextFilter = 0;
  /** Response transforms in filter order; applied last to first. */
  transforms: ResponseTransform[] | null = null;
  /** Close after forwarding a request that gets no answer (acks=0 produce denied in part). */
  closeIfNoResponse: CloseAfter | null = null;
  /** Run when the request is abandoned before its response is made. */
  private abandonHooks: Array<() => void> | null = null;
  /** Run when the request is abandoned while a filter holds it; cleared when the filter is asked again. */
  heldAbandonHook: (() => void) | null = null;
  /** Its response was made: it is no longer abandoned when its connection closes. */
  private answered = false;
  /** Abandoned: a response made after that goes nowhere, and its transforms do not run. */
  private abandoned = false;

  constructor(request: PipelineRequest) {
    this.request = request;
  }

  addTransform(t: ResponseTransform): void {
    if (this.transforms === null) this.transforms = [t];
    else this.transforms.push(t);
  }

  addAbandonHook(hook: () => void): void {
    if (this.abandonHooks === null) this.abandonHooks = [hook];
    else this.abandonHooks.push(hook);
  }

  apply(response: Buffer): Buffer {
    if (this.abandoned) return response;
    this.answered = true;
    const ts = this.transforms;
    if (ts === null) return response;
    let out = response;
    for (let i = ts.length - 1; i >= 0; i--) out = ts[i](out);
    return out;
  }

  abandon(): void {
    if (this.answered || this.abandoned) return;
    this.abandoned = true;
    const held = this.heldAbandonHook;
    this.heldAbandonHook = null;
    held?.();
    for (const hook of this.abandonHooks ?? []) hook();
  }
}

/** A filter as the pipeline asks it about the requests of one api key. */
class FilterSlot {
  constructor(
    /** Its place in the pipeline. */
    readonly index: number,
    readonly filter: RequestFilter,
    /** Ask `wants` per request; false: the filter takes every request of the key. */
    readonly ask: boolean,
  ) {}
}

/** Api keys above this get their filter slots worked out per request (none is defined today). */
const MAX_SLOTTED_API_KEY = 1023;

function progressOf(ex: RequestExchange): PipelineProgress | null {
  return ex.pipelineState instanceof PipelineProgress ? ex.pipelineState : null;
}

function hasTransforms(ex: RequestExchange): boolean {
  const p = progressOf(ex);
  return p !== null && p.transforms !== null;
}

export class RequestPipeline implements RequestRouter {
  readonly filters: readonly RequestFilter[];
  private readonly router: RequestRouter;
  /**
   * By api key, the filters that may want its requests, in order. Each request asks only the
   * filters whose interest can change (`fixedInterest` unset); the others were asked once. One
   * call site asking every filter class in turn was megamorphic: V8 neither inlined the calls
   * nor cached the look-ups.
   */
  private readonly slotsByApiKey: Array<readonly FilterSlot[] | undefined> = [];
  streamResponse?: (session: ClientSession, ex: RequestExchange, frameBytes: number, sink: ResponseBytesSink) => ResponseStream | null;

  constructor(filters: readonly RequestFilter[], router: RequestRouter) {
    this.filters = filters;
    this.router = router;
    // Offered only when the router streams at all: the connection asks nothing otherwise.
    const inner = router.streamResponse;
    if (inner !== undefined) {
      this.streamResponse = (session, ex, frameBytes, sink) => (hasTransforms(ex) ? null : inner.call(router, session, ex, frameBytes, sink));
    }
  }

  routeRequest(session: ClientSession, ex: RequestExchange): void {
    let progress = progressOf(ex);
    // Handed back after a hold: the filter that held it is asked again and settles the hold itself.
    if (progress !== null) progress.heldAbandonHook = null;
    let request = progress === null ? null : progress.request;
    const from = progress === null ? 0 : progress.nextFilter;
    const slots = this.slotsFor(ex.apiKey);
    for (let s = 0; s < slots.length; s++) {
      const slot = slots[s];
      if (slot.index < from) continue;
      const filter = slot.filter;
      if (slot.ask && !filter.wants(ex.apiKey, ex.apiVersion)) continue;
      request ??= new PipelineRequest(ex, ex.apiKey, ex.apiVersion, ex.correlationId);
      const outcome = this.decide(filter, request, session, ex);
      ex.trace?.filterDecided(filter.name, outcome);
      // A plain forward leaves nothing to remember: most requests keep no progress at all.
      if (outcome === FORWARD) continue;
      if (progress === null) {
        progress = new PipelineProgress(request);
        ex.pipelineState = progress;
      }
      if (!this.carryOut(outcome, progress, ex, slot.index)) return;
    }
    this.router.routeRequest(session, ex);
    if (progress === null) return;
    if (progress.transforms !== null) {
      if (ex.response !== null) {
        ex.response = progress.apply(ex.response);
      } else if (ex.deferred !== null) {
        const p = progress;
        ex.deferred = ex.deferred.then((response) => (response === null ? null : p.apply(response)));
      }
    }
    if (!ex.expectResponse && progress.closeIfNoResponse !== null) ex.closeAfter = progress.closeIfNoResponse;
  }

  rewriteResponse(session: ClientSession, ex: RequestExchange, frame: Buffer): Buffer {
    const out = this.router.rewriteResponse(session, ex, frame);
    const p = progressOf(ex);
    return p === null ? out : p.apply(out);
  }

  failureResponse(session: ClientSession, ex: RequestExchange, err: UpstreamError): Buffer | null {
    const out = this.router.failureResponse(session, ex, err);
    const p = progressOf(ex);
    return out === null || p === null ? out : p.apply(out);
  }

  brokerAddress(brokerId: number): BrokerAddress | null {
    return this.router.brokerAddress(brokerId);
  }

  abandon(session: ClientSession, ex: RequestExchange): void {
    progressOf(ex)?.abandon();
    this.router.abandon?.(session, ex);
  }

  private slotsFor(apiKey: number): readonly FilterSlot[] {
    const slotted = apiKey >= 0 && apiKey <= MAX_SLOTTED_API_KEY;
    let slots = slotted ? this.slotsByApiKey[apiKey] : undefined;
    if (slots === undefined) {
      slots = this.buildSlots(apiKey);
      if (slotted) this.slotsByApiKey[apiKey] = slots;
    }
    return slots;
  }

  private buildSlots(apiKey: number): FilterSlot[] {
    const slots: FilterSlot[] = [];
    for (let i = 0; i < this.filters.length; i++) {
      const filter = this.filters[i];
      // A fixed interest does not depend on the version: any one asks for all.
      if (filter.fixedInterest !== true) slots.push(new FilterSlot(i, filter, true));
      else if (filter.wants(apiKey, 0)) slots.push(new FilterSlot(i, filter, false));
    }
    return slots;
  }

  private decide(filter: RequestFilter, request: PipelineRequest, session: ClientSession, ex: RequestExchange): FilterOutcome {
    try {
      return filter.onRequest(request, session);
    } catch (err) {
      if (err instanceof DecodeError || err instanceof EncodeError) {
        throw new RequestRejectedError('malformed_request', ex.apiKey, ex.apiVersion, `${filter.name}: ${err.message}`);
      }
      throw err;
    }
  }

  /** Carries out one outcome; returns whether the next filter (or the router) is to see the request. */
  private carryOut(outcome: FilterOutcome, progress: PipelineProgress, ex: RequestExchange, filterIndex: number): boolean {
    switch (outcome.kind) {
      case 'forward':
        if (outcome.request !== undefined) this.replaceFrame(progress, ex, outcome.request);
        if (outcome.onResponse !== undefined) progress.addTransform(outcome.onResponse);
        if (outcome.onAbandoned !== undefined) progress.addAbandonHook(outcome.onAbandoned);
        if (outcome.noResponse === true) ex.expectResponse = false;
        return true;
      case 'answer':
        this.answer(progress, ex, outcome.response);
        if (outcome.thenClose !== undefined) ex.closeAfter = outcome.thenClose;
        return false;
      case 'deny': {
        const denial = outcome.denial;
        if (denial.allowed === null) {
          this.answer(progress, ex, denial.answerAll());
          if (!ex.expectResponse && denial.closeIfNoResponse !== undefined) ex.closeAfter = denial.closeIfNoResponse;
          return false;
        }
        this.replaceFrame(progress, ex, denial.allowed);
        progress.addTransform((response) => denial.merge(response));
        if (denial.closeIfNoResponse !== undefined) progress.closeIfNoResponse = denial.closeIfNoResponse;
        return true;
      }
      case 'hold':
        progress.nextFilter = filterIndex;
        progress.heldAbandonHook = outcome.onAbandoned ?? null;
        ex.held = outcome.until;
        return false;
      case 'close':
        throw new RequestRejectedError(outcome.reason, ex.apiKey, ex.apiVersion, outcome.message);
    }
  }

  private replaceFrame(progress: PipelineProgress, ex: RequestExchange, frame: Buffer): void {
    progress.request.replaceFrame(frame);
    ex.frame = frame;
  }

  /** Answers here; transforms added by earlier filters still apply. */
  private answer(progress: PipelineProgress, ex: RequestExchange, response: Buffer | Promise<Buffer>): void {
    if (!ex.expectResponse) {
      // A request that gets no answer (acks=0) has nothing to answer: it is dropped.
      ex.deferred = Promise.resolve(null);
      return;
    }
    if (Buffer.isBuffer(response)) ex.response = progress.apply(response);
    else ex.deferred = response.then((r) => progress.apply(r));
  }
}
