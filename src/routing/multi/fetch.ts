// Fetch over several backends: split per destination (backend + the replica that serves each
// partition: an in-sync follower in the client's zone when there is one, else the leader;
// zone-routing.ts), topic ids and leader epochs translated, answers merged in the client's
// order as soon as the answers in hand hold minBytes or an error. Follower answers that only
// the leader can fix are fetched again at the leader within the same request
// (follower-fetch.ts). Followers learn the high watermark one replication round after the
// leader, so data fetched from a follower arrives a little later than from the leader.
// A partition of a cut-over topic is read from the segment holding the client's offset, on
// that segment's backend, and its answer translated by the segment (fetch-segments.ts).
import { ApiKey, decodeFetchRequest, decodeFetchResponse, encodeFetchRequest, encodeFetchResponse, type DecodedRequestHeader, type FetchRequest, type FetchResponse } from '../../codec/index.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { UpstreamError } from '../../net/upstream-connection.js';
import { NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_ID } from '../error-codes.js';
import { fetchResponseBytes, mergeFetchResponses, NOT_ANSWERED, type FetchOutcome } from '../fetch-merge.js';
import { splitFetchRequest, type FetchSplit } from '../fetch-split.js';
import { fetchPartitionEpochsToReal, fetchPartitionEpochsToVirtual } from '../leader-epoch-rewrite.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import { DestinationFailure, hasLocalError, NOTHING_YET, type PartitionRoute, type RouteError } from '../split-route.js';
import { fetchRequestTopicIdsToReal, fetchResponseTopicIdsToVirtual, fetchTopicName } from '../topic-id-rewrite.js';
import type { FetchReplica, FollowerRetryReason } from '../../observability/zone-metrics.js';
import { destinationOf, failureOf, parseDestination } from './destinations.js';
import { addSegmentRead, partitionToSegmentVirtual, routeToSegment, segmentReadOf, SegmentRead, type PastSegmentEnd, type SegmentReads } from './fetch-segments.js';
import {
  emptyFetchAnswer,
  findPartition,
  followerKey,
  followerRetryReason,
  leaderRetryRequests,
  replacePartition,
  unansweredPartition,
  wireTopicKey,
  type FollowerPartitions,
  type LeaderRetry,
} from './follower-fetch.js';
import type { MultiContext } from './multi-context.js';
import type { ServedNodes } from '../zone-nodes.js';

/** One destination's part, ready to send: topic ids already the backend's real ones. */
export interface PreparedPart {
  readonly destination: string;
  readonly backend: string;
  readonly brokerId: number;
  readonly request: FetchRequest;
  /** Topic wire key (real id from v13, else name) → name. */
  readonly names: ReadonlyMap<string, string>;
  /** The part's partitions that went to a follower, with their leader. */
  readonly followers: FollowerPartitions;
  /** The part's partitions of cut-over topics, with the segment each reads; null when it has none. */
  readonly segments: SegmentReads | null;
}

/** True when a Fetch answer has a top-level or partition error (a broker answers those at once). */
function hasPartitionError(res: FetchResponse): boolean {
  if (res.errorCode !== 0) return true;
  for (const t of res.responses) for (const p of t.partitions) if (p.errorCode !== 0) return true;
  return false;
}

/** A client's Fetch decoded, split per destination and ready to send. */
export interface FetchPlan {
  readonly header: DecodedRequestHeader;
  readonly body: FetchRequest;
  readonly split: FetchSplit;
  readonly parts: readonly PreparedPart[];
}

