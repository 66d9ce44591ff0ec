// The per-destination answers to a split Produce request, merged into the one response the
// client expects: its topics and partitions in its order, each partition's result from the
// destination it went to (errors, record errors and current leader kept), route errors for
// partitions answered locally, and NOT_LEADER_OR_FOLLOWER (the client refreshes metadata and
// retries) for the partitions of a destination that failed as a whole or left one out.
// Throttle time is the largest of the answers (each destination's quota applies to the
// client); node endpoints (v10+) are the union. Answers must already be in the client's terms
// (virtual node ids, epochs, topic ids): merging only arranges them.
import {
  createPartitionProduceResponse,
  type PartitionProduceResponse,
  type ProduceResponse,
  type TopicProduceResponse,
} from '../codec/generated/produce.js';
import { NOT_LEADER_OR_FOLLOWER } from './error-codes.js';
import type { ProduceSplit } from './produce-split.js';
import { DestinationFailure, mergeEnvelopes, type RouteError } from './split-route.js';

/** A destination's answer, or why there is none. */
export type ProduceOutcome = ProduceResponse | DestinationFailure;

/** Produce identifies topics by id from v13, by name before. */
const FIRST_TOPIC_ID_VERSION = 13;
/** Produce partitions carry an error message from v8. */
const FIRST_ERROR_MESSAGE_VERSION = 8;

type PartitionIndex = Map<string, Map<number, { partition: PartitionProduceResponse; topic: TopicProduceResponse }>>;

/** `outcomes[i]` answers `split.parts[i]`. */
export function mergeProduceResponses(split: ProduceSplit, outcomes: readonly ProduceOutcome[]): ProduceResponse {
  if (outcomes.length !== split.parts.length) throw new RangeError(`${outcomes.length} outcomes for ${split.parts.length} parts`);
  const byId = split.version >= FIRST_TOPIC_ID_VERSION;
  const indexes: Array<PartitionIndex | null> = new Array<PartitionIndex | null>(outcomes.length).fill(null);
  const merged: ProduceResponse = { responses: [], throttleTimeMs: 0 };
  mergeEnvelopes(merged, outcomes.filter((o): o is ProduceResponse => !(o instanceof DestinationFailure)));

  const req = split.request;
  for (let ti = 0; ti < req.topicData.length; ti++) {
    const t = req.topicData[ti];
    const key = byId ? t.topicId : t.name;
    const out: TopicProduceResponse = { name: t.name, topicId: t.topicId, partitionResponses: [] };
    const row = split.placement[ti];
    for (let pi = 0; pi < t.partitionData.length; pi++) {
      const index = t.partitionData[pi].index;
      const place = row[pi];
      if (typeof place !== 'number') {
        out.partitionResponses.push(errorPartition(index, place, split.version));
        continue;
      }
      const o = outcomes[place];
      if (o instanceof DestinationFailure) {
        out.partitionResponses.push(errorPartition(index, { errorCode: o.errorCode }, split.version));
        continue;
      }
      let idx = indexes[place];
      if (idx === null) {
        idx = indexResponse(o, byId);
        indexes[place] = idx;
      }
      const found = idx.get(key)?.get(index);
      if (found === undefined) {
        out.partitionResponses.push(errorPartition(index, { errorCode: NOT_LEADER_OR_FOLLOWER }, split.version));
        continue;
      }
      if (out.unknownTaggedFields === undefined && found.topic.unknownTaggedFields !== undefined) out.unknownTaggedFields = found.topic.unknownTaggedFields;
      out.partitionResponses.push(found.partition);
    }
    merged.responses.push(out);
  }
  return merged;
}

function indexResponse(res: ProduceResponse, byId: boolean): PartitionIndex {
  const idx: PartitionIndex = new Map();
  for (const topic of res.responses) {
    const key = byId ? topic.topicId : topic.name;
    let parts = idx.get(key);
    if (parts === undefined) {
      parts = new Map();
      idx.set(key, parts);
    }
    for (const partition of topic.partitionResponses) parts.set(partition.index, { partition, topic });
  }
  return idx;
}

function errorPartition(index: number, error: RouteError, version: number): PartitionProduceResponse {
  const p = createPartitionProduceResponse();
  p.index = index;
  p.errorCode = error.errorCode;
  p.baseOffset = -1n;
  if (version >= FIRST_ERROR_MESSAGE_VERSION) p.errorMessage = error.errorMessage ?? null;
  return p;
}
