// What splitting a Produce or Fetch request by destination works with: where each partition
// goes (a destination key, or an error Turnout answers the partition with itself), and what
// became of each destination's request (its response, or a failure).
import type { TaggedField } from '../codec/index.js';
import { NOT_LEADER_OR_FOLLOWER } from './error-codes.js';

/** An error a partition is answered with instead of being sent (unknown topic id, fenced epoch, denied, ...). */
export interface RouteError {
  errorCode: number;
  /** Produce v8+ carries a message per partition; other apis drop it. */
  errorMessage?: string | null;
  /** With NOT_LEADER_OR_FOLLOWER: the partition's leader, for answers that name it (Fetch v12+ CurrentLeader). */
  currentLeader?: { leaderId: number; leaderEpoch: number };
}

/**
 * Where one partition goes: the key of its destination (whatever identifies one upstream
 * request, such as `backend/brokerId`), or the error to answer it with.
 */
export type PartitionRoute = string | RouteError;

export function isRouteError(route: PartitionRoute): route is RouteError {
  return typeof route !== 'string';
}

/**
 * A Fetch partition Turnout cannot route yet because it is still learning where it lives (a
 * leader or a real topic id on a segment's backend): answered as a broker answers a partition
 * with nothing new, without an error, while Turnout's own refresh learns the route. An error
 * here would be Turnout's own doing, and NOT_LEADER_OR_FOLLOWER makes a kafkajs consumer
 * rejoin its group.
 */
export const NOTHING_YET: RouteError = Object.freeze({ errorCode: 0 });

/** True when some partition of a split is answered locally with an error (not merely NOTHING_YET). */
export function hasLocalError(placement: SplitPlacement): boolean {
  for (const row of placement) for (const place of row) if (typeof place !== 'number' && place.errorCode !== 0) return true;
  return false;
}

/** Where each of the client's partitions went: [topic index][partition index] → part index or error. */
export type SplitPlacement = Array<Array<number | RouteError>>;

/**
 * A destination whose request failed as a whole (connection lost, timed out, undecodable
 * answer): each of its partitions gets `errorCode`, by default NOT_LEADER_OR_FOLLOWER, which
 * every client retries after refreshing metadata.
 */
export class DestinationFailure {
  readonly errorCode: number;
  readonly reason: string;

  constructor(reason: string, errorCode: number = NOT_LEADER_OR_FOLLOWER) {
    this.reason = reason;
    this.errorCode = errorCode;
  }
}

/** How a request holds its topics and their partitions, for `splitByDestination`. */
export interface TopicPartitionShape<Req, T, P> {
  topicsOf(req: Req): T[];
  partitionsOf(topic: T): P[];
  /** A destination's request: the client's fields, no topics yet. */
  emptyRequest(): Req;
  /** A destination's entry for a client topic: its fields, no partitions yet. */
  emptyTopic(topic: T): T;
}

/** The per-destination requests of a split, and where each of the client's partitions went. */
export interface SplitParts<Req> {
  /** One request per destination, in order of first appearance. */
  parts: Array<{ destination: string; request: Req }>;
  placement: SplitPlacement;
  /** Partitions answered with a route error instead of being sent. */
  localCount: number;
}

/**
 * Walks the client's partitions in order and puts each in its destination's request (topics
 * in the client's order, a topic entry per run of the same client topic), or records the
 * route error it is answered with.
 */
export function splitByDestination<Req, T, P>(req: Req, shape: TopicPartitionShape<Req, T, P>, route: (topic: T, partition: P) => PartitionRoute): SplitParts<Req> {
  const parts: Array<{ destination: string; request: Req }> = [];
  const partIndex = new Map<string, number>();
  /** Per part: the client topic index its last topic entry is for. */
  const lastTopic: number[] = [];
  const placement: SplitPlacement = [];
  let localCount = 0;
  const topics = shape.topicsOf(req);
  for (let ti = 0; ti < topics.length; ti++) {
    const t = topics[ti] as T;
    const row: Array<number | RouteError> = [];
    for (const p of shape.partitionsOf(t)) {
      const r = route(t, p);
      if (typeof r !== 'string') {
        row.push(r);
        localCount++;
        continue;
      }
      let part = partIndex.get(r);
      if (part === undefined) {
        part = parts.length;
        partIndex.set(r, part);
        parts.push({ destination: r, request: shape.emptyRequest() });
        lastTopic.push(-1);
      }
      const partTopics = shape.topicsOf((parts[part] as { request: Req }).request);
      if (lastTopic[part] !== ti) {
        partTopics.push(shape.emptyTopic(t));
        lastTopic[part] = ti;
      }
      shape.partitionsOf(partTopics[partTopics.length - 1] as T).push(p);
      row.push(part);
    }
    placement.push(row);
  }
  return { parts, placement, localCount };
}

/** The response-wide fields of a Produce or Fetch answer. */
export interface AnswerEnvelope<E extends { nodeId: number }> {
  throttleTimeMs: number;
  unknownTaggedFields?: TaggedField[];
  nodeEndpoints?: E[];
}

/**
 * Folds the destinations' response-wide fields into the merged answer: the largest throttle
 * time (each destination's quota applies to the client), the first answer's unknown tagged
 * fields, and the union of node endpoints (present when any answer has them).
 */
export function mergeEnvelopes<E extends { nodeId: number }>(into: AnswerEnvelope<E>, answers: Iterable<AnswerEnvelope<E>>): void {
  let endpoints: Map<number, E> | null = null;
  for (const o of answers) {
    if (o.throttleTimeMs > into.throttleTimeMs) into.throttleTimeMs = o.throttleTimeMs;
    if (into.unknownTaggedFields === undefined && o.unknownTaggedFields !== undefined) into.unknownTaggedFields = o.unknownTaggedFields;
    if (o.nodeEndpoints !== undefined) {
      endpoints ??= new Map();
      for (const e of o.nodeEndpoints) if (!endpoints.has(e.nodeId)) endpoints.set(e.nodeId, e);
    }
  }
  if (endpoints !== null) into.nodeEndpoints = [...endpoints.values()];
}