/** Decodes and splits a client's Fetch: each partition to the replica that serves it. */
export function planFetch(ctx: MultiContext, session: ClientSession, ex: RequestExchange): FetchPlan {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeFetchRequest);
  const policy = ctx.policy();
  /** destination → `topic/partition` → leader, for partitions sent to a follower. */
  const followers = new Map<string, Map<string, number>>();
  /** destination → the segment each of its chained partitions reads. */
  const segments = new Map<string, SegmentReads>();
  const served = ctx.served(session);
  // A client on one of its nodes is told where each partition's leader is; a bootstrap
  // connection, or a node another zone's clients are shown, is served whatever it asks.
  const onServedNode = session.virtualNodeId >= 0 && served.group.nodeIds.includes(session.virtualNodeId);
  const split = splitFetchRequest(body, v, (t, p): PartitionRoute => {
    const name = fetchTopicName(t, v, ctx.topicIds);
    if (name === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
    const domainBackend = ctx.backendOfTopic(name, policy);
    if (typeof domainBackend !== 'string') return domainBackend;
    const chain = ctx.segments.chainOf(name, p.partition);
    let backend = domainBackend;
    let read: SegmentRead | undefined;
    if (chain === undefined) {
      if (v >= 13 && ctx.topicIds.realIdOf(t.topicId, backend) === undefined) return { errorCode: UNKNOWN_TOPIC_ID };
      const err = fetchPartitionEpochsToReal(p, v, name, backend, ctx.epochs);
      if (err !== 0) return { errorCode: err };
    } else {
      const routed = routeToSegment(ctx, t, p, v, name, chain, domainBackend);
      if (!(routed instanceof SegmentRead)) return routed;
      read = routed;
      backend = read.segment.backend;
    }
    const leader = ctx.leaders.leaderOf(backend, name, p.partition);
    if (leader < 0) {
      // Not known: a segment's backend the clients' Metadata no longer asks, or a broker that
      // said it leads no more. Turnout learns it itself; the client is not sent away for it.
      ctx.zones.refresh?.request(backend, name);
      return NOTHING_YET;
    }
    // A chained partition's leader moves with each switch of its domain, and a client that
    // fetches it from the node it was shown before is served there: NOT_LEADER_OR_FOLLOWER would
    // make a kafkajs consumer rejoin its group (recoverFromFetch), which a cutover must not
    // cause. The client moves to the new node at its next Metadata, as after a leader change
    // it learns of by refreshing; until then its Fetch may have several destinations.
    if (onServedNode && chain === undefined) {
      const moved = movedLeader(ctx, session, served, backend, name, p.partition);
      if (moved !== null) return moved;
    }
    const choice = ctx.zones.readReplica(session, ctx.leaders, backend, name, p.partition, v);
    const destination = destinationOf(backend, choice.brokerId);
    if (choice.follower) {
      let set = followers.get(destination);
      if (set === undefined) followers.set(destination, (set = new Map()));
      set.set(followerKey(name, p.partition), leader);
    }
    if (read !== undefined) {
      let reads = segments.get(destination);
      if (reads === undefined) segments.set(destination, (reads = new Map()));
      addSegmentRead(reads, name, p.partition, read);
    }
    return destination;
  });
  // Topic ids to each destination backend's real ids, once: both rounds of gatherFetch reuse them.
  const parts = split.parts.map((part) => preparePart(ctx, part.destination, part.request, v, followers.get(part.destination), segments.get(part.destination)));
  return { header, body, split, parts };
}

/**
 * NOT_LEADER_OR_FOLLOWER, naming the partition's leader, when the session's node is not the
 * one it is shown as the partition's leader (the real leader or the replica serving it moved
 * since its Metadata): the client moves the partition as after any leader change, and
 * every node's Fetch keeps one real destination. Null when the session is on the leader's node.
 */
function movedLeader(ctx: MultiContext, session: ClientSession, served: ServedNodes, backend: string, topic: string, partition: number): RouteError | null {
  const leaderId = ctx.virtualLeaderOf(session, served, backend, topic, partition);
  if (leaderId === session.virtualNodeId) return null;
  return { errorCode: NOT_LEADER_OR_FOLLOWER, currentLeader: { leaderId, leaderEpoch: ctx.shownLeaderEpochOf(backend, topic, partition) } };
}

