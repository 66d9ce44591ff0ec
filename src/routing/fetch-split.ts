// A consumer's Fetch whose partitions go to several destinations becomes one sessionless
// Fetch per destination: the client's topics in the client's order with only that
// destination's partitions (each keeping its order), the same isolation level, rack id,
// replica id/state and min bytes. Partition entries are shared with the client's request.
//
// Fetch sessions (KIP-227). Turnout declines them: a session is state on one broker, and a
// Turnout node's fetch spans backends and brokers that change under it. So:
// - Every upstream request is sessionless: session id 0, epoch -1 (FINAL_EPOCH), no forgotten
//   topics. A broker answers it in full and keeps no session (no cache slot taken).
// - A full client request (epoch 0 "open a session", or -1 "no session") is answered in full
//   with session id 0: no session was created. The Java client (FetchSessionHandler) then
//   goes back to INITIAL and sends full requests from then on; librdkafka and kafkajs never
//   use sessions. A full request's forgotten topics are ignored, as a broker ignores them.
// - An incremental request (any other epoch) names a session Turnout never created; it is
//   answered, as a broker answers an unknown session, with FETCH_SESSION_ID_NOT_FOUND and no
//   partitions, after which the Java client starts over with a full request.
// The Java client checks that a full response holds exactly the partitions it asked for,
// so the merge answers every partition (see fetch-merge).
//
// Max wait and min bytes. Each destination gets the client's maxWaitMs and minBytes and
// answers when it has minBytes or the wait is over; the merged answer waits for all of them,
// so partitions with data wait for the slowest destination: up to maxWaitMs (500 ms by
// default in Java) when one destination has nothing. fetch-merge can answer early (the
// destinations still waiting are answered as "no data yet"; their late answers are dropped,
// which is harmless for sessionless consumer fetches), so the data path may reply as soon as
// the answers in hand hold minBytes. When some partitions are answered locally with an error,
// every destination gets maxWaitMs 0: a broker answers at once when a partition has an error,
// and so does Turnout. A partition Turnout cannot route yet (NOTHING_YET) is no error: the
// others wait as asked. maxBytes (the response-wide limit, KIP-74) is divided evenly between
// the destinations, so the merged answer stays within what the client can receive (librdkafka
// refuses a response above its receive.message.max.bytes).
import type { FetchPartition, FetchRequest, FetchTopic } from '../codec/generated/fetch.js';
import { FETCH_SESSION_ID_NOT_FOUND } from './error-codes.js';
import { hasLocalError, splitByDestination, type PartitionRoute, type SplitPlacement } from './split-route.js';

/** Session epochs of KIP-227. */
export const INITIAL_SESSION_EPOCH = 0;
export const FINAL_SESSION_EPOCH = -1;
/** Fetch has sessions from v7, response-wide maxBytes from v3. */
const FIRST_SESSION_VERSION = 7;
const FIRST_MAX_BYTES_VERSION = 3;

export interface FetchPart {
  destination: string;
  request: FetchRequest;
}

export interface FetchSplit {
  readonly version: number;
  /** The client's request: the merged response answers its topics and partitions, in its order. */
  readonly request: FetchRequest;
  /** One sessionless request per destination, in order of first appearance. */
  readonly parts: FetchPart[];
  readonly placement: SplitPlacement;
  /** Partitions answered with a route error instead of being sent. */
  readonly localCount: number;
  /** Non-zero: the whole request is answered with this top-level error and nothing is sent. */
  readonly sessionErrorCode: number;
}

/** Where a partition goes, or the error it is answered with. */
export type FetchRouter = (topic: FetchTopic, partition: FetchPartition) => PartitionRoute;

/** True when a request is full: no session, or opening one (epoch 0 or -1); every request before v7. */
export function isFullFetch(req: FetchRequest, version: number): boolean {
  return version < FIRST_SESSION_VERSION || req.sessionEpoch === INITIAL_SESSION_EPOCH || req.sessionEpoch === FINAL_SESSION_EPOCH;
}

export function splitFetchRequest(req: FetchRequest, version: number, route: FetchRouter): FetchSplit {
  if (!isFullFetch(req, version)) {
    return { version, request: req, parts: [], placement: [], localCount: 0, sessionErrorCode: FETCH_SESSION_ID_NOT_FOUND };
  }
  const { parts, placement, localCount } = splitByDestination<FetchRequest, FetchTopic, FetchPartition>(
    req,
    { topicsOf: (r) => r.topics, partitionsOf: (t) => t.partitions, emptyRequest: () => sessionlessPart(req), emptyTopic: partTopic },
    route,
  );
  if (version >= FIRST_MAX_BYTES_VERSION && parts.length > 1) {
    const share = Math.max(1, Math.floor(req.maxBytes / parts.length));
    for (const part of parts) part.request.maxBytes = share;
  }
  if (localCount > 0 && hasLocalError(placement)) {
    for (const part of parts) part.request.maxWaitMs = 0;
  }
  return { version, request: req, parts, placement, localCount, sessionErrorCode: 0 };
}

function sessionlessPart(req: FetchRequest): FetchRequest {
  const part: FetchRequest = {
    replicaId: req.replicaId,
    maxWaitMs: req.maxWaitMs,
    minBytes: req.minBytes,
    maxBytes: req.maxBytes,
    isolationLevel: req.isolationLevel,
    sessionId: 0,
    sessionEpoch: FINAL_SESSION_EPOCH,
    topics: [],
    forgottenTopicsData: [],
    rackId: req.rackId,
  };
  // clusterId is left out: the client knows Turnout's, which no backend would accept.
  if (req.replicaState !== undefined) part.replicaState = req.replicaState;
  if (req.unknownTaggedFields !== undefined) part.unknownTaggedFields = req.unknownTaggedFields;
  return part;
}

function partTopic(t: FetchTopic): FetchTopic {
  const topic: FetchTopic = { topic: t.topic, topicId: t.topicId, partitions: [] };
  if (t.unknownTaggedFields !== undefined) topic.unknownTaggedFields = t.unknownTaggedFields;
  return topic;
}
