// What becomes of a Fetch part's partitions that went to a follower (read-replicas.ts) and
// came back with an answer only the leader can fix, within the same client request:
//   OFFSET_OUT_OF_RANGE, OFFSET_NOT_AVAILABLE  the follower is behind: fetched at the leader
//                                              (never passed on: the client would reset)
//   NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, REPLICA_NOT_AVAILABLE,
//   UNKNOWN_TOPIC_OR_PARTITION, or no answer   the follower is set aside for the partition,
//                                              Turnout's view refreshed, and the partition
//                                              fetched at the leader
// The leader is asked with maxWaitMs 0, so a retry never makes the client wait twice.
// A forwarded Fetch (fetch-forward.ts) cannot ask the leader again: its answer is already on
// its way to the client. Such a partition is answered PASSED_ON_FOLLOWER_ERROR instead, and
// its follower set aside whatever the reason, so the client's retry is read from the leader.
import type { FetchRequest, FetchResponse } from '../../codec/index.js';
import { createPartitionData, type FetchableTopicResponse, type PartitionData } from '../../codec/generated/fetch.js';
import type { FollowerRetryReason } from '../../observability/zone-metrics.js';
import {
  FENCED_LEADER_EPOCH,
  NOT_LEADER_OR_FOLLOWER,
  OFFSET_NOT_AVAILABLE,
  OFFSET_OUT_OF_RANGE,
  REPLICA_NOT_AVAILABLE,
  UNKNOWN_LEADER_EPOCH,
  UNKNOWN_TOPIC_OR_PARTITION,
} from '../error-codes.js';

/**
 * What a forwarded Fetch tells the client for a partition whose follower answered what only
 * the leader can fix: REPLICA_NOT_AVAILABLE, which Kafka's clients only retry, keeping their
 * offset and their group membership:
 *   Java (FetchCollector): asks for a metadata update and fetches the partition again;
 *   librdkafka: refreshes metadata and fetches again after its fetch error backoff;
 *   kafkajs 2.x: not one of its stale-metadata errors, so the member does not rejoin; the
 *     Fetch fails whole and its runner fetches again from the same offsets.
 * The others do more: OFFSET_OUT_OF_RANGE resets the offset; NOT_LEADER_OR_FOLLOWER,
 * FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH and UNKNOWN_TOPIC_OR_PARTITION make a kafkajs
 * member rejoin its group; OFFSET_NOT_AVAILABLE (and KAFKA_STORAGE_ERROR) make the Java
 * consumer stop fetching the partition until new metadata arrives.
 */
export const PASSED_ON_FOLLOWER_ERROR = REPLICA_NOT_AVAILABLE;

/** Fetch names topics by id from this version. */
const FIRST_TOPIC_ID_VERSION = 13;

const REASONS: ReadonlyMap<number, FollowerRetryReason> = new Map([
  [OFFSET_OUT_OF_RANGE, 'offset_out_of_range'],
  [OFFSET_NOT_AVAILABLE, 'offset_not_available'],
  [NOT_LEADER_OR_FOLLOWER, 'not_leader_or_follower'],
  [FENCED_LEADER_EPOCH, 'fenced_leader_epoch'],
  [UNKNOWN_LEADER_EPOCH, 'unknown_leader_epoch'],
  [REPLICA_NOT_AVAILABLE, 'replica_not_available'],
  [UNKNOWN_TOPIC_OR_PARTITION, 'not_leader_or_follower'],
]);

/** Why a follower's answer for a partition must be fetched again at the leader, or null when it stands. */
export function followerRetryReason(errorCode: number): FollowerRetryReason | null {
  return REASONS.get(errorCode) ?? null;
}

/** Partitions of one part routed to followers: `topic/partition` → the real leader. */
export type FollowerPartitions = ReadonlyMap<string, number>;

export function followerKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/** How a part's request and its answers name a topic: its real id from v13, else its name. */
export function wireTopicKey(t: { topic: string; topicId: string }, version: number): string {
  return version >= FIRST_TOPIC_ID_VERSION ? t.topicId : t.topic;
}

/** One partition to fetch again at its leader. */
export interface LeaderRetry {
  /** The topic's wire key (see wireTopicKey). */
  topicKey: string;
  partition: number;
  leaderId: number;
}

/**
 * The leader requests of a set of retries: the part's request (sessionless, real topic ids)
 * cut down to each leader's partitions, with maxWaitMs 0.
 */
export function leaderRetryRequests(request: FetchRequest, retries: readonly LeaderRetry[], version: number): Map<number, FetchRequest> {
  const wanted = new Map<string, number>();
  for (const r of retries) wanted.set(`${r.topicKey}\u0000${r.partition}`, r.leaderId);
  const byLeader = new Map<number, FetchRequest>();
  for (const t of request.topics) {
    const topicKey = wireTopicKey(t, version);
    for (const p of t.partitions) {
      const leaderId = wanted.get(`${topicKey}\u0000${p.partition}`);
      if (leaderId === undefined) continue;
      let req = byLeader.get(leaderId);
      if (req === undefined) byLeader.set(leaderId, (req = { ...request, maxWaitMs: 0, topics: [], forgottenTopicsData: [] }));
      let topic = req.topics.find((x) => wireTopicKey(x, version) === topicKey);
      if (topic === undefined) req.topics.push((topic = { topic: t.topic, topicId: t.topicId, partitions: [] }));
      topic.partitions.push(p);
    }
  }
  return byLeader;
}

/** An answer with no partitions, for a part whose broker gave none. */
export function emptyFetchAnswer(): FetchResponse {
  return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [] };
}

/** A partition answered NOT_LEADER_OR_FOLLOWER: its leader could not be asked either; the client refreshes and retries. */
export function unansweredPartition(partition: number): PartitionData {
  return { ...createPartitionData(), partitionIndex: partition, errorCode: NOT_LEADER_OR_FOLLOWER, highWatermark: -1n };
}

/** Puts `data` in `answer` in place of the partition's entry (added when the answer has none). */
export function replacePartition(answer: FetchResponse, topic: { topic: string; topicId: string }, data: PartitionData, version: number): void {
  const key = wireTopicKey(topic, version);
  let t: FetchableTopicResponse | undefined = answer.responses.find((x) => wireTopicKey(x, version) === key);
  if (t === undefined) answer.responses.push((t = { topic: topic.topic, topicId: topic.topicId, partitions: [] }));
  const i = t.partitions.findIndex((p) => p.partitionIndex === data.partitionIndex);
  if (i >= 0) t.partitions[i] = data;
  else t.partitions.push(data);
}

/** A partition's answer in another answer, by the topic's wire key. */
export function findPartition(answer: FetchResponse, topicKey: string, partition: number, version: number): PartitionData | undefined {
  return answer.responses.find((t) => wireTopicKey(t, version) === topicKey)?.partitions.find((p) => p.partitionIndex === partition);
}