/** The longest a Fetch of only partitions Turnout cannot route yet waits before its empty answer. */
const LEARNING_WAIT_MS = 250;

/** Fetch answers carry the endpoints of the nodes they name (NodeEndpoints) from v16. */
const FIRST_NODE_ENDPOINTS_VERSION = 16;

/** Adds the endpoints of the leaders named by partitions answered locally to a merged answer (v16+). */
function addNamedLeaderEndpoints(ctx: MultiContext, session: ClientSession, split: FetchSplit, merged: FetchResponse, v: number): void {
  if (v < FIRST_NODE_ENDPOINTS_VERSION || split.localCount === 0) return;
  const named = new Set<number>();
  for (const row of split.placement) for (const place of row) if (typeof place !== 'number' && place.currentLeader !== undefined) named.add(place.currentLeader.leaderId);
  if (named.size === 0) return;
  const known = merged.nodeEndpoints ?? [];
  for (const e of known) named.delete(e.nodeId);
  merged.nodeEndpoints = [...known, ...ctx.endpointsOf(ctx.served(session), named)];
}

/** Asks every destination of a plan and merges their answers into the client's response. */
export async function gatherFetch(ctx: MultiContext, session: ClientSession, ex: RequestExchange, plan: FetchPlan): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body, split, parts } = plan;
  const minBytes = Math.max(1, body.minBytes);
  let ready: FetchOutcome[];
  if (parts.length > 1 && body.maxWaitMs > 0) {
    // Several destinations: first take what every one of them holds now (maxWait 0), so
    // data that is already there is served together. Answering at the first destination with
    // data would drop the others' answers, already read and sent, and the client would fetch
    // them again: on a busy topic that costs most of the throughput.
    const started = Date.now();
    const now = await Promise.all(parts.map((part) => fetchPart(ctx, session, header, part, 0, v)));
    ready = heldBytes(now, minBytes) >= minBytes ? now : await firstReady(ctx, session, header, parts, Math.max(0, body.maxWaitMs - (Date.now() - started)), minBytes, v);
  } else {
    ready = await firstReady(ctx, session, header, parts, body.maxWaitMs, minBytes, v);
  }
  // Only partitions Turnout cannot route yet: wait as a broker with nothing new would (at
  // most LEARNING_WAIT_MS), so the client does not spin while the route is learnt.
  if (parts.length === 0 && split.localCount > 0 && !hasLocalError(split.placement)) await sleep(Math.min(body.maxWaitMs, LEARNING_WAIT_MS));
  const merged = mergeFetchResponses(split, ready);
  addNamedLeaderEndpoints(ctx, session, split, merged, v);
  return encodeResponseFrame(ApiKey.Fetch, v, { correlationId: ex.correlationId }, merged, encodeFetchResponse);
}

