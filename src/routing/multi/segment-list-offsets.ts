// ListOffsets of a chained partition (offset-segments.ts): the virtual log's offsets from the
// segments that hold them, each answer translated by its segment (offset + shift, leader epoch
// by the segment's generation).
//
//   latest (-1)            the last segment: new records go there
//   earliest (-2, -4)      the first segment that still holds a record: segment 0 first; an
//                          answer at or past a segment's end means retention emptied it, and
//                          the next one is asked
//   a timestamp >= 0       the segments in order: the first whose answer is an offset below its
//                          end wins (its backend may hold later records beyond it, which belong
//                          to a later segment), else the next; none: -1
//   max timestamp (-3),    the segments from the last back: the newest one whose answer lies in
//   latest tiered (-5)     it. (The max timestamp of the virtual log is taken as the newest
//                          segment's with a record, not compared across segments.)
//
// A segment's backend may hold records below the segment's start (an older segment on the same
// backend, or records written there directly): an answer below the start is raised to it for
// the forward lookups, and is not the segment's for the backward ones. So once the first
// segment is retired, earliest (and a timestamp before every record) answers the partition's
// start, never an offset of the retired segment. Only the last segment is
// asked with the client's current leader epoch (in its backend's terms); older segments are
// asked with -1, and the client's epoch is checked against the last segment's generation
// without the epoch map, which must not move to an older segment's backend.
import { ApiKey, type RequestHeader, decodeListOffsetsResponse, encodeListOffsetsRequest, type ListOffsetsRequest } from '../../codec/index.js';
import { createListOffsetsPartitionResponse, type ListOffsetsPartition, type ListOffsetsPartitionResponse, type ListOffsetsResponse } from '../../codec/generated/list-offsets.js';
import type { ClientSession } from '../../net/request-router.js';
import { FENCED_LEADER_EPOCH, NOT_LEADER_OR_FOLLOWER } from '../error-codes.js';
import { EPOCH_FENCED, NO_EPOCH, epochErrorCode, generationOf } from '../leader-epoch-map.js';
import { segmentEpochToVirtual, type PartitionChain } from '../offset-segments.js';
import { askPartitionLeader, emptySegment } from './chained-partitions.js';
import { TURNOUT_CLIENT_ID } from './multi-codes.js';
import type { MultiContext } from './multi-context.js';

export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;
export const LATEST_TIERED_TIMESTAMP = -5n;
/** KIP-1023; ListOffsets v11, past this codec, but named so a newer codec answers it like the other earliest lookups. */
export const EARLIEST_PENDING_UPLOAD_TIMESTAMP = -6n;

/** ListOffsets carries currentLeaderEpoch from v4. */
const LIST_OFFSETS_FIRST_EPOCH_VERSION = 4;
/** Turnout's own ListOffsets (OffsetForLeaderEpoch answers that need one) at this version or the backends' highest below. */
const OWN_LIST_OFFSETS_VERSION = 4;

/** How a chained partition's segments are asked: the client's request (version, isolation level, timeout) without its topics, or Turnout's own. */
export interface ListOffsetsAsker {
  header: RequestHeader;
  request: ListOffsetsRequest;
}

/** Turnout's own ListOffsets for a chain's segments, at a version each of their backends takes. */
export function ownListOffsetsAsker(ctx: MultiContext, chain: PartitionChain): ListOffsetsAsker {
  let version = OWN_LIST_OFFSETS_VERSION;
  for (const s of chain.segments) {
    const max = ctx.topologies.get(s.backend)?.apiVersions.range(ApiKey.ListOffsets)?.maxVersion;
    if (max !== undefined) version = Math.min(version, max);
  }
  return {
    header: { apiKey: ApiKey.ListOffsets, apiVersion: version, correlationId: 0, clientId: TURNOUT_CLIENT_ID },
    request: { replicaId: -1, isolationLevel: 0, topics: [], timeoutMs: 0 },
  };
}

function errorAnswer(partitionIndex: number, errorCode: number): ListOffsetsPartitionResponse {
  return { ...createListOffsetsPartitionResponse(), partitionIndex, errorCode };
}

/** The answer for a lookup no segment holds: offset and timestamp -1, as a broker answers it. */
function noneAnswer(partitionIndex: number): ListOffsetsPartitionResponse {
  return { ...createListOffsetsPartitionResponse(), partitionIndex };
}

/** The offset of an answer (v0 answers with a list of offsets). */
function offsetOf(p: ListOffsetsPartitionResponse, version: number): bigint {
  return version === 0 ? (p.oldStyleOffsets[0] ?? -1n) : p.offset;
}

/**
 * Asks segment `index` for `timestamp`. Resolves with its untranslated answer, or the error
 * code to answer with. The last segment gets the client's current epoch in its backend's terms.
 */
