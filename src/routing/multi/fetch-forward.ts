// A Fetch whose partitions all go to one broker is forwarded rather than gathered: the
// client's connection sends the (sessionless, real-id) request itself and its answer comes
// back as any forwarded response does, so a large answer streams to the client as it arrives
// (fetch-forward-stream.ts) instead of being held until its last byte and rebuilt. Held whole,
// a large Fetch answer costs two transfer times per round trip, which is most of what a
// consumer through Turnout lost against a direct one.
//
// Only the simplest Fetch is forwarded: one destination, no partition answered locally, no
// partition answered locally, Fetch v11+. A partition read from an offset segment of a
// cut-over topic, older or last, is forwarded like any other: its answer is translated in
// place, and an older segment's records past its end are masked, not cut (fetch-segments.ts).
// Everything else is gathered (fetch.ts). Either way the client gets the same answer for what
// the broker answered: the broker answers every partition of a sessionless request in the
// request's order, which is the client's.
//
// The one destination may be a follower in the client's zone. A follower's answer that only
// the leader can fix (behind, no longer in sync, gone) cannot be fetched again at the leader
// as the gathered path does, since the answer is already on its way: the partition is
// answered PASSED_ON_FOLLOWER_ERROR in place (same length), which the clients only retry, and
// its follower set aside, so that the retry is read from the leader (follower-fetch.ts).
import { ApiKey, decodeFetchResponse, encodeFetchRequest, encodeFetchResponse } from '../../codec/index.js';
import type { BrokerAddress, ClientSession, RequestExchange, ResponseBytesSink, ResponseStream } from '../../net/request-router.js';
import { UpstreamError } from '../../net/upstream-connection.js';
import { mergeFetchResponses } from '../fetch-merge.js';
import type { FetchSplit } from '../fetch-split.js';
import type { FetchTailEvents } from '../fetch-stream-tail.js';
import { decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import { DestinationFailure } from '../split-route.js';
import { failureOf } from './destinations.js';
import { createForwardedFetchStream, FIRST_FORWARD_STREAM_VERSION } from './fetch-forward-stream.js';
import { fetchAnswerToVirtual, followerRetries, gatherFetch, noteAnswer, planFetch, type FetchPlan, type PreparedPart } from './fetch.js';
import { findPartition, PASSED_ON_FOLLOWER_ERROR } from './follower-fetch.js';
import type { MultiContext } from './multi-context.js';

/** What a forwarded Fetch carries from routing to its answer (`exchange.routeState`). */
export class ForwardedFetch {
  readonly split: FetchSplit;
  readonly part: PreparedPart;

  constructor(split: FetchSplit, part: PreparedPart) {
    this.split = split;
    this.part = part;
  }
}

/** Routes a client's Fetch: forwarded when one broker serves all of it, else gathered (`exchange.deferred`). */
export function routeFetch(ctx: MultiContext, session: ClientSession, ex: RequestExchange): void {
  const plan = planFetch(ctx, session, ex);
  if (forwardable(plan, ex.apiVersion)) {
    const part = plan.parts[0];
    const address = addressOf(ctx, part);
    if (address !== null) {
      ex.frame = encodeRequestFrame(plan.header, part.request, encodeFetchRequest);
      ex.targetAddress = address;
      ex.routeState = new ForwardedFetch(plan.split, part);
      return;
    }
  }
  ctx.metrics.fetch(plan.parts.length === 0 ? 'local' : 'gathered');
  ex.deferred = gatherFetch(ctx, session, ex, plan);
}

/** The part's broker, or null when the topology no longer knows it (the gathered path answers that). */
function addressOf(ctx: MultiContext, part: PreparedPart): BrokerAddress | null {
  try {
    return ctx.addressOf(part.backend, part.brokerId);
  } catch {
    return null;
  }
}

function forwardable(plan: FetchPlan, version: number): boolean {
  if (version < FIRST_FORWARD_STREAM_VERSION || plan.parts.length !== 1) return false;
  for (const row of plan.split.placement) for (const place of row) if (typeof place !== 'number') return false;
  return true;
}

/** A forwarded Fetch's answer, taken whole, in the client's terms (the correlation id is the client's already). */
export function forwardedFetchAnswer(ctx: MultiContext, session: ClientSession, ex: RequestExchange, state: ForwardedFetch, frame: Buffer): Buffer {
  ctx.metrics.fetch('forwarded_whole');
  const v = ex.apiVersion;
  const answer = decodeResponseFrame(frame, ApiKey.Fetch, v, decodeFetchResponse).body;
  const passedOn = followerRetries(ctx, state.part, answer, v, true);
  for (const r of passedOn) {
    const p = findPartition(answer, r.topicKey, r.partition, v);
    if (p !== undefined) p.errorCode = PASSED_ON_FOLLOWER_ERROR;
  }
  noteAnswer(ctx, session, state.part, answer, passedOn, v);
  // Masked, not cut: the same bytes as the streamed answer, which keeps its length.
  fetchAnswerToVirtual(ctx, session, answer, v, state.part, 'mask');
  return encodeResponseFrame(ApiKey.Fetch, v, { correlationId: ex.correlationId }, mergeFetchResponses(state.split, [answer]), encodeFetchResponse);
}

/**
 * The answer to a forwarded Fetch whose broker failed before answering: its partitions
 * retriable. A follower that failed is set aside for its partitions, which are answered
 * PASSED_ON_FOLLOWER_ERROR (the whole part: the clients' retry goes to the same node, which
 * then reads from the leader); not when Turnout's side closed the connection.
 */
export function forwardedFetchFailure(ctx: MultiContext, ex: RequestExchange, state: ForwardedFetch, err: UpstreamError): Buffer {
  const { part } = state;
  ctx.log.debug({ err, destination: part.destination, followerPartitions: part.followers.size }, 'forwarded fetch failed');
  let failure = failureOf(err);
  if (part.followers.size > 0 && !(err instanceof UpstreamError && err.kind === 'closed')) {
    followerRetries(ctx, part, null, ex.apiVersion, true);
    failure = new DestinationFailure(failure.reason, PASSED_ON_FOLLOWER_ERROR);
  }
  return encodeResponseFrame(ApiKey.Fetch, ex.apiVersion, { correlationId: ex.correlationId }, mergeFetchResponses(state.split, [failure]), encodeFetchResponse);
}

/** Streams a large forwarded Fetch answer to the client, rewritten on the way. */
export function forwardedFetchStream(ctx: MultiContext, session: ClientSession, ex: RequestExchange, state: ForwardedFetch, frameBytes: number, sink: ResponseBytesSink): ResponseStream {
  ctx.metrics.fetch('forwarded_streamed');
  const events: FetchTailEvents = {
    onEndpointsRewritten: () => undefined,
    onEndpointsDropped: (tailBytes, rewrittenTailBytes) =>
      session.log.debug({ tailBytes, rewrittenTailBytes }, 'NodeEndpoints of a streamed Fetch answer did not fit its tail and was left out'),
  };
  return createForwardedFetchStream(ex.apiVersion, frameBytes, { ctx, session, part: state.part, served: ctx.served(session), events }, sink);
}