function preparePart(ctx: MultiContext, destination: string, request: FetchRequest, v: number, followers: FollowerPartitions | undefined, segments: SegmentReads | undefined): PreparedPart {
  const { backend, brokerId } = parseDestination(destination);
  const topicNames = request.topics.map((t) => fetchTopicName(t, v, ctx.topicIds));
  fetchRequestTopicIdsToReal(request, v, backend, ctx.topicIds);
  const names = new Map<string, string>();
  request.topics.forEach((t, i) => {
    const name = topicNames[i];
    if (name !== undefined) names.set(wireTopicKey(t, v), name);
  });
  return { destination, backend, brokerId, request, names, followers: followers ?? new Map(), segments: segments ?? null };
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
function firstReady(ctx: MultiContext, session: ClientSession, header: DecodedRequestHeader, parts: readonly PreparedPart[], maxWaitMs: number, minBytes: number, v: number): Promise<FetchOutcome[]> {
  const outcomes: FetchOutcome[] = parts.map(() => NOT_ANSWERED);
  return new Promise<FetchOutcome[]>((resolve) => {
    let pending = parts.length;
    if (pending === 0) resolve(outcomes);
    parts.forEach((part, i) => {
      void fetchPart(ctx, session, header, part, maxWaitMs, v).then((o) => {
        outcomes[i] = o;
        pending -= 1;
        if (pending === 0 || heldBytes(outcomes, minBytes) >= minBytes) resolve(outcomes.slice());
      });
    });
  });
}

async function askFetch(ctx: MultiContext, session: ClientSession, header: DecodedRequestHeader, request: FetchRequest, backend: string, brokerId: number, v: number): Promise<FetchResponse> {
  const frame = encodeRequestFrame(header, request, encodeFetchRequest);
  const res = await ctx.send(session, ctx.addressOf(backend, brokerId), frame);
  return decodeResponseFrame(res, ApiKey.Fetch, v, decodeFetchResponse).body;
}

/**
 * One destination's part of a Fetch: its answer in the client's terms (follower answers only
 * the leader can fix already replaced by the leader's), or why there is none. Never rejects.
 */
async function fetchPart(ctx: MultiContext, session: ClientSession, header: DecodedRequestHeader, part: PreparedPart, maxWaitMs: number, v: number): Promise<FetchOutcome> {
  const request = { ...part.request, maxWaitMs };
  let answer: FetchResponse | null = null;
  try {
    answer = await askFetch(ctx, session, header, request, part.backend, part.brokerId, v);
  } catch (err) {
    ctx.log.debug({ err, destination: part.destination, followerPartitions: part.followers.size }, 'fetch part failed');
    // Closed on Turnout's side (the client left, shutdown): nothing wrong with the follower.
    if (part.followers.size === 0 || (err instanceof UpstreamError && err.kind === 'closed')) return failureOf(err);
  }
  const retries = followerRetries(ctx, part, answer, v);
  const result = answer ?? emptyFetchAnswer();
  if (answer !== null) noteAnswer(ctx, session, part, answer, retries, v);
  if (retries.length > 0) await retryAtLeaders(ctx, session, header, part, result, retries, v);
  fetchAnswerToVirtual(ctx, session, result, v, part, 'cut');
  return result;
}

/**
 * The part's follower partitions only the leader can answer: all of them when the follower
 * gave no answer. Each one's follower is noted as failed; `passedOn` when the client is told
 * an error for them rather than the leader's answer (zone-routing.ts followerFailed).
 */
export function followerRetries(ctx: MultiContext, part: PreparedPart, answer: FetchResponse | null, v: number, passedOn = false): LeaderRetry[] {
  const retries: LeaderRetry[] = [];
  if (part.followers.size === 0) return retries;
  for (const t of part.request.topics) {
    const topicKey = wireTopicKey(t, v);
    const name = part.names.get(topicKey);
    if (name === undefined) continue;
    for (const p of t.partitions) {
      const leaderId = part.followers.get(followerKey(name, p.partition));
      if (leaderId === undefined) continue;
      let reason: FollowerRetryReason | null = 'unreachable';
      if (answer !== null) {
        const got = findPartition(answer, topicKey, p.partition, v);
        reason = got === undefined ? null : followerRetryReason(got.errorCode);
      }
      if (reason === null) continue;
      ctx.zones.followerFailed(part.backend, name, p.partition, part.brokerId, reason, passedOn);
      retries.push({ topicKey, partition: p.partition, leaderId });
    }
  }
  return retries;
}

/** Counts an answer's partitions by the replica that served them, and forgets a leader that says it is none. */
export function noteAnswer(ctx: MultiContext, session: ClientSession, part: PreparedPart, answer: FetchResponse, retries: readonly LeaderRetry[], v: number): void {
  const retried = new Set(retries.map((r) => `${r.topicKey}\u0000${r.partition}`));
  const counts: Record<FetchReplica, { partitions: number; bytes: number }> = { leader: { partitions: 0, bytes: 0 }, follower: { partitions: 0, bytes: 0 } };
  for (const t of answer.responses) {
    const topicKey = wireTopicKey(t, v);
    const name = part.names.get(topicKey);
    for (const p of t.partitions) {
      if (retried.has(`${topicKey}\u0000${p.partitionIndex}`)) continue;
      const follower = name !== undefined && part.followers.has(followerKey(name, p.partitionIndex));
      if (!follower && p.errorCode === NOT_LEADER_OR_FOLLOWER) ctx.leaders.forgetBroker(part.backend, part.brokerId);
      const c = counts[follower ? 'follower' : 'leader'];
      c.partitions++;
      c.bytes += p.records?.length ?? 0;
    }
  }
  for (const replica of ['leader', 'follower'] as const) {
    const c = counts[replica];
    if (c.partitions > 0) ctx.zones.fetched(session, part.backend, part.brokerId, replica, c.partitions, c.bytes);
  }
}

/** Fetches the retried partitions at their leaders and puts the leaders' answers in `result`. */
async function retryAtLeaders(ctx: MultiContext, session: ClientSession, header: DecodedRequestHeader, part: PreparedPart, result: FetchResponse, retries: readonly LeaderRetry[], v: number): Promise<void> {
  const requests = leaderRetryRequests(part.request, retries, v);
  await Promise.all(
    [...requests].map(async ([leaderId, req]) => {
      let answer: FetchResponse | null = null;
      try {
        answer = await askFetch(ctx, session, header, req, part.backend, leaderId, v);
        const leaderPart: PreparedPart = { ...part, destination: destinationOf(part.backend, leaderId), brokerId: leaderId, request: req, followers: new Map() };
        noteAnswer(ctx, session, leaderPart, answer, [], v);
      } catch (err) {
        ctx.log.debug({ err, backend: part.backend, leaderId }, 'fetch at the leader after a follower failed');
      }
      for (const t of req.topics) {
        for (const p of t.partitions) {
          const data = answer === null ? undefined : findPartition(answer, wireTopicKey(t, v), p.partition, v);
          replacePartition(result, t, data ?? unansweredPartition(p.partition), v);
        }
      }
    }),
  );
}

/**
 * A destination's answer in the client's terms, in place: topic ids, epochs, leaders, and the
 * offsets of chained partitions (an older segment's records past its end cut off or masked, by `pastEnd`).
 */
export function fetchAnswerToVirtual(ctx: MultiContext, session: ClientSession, answer: FetchResponse, v: number, part: PreparedPart, pastEnd: PastSegmentEnd): void {
  const { backend } = part;
  fetchResponseTopicIdsToVirtual(answer, v, backend, ctx.topicIds);
  const served = ctx.served(session);
  const named = new Set<number>();
  for (const t of answer.responses) {
    const name = fetchTopicName(t, v, ctx.topicIds);
    if (name === undefined) continue;
    for (const p of t.partitions) {
      const read = segmentReadOf(part.segments, name, p.partitionIndex);
      if (read === undefined) {
        fetchPartitionEpochsToVirtual(p, name, backend, ctx.epochs);
      } else {
        partitionToSegmentVirtual(p, read, pastEnd);
        ctx.metrics.cutoverFetchPartition(read.index);
      }
      // Turnout chose the replica already; a real broker id must never reach the client.
      if (p.preferredReadReplica >= 0) p.preferredReadReplica = -1;
      if (p.currentLeader !== undefined && p.currentLeader.leaderId >= 0) {
        p.currentLeader.leaderId = ctx.virtualLeaderOf(session, served, backend, name, p.partitionIndex, p.currentLeader.leaderId);
        named.add(p.currentLeader.leaderId);
      }
    }
  }
  if (answer.nodeEndpoints !== undefined) answer.nodeEndpoints = ctx.endpointsOf(served, named);
}
