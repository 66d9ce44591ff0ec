// Fetch over several backends: split per destination (backend + real leader), topic ids and
// leader epochs translated, answers merged in the client's order as soon as the answers in
// hand hold minBytes or an error.
import { ApiKey, decodeFetchRequest, decodeFetchResponse, encodeFetchRequest, encodeFetchResponse, type DecodedRequestHeader, type FetchRequest, type FetchResponse } from '../../codec/index.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_ID } from '../error-codes.js';
import { fetchResponseBytes, mergeFetchResponses, NOT_ANSWERED, type FetchOutcome } from '../fetch-merge.js';
import { splitFetchRequest } from '../fetch-split.js';
import { fetchPartitionEpochsToReal, fetchPartitionEpochsToVirtual } from '../leader-epoch-rewrite.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../message-frames.js';
import { DestinationFailure, type PartitionRoute } from '../split-route.js';
import { fetchRequestTopicIdsToReal, fetchResponseTopicIdsToVirtual, fetchTopicName } from '../topic-id-rewrite.js';
import { destinationOf, failureOf, parseDestination } from './destinations.js';
import type { MultiContext } from './multi-context.js';

/** True when a Fetch answer has a top-level or partition error (a broker answers those at once). */
function hasPartitionError(res: FetchResponse): boolean {
  if (res.errorCode !== 0) return true;
  for (const t of res.responses) for (const p of t.partitions) if (p.errorCode !== 0) return true;
  return false;
}

export async function fetch(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeFetchRequest);
  const policy = ctx.policy();
  const split = splitFetchRequest(body, v, (t, p): PartitionRoute => {
    const name = fetchTopicName(t, v, ctx.topicIds);
    if (name === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
    const backend = ctx.backendOfTopic(name, policy);
    if (typeof backend !== 'string') return backend;
    if (v >= 13 && ctx.topicIds.realIdOf(t.topicId, backend) === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
    const err = fetchPartitionEpochsToReal(p, v, name, backend, ctx.epochs);
    if (err !== 0) return { errorCode: err };
    const leader = ctx.leaders.leaderOf(backend, name, p.partition);
    if (leader < 0) return { errorCode: NOT_LEADER_OR_FOLLOWER };
    return destinationOf(backend, leader);
  });
  const minBytes = Math.max(1, body.minBytes);
  // Topic ids to each destination backend's real ids, once: both rounds below reuse them.
  const requests = split.parts.map((part) => {
    fetchRequestTopicIdsToReal(part.request, v, parseDestination(part.destination).backend, ctx.topicIds);
    return part.request;
  });
  let ready: FetchOutcome[];
  if (requests.length > 1 && body.maxWaitMs > 0) {
    // Several destinations: first take what every one of them holds now (maxWait 0), so
    // data that is already there is served together. Answering at the first destination with
    // data would drop the others' answers, already read and sent, and the client would fetch
    // them again: on a busy topic that costs most of the throughput.
    const started = Date.now();
    const now = await Promise.all(split.parts.map((part, i) => fetchPart(ctx, session, header, { ...(requests[i] as FetchRequest), maxWaitMs: 0 }, part.destination, v)));
    ready = heldBytes(now, minBytes) >= minBytes ? now : await firstReady(ctx, session, header, split.parts, requests, Math.max(0, body.maxWaitMs - (Date.now() - started)), minBytes, v);
  } else {
    ready = await firstReady(ctx, session, header, split.parts, requests, body.maxWaitMs, minBytes, v);
  }
  const merged = mergeFetchResponses(split, ready);
  return encodeResponseFrame(ApiKey.Fetch, v, { correlationId: ex.correlationId }, merged, encodeFetchResponse);
}

/** Bytes the outcomes in hand count toward minBytes; an error or a failure counts as enough (a broker answers those at once). */
function heldBytes(outcomes: readonly FetchOutcome[], minBytes: number): number {
  let bytes = 0;
  for (const o of outcomes) {
    if (o instanceof DestinationFailure) return minBytes;
    if (o !== NOT_ANSWERED) bytes += fetchResponseBytes(o) + (hasPartitionError(o) ? minBytes : 0);
  }
  return bytes;
}

/**
 * Long-polls every destination (up to maxWaitMs for minBytes of its own) and resolves as soon
 * as the answers in hand hold minBytes, or an error, or all have answered. A destination
 * without an answer by then counts as "no data yet" and its late answer is dropped (harmless
 * for sessionless consumer fetches), so data from one broker is not held back by an idle one.
 */
function firstReady(ctx: MultiContext, session: ClientSession, header: DecodedRequestHeader, parts: readonly { destination: string }[], requests: readonly FetchRequest[], maxWaitMs: number, minBytes: number, v: number): Promise<FetchOutcome[]> {
  const outcomes: FetchOutcome[] = parts.map(() => NOT_ANSWERED);
  return new Promise<FetchOutcome[]>((resolve) => {
    let pending = parts.length;
    if (pending === 0) resolve(outcomes);
    parts.forEach((part, i) => {
      void fetchPart(ctx, session, header, { ...(requests[i] as FetchRequest), maxWaitMs }, part.destination, v).then((o) => {
        outcomes[i] = o;
        pending -= 1;
        if (pending === 0 || heldBytes(outcomes, minBytes) >= minBytes) resolve(outcomes.slice());
      });
    });
  });
}

/** One destination's part of a Fetch: its answer in the client's terms, or why there is none. Never rejects. */
async function fetchPart(ctx: MultiContext, session: ClientSession, header: DecodedRequestHeader, request: FetchRequest, destination: string, v: number): Promise<FetchOutcome> {
  const { backend, brokerId } = parseDestination(destination);
  try {
    const frame = encodeRequestFrame(header, request, encodeFetchRequest);
    const res = await ctx.send(session, ctx.addressOf(backend, brokerId), frame);
    const answer = decodeResponseFrame(res, ApiKey.Fetch, v, decodeFetchResponse).body;
    fetchAnswerToVirtual(ctx, session, answer, v, backend, brokerId);
    return answer;
  } catch (err) {
    ctx.log.debug({ err, destination }, 'fetch part failed');
    return failureOf(err);
  }
}

function fetchAnswerToVirtual(ctx: MultiContext, session: ClientSession, answer: FetchResponse, v: number, backend: string, brokerId: number): void {
  fetchResponseTopicIdsToVirtual(answer, v, backend, ctx.topicIds);
  const named = new Set<number>();
  for (const t of answer.responses) {
    const name = fetchTopicName(t, v, ctx.topicIds);
    if (name === undefined) continue;
    for (const p of t.partitions) {
      if (p.errorCode === NOT_LEADER_OR_FOLLOWER) ctx.leaders.forgetBroker(backend, brokerId);
      fetchPartitionEpochsToVirtual(p, name, backend, ctx.epochs);
      if (p.preferredReadReplica >= 0) p.preferredReadReplica = -1;
      if (p.currentLeader !== undefined && p.currentLeader.leaderId >= 0) {
        p.currentLeader.leaderId = ctx.virtualLeaderOf(name, p.partitionIndex);
        named.add(p.currentLeader.leaderId);
      }
    }
  }
  if (answer.nodeEndpoints !== undefined) answer.nodeEndpoints = ctx.endpointsOf(session, named);
}
