// Topic ids in Fetch (v13+) and Produce (v13) parts, translated between the client's virtual
// ids and one backend's real ids with a TopicIdMap. Requests are translated after the split
// (each part goes to one backend; its topic entries are the part's own, so the client's
// request keeps its virtual ids for the merge), answers before the merge (which matches
// answers to the client's partitions by virtual id).
//
// Routing should answer a partition UNKNOWN_TOPIC_ID when `TopicIdMap.realIdOf` finds no real
// id on the destination's backend, as a broker answers an id it does not know: the client
// refreshes metadata, whose merge binds the backend's real id, and fetches again.
import type { FetchRequest, FetchResponse } from '../codec/generated/fetch.js';
import type { ProduceRequest, ProduceResponse } from '../codec/generated/produce.js';
import type { TopicIdMap } from './topic-id-map.js';

/** Fetch identifies topics by id from v13; Produce from v13. */
export const FETCH_FIRST_TOPIC_ID_VERSION = 13;
export const PRODUCE_FIRST_TOPIC_ID_VERSION = 13;

/** The topic name of a Fetch topic entry: its name before v13, what its virtual id names from v13. */
export function fetchTopicName(t: { topic: string; topicId: string }, version: number, topicIds: TopicIdMap): string | undefined {
  return version >= FETCH_FIRST_TOPIC_ID_VERSION ? topicIds.nameOf(t.topicId) : t.topic;
}

/** The topic name of a Produce topic entry: its name before v13, what its virtual id names in v13. */
export function produceTopicName(t: { name: string; topicId: string }, version: number, topicIds: TopicIdMap): string | undefined {
  return version >= PRODUCE_FIRST_TOPIC_ID_VERSION ? topicIds.nameOf(t.topicId) : t.name;
}

/** A Fetch part's topic ids to `backend`'s real ones, in place. Returns the number of ids with no real id there (left as they were). */
export function fetchRequestTopicIdsToReal(req: FetchRequest, version: number, backend: string, topicIds: TopicIdMap): number {
  if (version < FETCH_FIRST_TOPIC_ID_VERSION) return 0;
  let unknown = 0;
  for (const t of req.topics) unknown += toReal(t, backend, topicIds);
  for (const t of req.forgottenTopicsData) unknown += toReal(t, backend, topicIds);
  return unknown;
}

/** A Fetch answer's topic ids from `backend` to virtual ones, in place. Returns the number of ids Turnout has no virtual id for. */
export function fetchResponseTopicIdsToVirtual(res: FetchResponse, version: number, backend: string, topicIds: TopicIdMap): number {
  if (version < FETCH_FIRST_TOPIC_ID_VERSION) return 0;
  let unknown = 0;
  for (const t of res.responses) unknown += toVirtual(t, backend, topicIds);
  return unknown;
}

/** A Produce part's topic ids to `backend`'s real ones, in place. Returns the number left unknown. */
export function produceRequestTopicIdsToReal(req: ProduceRequest, version: number, backend: string, topicIds: TopicIdMap): number {
  if (version < PRODUCE_FIRST_TOPIC_ID_VERSION) return 0;
  let unknown = 0;
  for (const t of req.topicData) unknown += toReal(t, backend, topicIds);
  return unknown;
}

/** A Produce answer's topic ids from `backend` to virtual ones, in place. Returns the number left unknown. */
export function produceResponseTopicIdsToVirtual(res: ProduceResponse, version: number, backend: string, topicIds: TopicIdMap): number {
  if (version < PRODUCE_FIRST_TOPIC_ID_VERSION) return 0;
  let unknown = 0;
  for (const t of res.responses) unknown += toVirtual(t, backend, topicIds);
  return unknown;
}

function toReal(t: { topicId: string }, backend: string, topicIds: TopicIdMap): number {
  const real = topicIds.realIdOf(t.topicId, backend);
  if (real === undefined) return 1;
  t.topicId = real;
  return 0;
}

function toVirtual(t: { topicId: string }, backend: string, topicIds: TopicIdMap): number {
  const virtual = topicIds.virtualIdOfReal(backend, t.topicId);
  if (virtual === undefined) return 1;
  t.topicId = virtual;
  return 0;
}
