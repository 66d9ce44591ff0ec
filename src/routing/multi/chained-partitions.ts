// What the leader requests (ListOffsets, OffsetForLeaderEpoch, DeleteRecords) share for
// chained partitions (offset-segments.ts): such a partition is answered apart from the
// scatter/gather of the others, by one or more one-partition requests to the leaders of its
// segments' backends, because which segment to ask next depends on the last answer. The
// scatter keeps a placeholder in its place, filled in once its answer is known; partitions
// without a chain take the batched path exactly as before.
import type { RequestHeader } from '../../codec/index.js';
import type { ClientSession } from '../../net/request-router.js';
import type { Logger } from '../../observability/logger.js';
import type { BodyDecoder, BodyEncoder } from '../../codec/message-frames.js';
import type { PartitionChain } from '../offset-segments.js';
import { destinationOf } from './destinations.js';
import { askDestination, noteLeaderError } from './leader-asks.js';
import type { MultiContext } from './multi-context.js';
import { leaderOnBackend } from './segment-leaders.js';

/** Answers of chained partitions under way, each standing in the scatter's results as a placeholder until known. */
export class ChainedPartitions<R extends object> {
  private readonly pending = new Map<R, Promise<R>>();

  constructor(private readonly log: Logger) {}

  /**
   * Keeps `answer` for `placeholder` (a fresh object the scatter's results hold, answering the
   * partition with a retriable error); returns the placeholder, which also stands for an
   * answer that failed.
   */
  apart(placeholder: R, answer: Promise<R>): R {
    this.pending.set(
      placeholder,
      answer.catch((err: unknown) => {
        this.log.warn({ err }, 'a chained partition could not be answered');
        return placeholder;
      }),
    );
    return placeholder;
  }

  /** The scatter's results with every placeholder replaced by its answer. */
  async fill(results: R[][]): Promise<R[][]> {
    if (this.pending.size === 0) return results;
    return Promise.all(results.map((row) => Promise.all(row.map((r) => this.pending.get(r) ?? r))));
  }
}

/** True for a segment that holds no offsets by construction (two switches with nothing written between). */
export function emptySegment(chain: PartitionChain, index: number): boolean {
  return chain.endOf(index) === chain.segments[index].firstOffset;
}

/** How one partition is asked of one backend: the request with that partition alone, and where its answer is in the response. */
export interface PartitionAsk<Req, Res, P> {
  header: RequestHeader;
  request: Req;
  encode: BodyEncoder<Req>;
  decode: BodyDecoder<Res>;
  /** The partition's answer in the response, or undefined when the backend left it out. */
  answerOf: (res: Res) => P | undefined;
}

/**
 * Sends a one-partition request to the partition's leader on `backend` (learned from the
 * backend when not known). Resolves with the partition's answer, or with the error code to
 * answer it with: NOT_LEADER_OR_FOLLOWER when there is no leader, the request failed, or the
 * answer left the partition out (the client refreshes its metadata and tries again).
 */
export async function askPartitionLeader<Req, Res, P extends { errorCode: number }>(
  ctx: MultiContext,
  session: ClientSession,
  backend: string,
  topic: string,
  partition: number,
  ask: PartitionAsk<Req, Res, P>,
  notLeader: number,
): Promise<P | number> {
  try {
    const leader = await leaderOnBackend(ctx, session, backend, topic, partition);
    if (leader < 0) return notLeader;
    const destination = destinationOf(backend, leader);
    const p = ask.answerOf(await askDestination(ctx, session, destination, ask.header, ask.request, ask.encode, ask.decode));
    if (p === undefined) return notLeader;
    noteLeaderError(ctx, destination, p.errorCode);
    return p;
  } catch (err) {
    ctx.log.debug({ err, backend, topic, partition }, 'a segment of a chained partition could not be asked');
    return notLeader;
  }
}
