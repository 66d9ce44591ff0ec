// What splitting a Produce or Fetch request by destination works with: where each partition
// goes (a destination key, or an error Turnout answers the partition with itself), and what
// became of each destination's request (its response, or a failure).
import { NOT_LEADER_OR_FOLLOWER } from './error-codes.js';

/** An error a partition is answered with instead of being sent (unknown topic id, fenced epoch, denied, ...). */
export interface RouteError {
  errorCode: number;
  /** Produce v8+ carries a message per partition; other apis drop it. */
  errorMessage?: string | null;
}

/**
 * Where one partition goes: the key of its destination (whatever identifies one upstream
 * request, such as `backend/brokerId`), or the error to answer it with.
 */
export type PartitionRoute = string | RouteError;

export function isRouteError(route: PartitionRoute): route is RouteError {
  return typeof route !== 'string';
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

/** Calls `place` for every partition; returns the placement and the number answered locally. */
export function placePartitions<T, P>(
  topics: readonly T[],
  partitionsOf: (topic: T) => readonly P[],
  route: (topic: T, partition: P) => PartitionRoute,
  place: (destination: string, topicIndex: number, topic: T, partition: P) => number,
): { placement: SplitPlacement; localCount: number } {
  const placement: SplitPlacement = [];
  let localCount = 0;
  for (let ti = 0; ti < topics.length; ti++) {
    const t = topics[ti];
    const row: Array<number | RouteError> = [];
    for (const p of partitionsOf(t)) {
      const r = route(t, p);
      if (isRouteError(r)) {
        row.push(r);
        localCount++;
      } else {
        row.push(place(r, ti, t, p));
      }
    }
    placement.push(row);
  }
  return { placement, localCount };
}

/**
 * Per-destination requests built while placing partitions: one per destination key, in order
 * of first appearance, each holding the client's topics in the client's order with only the
 * partitions routed there.
 */
export class PartBuilder<Req, Topic> {
  readonly parts: Array<{ destination: string; request: Req }> = [];
  private readonly indexOf = new Map<string, number>();
  /** Per part: the client topic index its last topic entry is for, and that entry. */
  private readonly lastTopicIndex: number[] = [];
  private readonly lastTopic: Topic[] = [];

  constructor(
    private readonly newRequest: () => Req,
    private readonly newTopic: (clientTopicIndex: number) => Topic,
    private readonly addTopic: (req: Req, topic: Topic) => void,
  ) {}

  /** The topic entry of `destination`'s request for client topic `topicIndex`, and the part's index. */
  topicFor(destination: string, topicIndex: number): { part: number; topic: Topic } {
    let part = this.indexOf.get(destination);
    if (part === undefined) {
      part = this.parts.length;
      this.parts.push({ destination, request: this.newRequest() });
      this.indexOf.set(destination, part);
      this.lastTopicIndex.push(-1);
      this.lastTopic.push(undefined as unknown as Topic);
    }
    if (this.lastTopicIndex[part] !== topicIndex) {
      const topic = this.newTopic(topicIndex);
      this.addTopic(this.parts[part].request, topic);
      this.lastTopicIndex[part] = topicIndex;
      this.lastTopic[part] = topic;
    }
    return { part, topic: this.lastTopic[part] };
  }
}
