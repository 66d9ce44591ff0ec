// OffsetForLeaderEpoch of a chained partition (offset-segments.ts). Each segment has its own
// generation of virtual epochs, so the asked epoch names the segment that holds it:
//
//   a segment's generation     that segment's backend is asked for the real epoch; the end
//                              offset is translated (+ shift) and, for an older segment, capped
//                              at its end: the last epoch of a segment ends where the next begins
//   older than every segment   as a broker answers an epoch below its earliest one: the asked
//                              epoch, ending where the (virtual) log starts
//   between two segments       as a broker answers an epoch it has no entry for: the largest
//                              epoch below it (the previous segment's last: its backend's
//                              latest epoch, by that segment's generation) and its end (the
//                              previous segment's end)
//   newer than every segment   undefined (-1, -1), as a broker answers an epoch above its latest
//
// Only the last segment is asked with the client's current leader epoch; an older segment is
// asked with -1, after the client's epoch was checked against the last segment's generation.
import { decodeOffsetForLeaderEpochResponse, encodeOffsetForLeaderEpochRequest, type RequestHeader } from '../../codec/index.js';
import {
  createEpochEndOffset,
  type EpochEndOffset,
  type OffsetForLeaderEpochRequest,
  type OffsetForLeaderEpochResponse,
  type OffsetForLeaderPartition,
} from '../../codec/generated/offset-for-leader-epoch.js';
import type { ClientSession } from '../../net/request-router.js';
import { FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER } from '../error-codes.js';
import { EPOCH_FENCED, NO_EPOCH, epochErrorCode, generationOf } from '../leader-epoch-map.js';
import { segmentEpochToReal, segmentEpochToVirtual, type PartitionChain } from '../offset-segments.js';
import { askPartitionLeader } from './chained-partitions.js';
import type { MultiContext } from './multi-context.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, askListOffsetsSegment, listOffsetsOnChain, ownListOffsetsAsker } from './segment-list-offsets.js';
import { createListOffsetsPartition } from '../../codec/generated/list-offsets.js';

/** OffsetForLeaderEpoch carries currentLeaderEpoch from v2. */
const FIRST_CURRENT_EPOCH_VERSION = 2;

/** How a chained partition's segments are asked: the client's request without its topics. */
export interface LeaderEpochAsker {
  header: RequestHeader;
  request: OffsetForLeaderEpochRequest;
}

function answer(partition: number, errorCode: number, leaderEpoch = NO_EPOCH, endOffset = -1n): EpochEndOffset {
  return { ...createEpochEndOffset(), partition, errorCode, leaderEpoch, endOffset };
}

/** A chained partition's OffsetForLeaderEpoch answer, in virtual terms. */
export async function offsetForLeaderEpochOnChain(
  ctx: MultiContext,
  session: ClientSession,
  asker: LeaderEpochAsker,
  topic: string,
  chain: PartitionChain,
  p: OffsetForLeaderPartition,
): Promise<EpochEndOffset> {
  const withCurrent = asker.header.apiVersion >= FIRST_CURRENT_EPOCH_VERSION;
  if (withCurrent && p.currentLeaderEpoch >= 0 && generationOf(p.currentLeaderEpoch) < chain.last.generation) return answer(p.partition, FENCED_LEADER_EPOCH);
  if (p.leaderEpoch < 0) return answer(p.partition, 0);
  const generation = generationOf(p.leaderEpoch);
  const k = chain.indexOfGeneration(generation);
  if (k >= 0) return askSegment(ctx, session, asker, topic, chain, k, p, withCurrent);
  if (generation > chain.last.generation) return answer(p.partition, 0);
  if (generation < chain.segments[0].generation) {
    const earliest = await listOffsetsOnChain(ctx, session, ownListOffsetsAsker(ctx, chain), topic, chain, { ...createListOffsetsPartition(), partitionIndex: p.partition, timestamp: EARLIEST_TIMESTAMP });
    if (earliest.errorCode !== 0) return answer(p.partition, earliest.errorCode);
    return answer(p.partition, 0, p.leaderEpoch, earliest.offset);
  }
  let j = 0;
  while (chain.segments[j + 1].generation < generation) j++;
  return previousSegmentEnd(ctx, session, topic, chain, j, p.partition);
}

/** The answer of segment `k`, whose generation the asked epoch lies in. */
async function askSegment(
  ctx: MultiContext,
  session: ClientSession,
  asker: LeaderEpochAsker,
  topic: string,
  chain: PartitionChain,
  k: number,
  p: OffsetForLeaderPartition,
  withCurrent: boolean,
): Promise<EpochEndOffset> {
  const segment = chain.segments[k];
  let currentLeaderEpoch = NO_EPOCH;
  if (k === chain.lastIndex && withCurrent) {
    currentLeaderEpoch = ctx.epochs.currentToReal(topic, p.partition, segment.backend, p.currentLeaderEpoch);
    if (currentLeaderEpoch === EPOCH_FENCED) return answer(p.partition, epochErrorCode(currentLeaderEpoch));
  }
  const request = { ...asker.request, topics: [{ topic, partitions: [{ ...p, currentLeaderEpoch, leaderEpoch: segmentEpochToReal(segment, p.leaderEpoch) }] }] };
  const res = await askPartitionLeader(
    ctx,
    session,
    segment.backend,
    topic,
    p.partition,
    {
      header: asker.header,
      request,
      encode: encodeOffsetForLeaderEpochRequest,
      decode: decodeOffsetForLeaderEpochResponse,
      answerOf: (r: OffsetForLeaderEpochResponse) => r.topics.find((t) => t.topic === topic)?.partitions.find((e) => e.partition === p.partition),
    },
    NOT_LEADER_OR_FOLLOWER,
  );
  if (typeof res === 'number') return answer(p.partition, res);
  if (res.errorCode !== 0 || res.endOffset < 0n || res.leaderEpoch < 0) return res;
  let end = res.endOffset + segment.shift;
  const segmentEnd = chain.endOf(k);
  if (segmentEnd !== null && end > segmentEnd) end = segmentEnd;
  if (end < segment.firstOffset) end = segment.firstOffset;
  res.endOffset = end;
  res.leaderEpoch = segmentEpochToVirtual(segment, res.leaderEpoch);
  return res;
}

/**
 * For an epoch of a generation between segments `j` and `j + 1`: segment j's last epoch and
 * its end. Its backend's latest epoch stands for the last one: a leader records its epoch at
 * election even without records, and any later epoch there ends at or past segment j's end,
 * where the answer is capped, so asking with it later gives the same answer.
 */
async function previousSegmentEnd(ctx: MultiContext, session: ClientSession, topic: string, chain: PartitionChain, j: number, partition: number): Promise<EpochEndOffset> {
  const latest = { ...createListOffsetsPartition(), partitionIndex: partition, timestamp: LATEST_TIMESTAMP };
  const res = await askListOffsetsSegment(ctx, session, ownListOffsetsAsker(ctx, chain), topic, chain, j, latest, LATEST_TIMESTAMP);
  if (typeof res === 'number') return answer(partition, res);
  if (res.errorCode !== 0) return answer(partition, res.errorCode);
  return answer(partition, 0, segmentEpochToVirtual(chain.segments[j], res.leaderEpoch), chain.endOf(j) as bigint);
}
