// The per-destination answers to a split Fetch, merged into the one response the client
// expects: sessionless (session id 0, no top-level error), every partition the client asked
// for in its order (the Java client drops a full response that leaves one out), each from the
// destination it went to with its records, offsets, aborted transactions and tagged fields
// as they came. Throttle time is the largest of the answers; node endpoints (v16+) are the
// union. Answers must already be in the client's terms (virtual node ids, epochs, topic ids).
//
// Partitions without an answer of their own get one made up as a broker would make it:
// - answered locally with a route error: that error, offsets -1, no records (and the
//   leader the error names, from v12);
// - from a destination that failed, answered with a top-level error, or left the partition
//   out: NOT_LEADER_OR_FOLLOWER, after which clients refresh metadata and fetch again;
// - from a destination not answered yet (NOT_ANSWERED, when the data path answers early), or
//   one that throttles the client and answered empty (KIP-219): no error, no records,
//   offsets -1. Clients fetch the partition again from the same offset; the Java client
//   ignores offsets of -1 (it updates high watermark, log start and last stable offset only
//   from values >= 0).
import {
  createPartitionData,
  type FetchResponse,
  type FetchableTopicResponse,
  type PartitionData,
} from '../codec/generated/fetch.js';
import { NOT_LEADER_OR_FOLLOWER } from './error-codes.js';
import type { FetchSplit } from './fetch-split.js';
import { DestinationFailure, mergeEnvelopes } from './split-route.js';

/** A destination that has not answered yet, for a merge that answers early. */
export const NOT_ANSWERED: unique symbol = Symbol('not answered');

/** A destination's answer, why there is none, or that it is still pending. */
export type FetchOutcome = FetchResponse | DestinationFailure | typeof NOT_ANSWERED;

/** Fetch identifies topics by id from v13, by name before. */
const FIRST_TOPIC_ID_VERSION = 13;
/** Fetch answers name a partition's leader (CurrentLeader) from v12. */
const FIRST_CURRENT_LEADER_VERSION = 12;

const NO_RECORDS = Buffer.alloc(0);

type PartitionIndex = Map<string, Map<number, { partition: PartitionData; topic: FetchableTopicResponse }>>;

/** `outcomes[i]` answers `split.parts[i]`. */
export function mergeFetchResponses(split: FetchSplit, outcomes: readonly FetchOutcome[]): FetchResponse {
  if (outcomes.length !== split.parts.length) throw new RangeError(`${outcomes.length} outcomes for ${split.parts.length} parts`);
  const merged: FetchResponse = { throttleTimeMs: 0, errorCode: split.sessionErrorCode, sessionId: 0, responses: [] };
  if (split.sessionErrorCode !== 0) return merged;

  const byId = split.version >= FIRST_TOPIC_ID_VERSION;
  const indexes: Array<PartitionIndex | null> = new Array<PartitionIndex | null>(outcomes.length).fill(null);
  mergeEnvelopes(merged, outcomes.filter((o): o is FetchResponse => o !== NOT_ANSWERED && !(o instanceof DestinationFailure)));

  const req = split.request;
  for (let ti = 0; ti < req.topics.length; ti++) {
    const t = req.topics[ti];
    const key = byId ? t.topicId : t.topic;
    const out: FetchableTopicResponse = { topic: t.topic, topicId: t.topicId, partitions: [] };
    const row = split.placement[ti];
    for (let pi = 0; pi < t.partitions.length; pi++) {
      const index = t.partitions[pi].partition;
      const place = row[pi];
      if (typeof place !== 'number') {
        const made = madeUpPartition(index, place.errorCode);
        if (place.currentLeader !== undefined && split.version >= FIRST_CURRENT_LEADER_VERSION) made.currentLeader = { ...place.currentLeader };
        out.partitions.push(made);
        continue;
      }
      const o = outcomes[place];
      if (o === NOT_ANSWERED || isThrottledEmpty(o)) {
        out.partitions.push(madeUpPartition(index, 0));
        continue;
      }
      if (o instanceof DestinationFailure || o.errorCode !== 0) {
        out.partitions.push(madeUpPartition(index, o instanceof DestinationFailure ? o.errorCode : NOT_LEADER_OR_FOLLOWER));
        continue;
      }
      let idx = indexes[place];
      if (idx === null) {
        idx = indexResponse(o, byId);
        indexes[place] = idx;
      }
      const found = idx.get(key)?.get(index);
      if (found === undefined) {
        out.partitions.push(madeUpPartition(index, NOT_LEADER_OR_FOLLOWER));
        continue;
      }
      if (out.unknownTaggedFields === undefined && found.topic.unknownTaggedFields !== undefined) out.unknownTaggedFields = found.topic.unknownTaggedFields;
      out.partitions.push(found.partition);
    }
    merged.responses.push(out);
  }
  return merged;
}

/**
 * A broker throttling a client (KIP-219) answers a full fetch at once with no partitions and
 * a throttle time: its partitions have no data yet rather than an error.
 */
function isThrottledEmpty(o: FetchResponse | DestinationFailure): boolean {
  return !(o instanceof DestinationFailure) && o.errorCode === 0 && o.responses.length === 0 && o.throttleTimeMs > 0;
}

/** Record bytes in a Fetch answer: what the data path weighs against minBytes to answer early. */
export function fetchResponseBytes(res: FetchResponse): number {
  let bytes = 0;
  for (const t of res.responses) for (const p of t.partitions) if (p.records !== null) bytes += p.records.length;
  return bytes;
}

function indexResponse(res: FetchResponse, byId: boolean): PartitionIndex {
  const idx: PartitionIndex = new Map();
  for (const topic of res.responses) {
    const key = byId ? topic.topicId : topic.topic;
    let parts = idx.get(key);
    if (parts === undefined) {
      parts = new Map();
      idx.set(key, parts);
    }
    for (const partition of topic.partitions) parts.set(partition.partitionIndex, { partition, topic });
  }
  return idx;
}

/** A partition answer as a broker makes one without data (FetchResponse.partitionResponse). */
function madeUpPartition(index: number, errorCode: number): PartitionData {
  const p = createPartitionData();
  p.partitionIndex = index;
  p.errorCode = errorCode;
  p.highWatermark = -1n;
  p.lastStableOffset = -1n;
  p.logStartOffset = -1n;
  p.abortedTransactions = null;
  p.records = NO_RECORDS;
  return p;
}
