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

/**
 * Tracks the per-destination requests of a split while the client's partitions are walked in
 * order: which part a destination's partitions go to (parts numbered in order of first
 * appearance), and whether a part's last topic entry is for the client topic at hand.
 */
export class PartTracker {
  private readonly indexOf = new Map<string, number>();
  /** Per part: the client topic index its last topic entry is for. */
  private readonly lastTopicIndex: number[] = [];

  /** Number of parts so far. */
  get size(): number {
    return this.lastTopicIndex.length;
  }

  /** The part of `destination`; equal to the previous `size` when the part is new. */
  partOf(destination: string): number {
    let part = this.indexOf.get(destination);
    if (part === undefined) {
      part = this.lastTopicIndex.length;
      this.indexOf.set(destination, part);
      this.lastTopicIndex.push(-1);
    }
    return part;
  }

  /** True when `part` needs a new topic entry for client topic `topicIndex` (and records it has one). */
  startsTopic(part: number, topicIndex: number): boolean {
    if (this.lastTopicIndex[part] === topicIndex) return false;
    this.lastTopicIndex[part] = topicIndex;
    return true;
  }
}