export async function askListOffsetsSegment(
  ctx: MultiContext,
  session: ClientSession,
  asker: ListOffsetsAsker,
  topic: string,
  chain: PartitionChain,
  index: number,
  p: ListOffsetsPartition,
  timestamp: bigint,
): Promise<ListOffsetsPartitionResponse | number> {
  const segment = chain.segments[index];
  let currentLeaderEpoch = NO_EPOCH;
  if (index === chain.lastIndex && asker.header.apiVersion >= LIST_OFFSETS_FIRST_EPOCH_VERSION) {
    currentLeaderEpoch = ctx.epochs.currentToReal(topic, p.partitionIndex, segment.backend, p.currentLeaderEpoch);
    if (currentLeaderEpoch === EPOCH_FENCED) return epochErrorCode(currentLeaderEpoch);
  }
  const request = { ...asker.request, topics: [{ name: topic, partitions: [{ ...p, currentLeaderEpoch, timestamp }] }] };
  return askPartitionLeader(
    ctx,
    session,
    segment.backend,
    topic,
    p.partitionIndex,
    {
      header: asker.header,
      request,
      encode: encodeListOffsetsRequest,
      decode: decodeListOffsetsResponse,
      answerOf: (res: ListOffsetsResponse) => res.topics.find((t) => t.name === topic)?.partitions.find((r) => r.partitionIndex === p.partitionIndex),
    },
    NOT_LEADER_OR_FOLLOWER,
  );
}

/** Segment `index`'s answer in virtual terms, in place: `offset` (already translated), the others by the segment's shift and generation. */
function translated(chain: PartitionChain, index: number, res: ListOffsetsPartitionResponse, offset: bigint): ListOffsetsPartitionResponse {
  const segment = chain.segments[index];
  res.offset = offset;
  res.oldStyleOffsets = res.oldStyleOffsets.map((o) => (o >= 0n ? o + segment.shift : o));
  res.leaderEpoch = segmentEpochToVirtual(segment, res.leaderEpoch);
  return res;
}

/** A chained partition's ListOffsets answer, in virtual terms. */
export async function listOffsetsOnChain(
  ctx: MultiContext,
  session: ClientSession,
  asker: ListOffsetsAsker,
  topic: string,
  chain: PartitionChain,
  p: ListOffsetsPartition,
): Promise<ListOffsetsPartitionResponse> {
  const v = asker.header.apiVersion;
  // An epoch of an older generation than the last segment's is fenced, as the last segment's backend would.
  if (v >= LIST_OFFSETS_FIRST_EPOCH_VERSION && p.currentLeaderEpoch >= 0 && generationOf(p.currentLeaderEpoch) < chain.last.generation) {
    return errorAnswer(p.partitionIndex, FENCED_LEADER_EPOCH);
  }
  const t = p.timestamp;
  if (t >= 0n || t === EARLIEST_TIMESTAMP || t === EARLIEST_LOCAL_TIMESTAMP || t === EARLIEST_PENDING_UPLOAD_TIMESTAMP) {
    return segmentHolding(ctx, session, asker, topic, chain, p, 'first');
  }
  if (t === MAX_TIMESTAMP || t === LATEST_TIERED_TIMESTAMP) return segmentHolding(ctx, session, asker, topic, chain, p, 'last');
  // Latest, and any other lookup, from the segment new records go to.
  const res = await askListOffsetsSegment(ctx, session, asker, topic, chain, chain.lastIndex, p, t);
  if (typeof res === 'number') return errorAnswer(p.partitionIndex, res);
  if (res.errorCode !== 0) return res;
  const offset = offsetOf(res, v);
  return translated(chain, chain.lastIndex, res, offset >= 0n ? offset + chain.last.shift : offset);
}

/**
 * The answer of the first segment (earliest and timestamp lookups) or the last (max
 * timestamp, latest tiered) whose answer lies in it. Below its start, a first-segment lookup
 * takes the segment's start (the match lies before it on the same backend); a last-segment
 * lookup looks further back.
 */
async function segmentHolding(
  ctx: MultiContext,
  session: ClientSession,
  asker: ListOffsetsAsker,
  topic: string,
  chain: PartitionChain,
  p: ListOffsetsPartition,
  which: 'first' | 'last',
): Promise<ListOffsetsPartitionResponse> {
  const step = which === 'first' ? 1 : -1;
  for (let k = which === 'first' ? 0 : chain.lastIndex; k >= 0 && k <= chain.lastIndex; k += step) {
    if (emptySegment(chain, k)) continue;
    const res = await askListOffsetsSegment(ctx, session, asker, topic, chain, k, p, p.timestamp);
    if (typeof res === 'number') return errorAnswer(p.partitionIndex, res);
    if (res.errorCode !== 0) return res;
    const real = offsetOf(res, asker.header.apiVersion);
    if (real < 0n) continue;
    const segment = chain.segments[k];
    let offset = real + segment.shift;
    if (offset < segment.firstOffset) {
      if (which === 'last') continue;
      offset = segment.firstOffset;
    }
    const end = chain.endOf(k);
    if (end !== null && offset >= end) continue;
    return translated(chain, k, res, offset);
  }
  return noneAnswer(p.partitionIndex);
}
