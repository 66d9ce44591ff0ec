// Metadata answers from several backends, merged into one answer from Turnout's virtual
// cluster: Turnout's nodes, cluster id and controller; every topic taken from the backend its
// domain lives on (a topic that also exists elsewhere, as on a migration target, is taken
// from that one backend only); virtual topic ids and leader epochs; partition leaders and
// replicas as Turnout's nodes (the caller's `placePartition`); topic authorized operations as
// the topic's backend gave them.
//
// Which topics:
// - all topics (null, or an empty list in v0): every topic of every backend that its
//   resolver names as its backend, in backend order then each backend's order. If a backend
//   did not answer, its topics cannot be listed, and a list without them would make clients
//   with pattern subscriptions drop them: the result says `incomplete` and the caller should
//   retry or fail the request rather than send it.
// - named topics: in the client's order, each once. A topic no domain claims, or that its
//   backend does not have, is UNKNOWN_TOPIC_OR_PARTITION; one whose backend did not answer is
//   LEADER_NOT_AVAILABLE (retriable); an unknown virtual topic id (v12+) is UNKNOWN_TOPIC_ID.
//
// Topic ids: a topic's real id on its backend is bound to its virtual id (a topic recreated
// there gets a new virtual id and its partitions a new epoch generation); real ids of a
// topic seen on other backends are bound too, so a migration target's ids are known before
// it serves. Backend answers are not modified; the merged answer has its own entries.
import { ZERO_UUID } from '../codec/index.js';
import type {
  MetadataRequestTopic,
  MetadataResponse,
  MetadataResponseBroker,
  MetadataResponsePartition,
  MetadataResponseTopic,
} from '../codec/generated/metadata.js';
import { LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_OR_PARTITION } from './error-codes.js';
import type { LeaderEpochMap } from './leader-epoch-map.js';
import { DestinationFailure } from './split-route.js';
import type { TopicIdMap } from './topic-id-map.js';

/** Kafka's "authorized operations not requested / unknown". */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** Metadata carries cluster authorized operations in v8-10, topic authorized operations from v8, the cluster id from v2. */
const FIRST_AUTHORIZED_OPERATIONS_VERSION = 8;
const LAST_CLUSTER_AUTHORIZED_OPERATIONS_VERSION = 10;
const FIRST_CLUSTER_ID_VERSION = 2;

export interface MetadataMergeInput {
  /** The client's request version. */
  version: number;
  /** The topics the client asked for, as decoded (null: all; in v0 an empty list means all). */
  requestedTopics: readonly MetadataRequestTopic[] | null;
  /** Each backend asked: its decoded answer (any version), or the failure. Topics are listed in this order. */
  backendResponses: ReadonlyMap<string, MetadataResponse | DestinationFailure>;
  /** The backend a topic's domain lives on, or undefined when no domain claims it. */
  resolveBackend: (topic: string) => string | undefined;
  /** Turnout's nodes, as this client should see them. */
  brokers: MetadataResponseBroker[];
  clusterId: string;
  controllerId: number;
  topicIds: TopicIdMap;
  epochs: LeaderEpochMap;
  /**
   * Sets one partition's leader, replicas, ISR and offline replicas to virtual node ids, in
   * place (on the merged copy, whose leader epoch is virtual already; `realLeaderEpoch` is the
   * backend's).
   */
  placePartition: (backend: string, topic: string, partition: MetadataResponsePartition, realLeaderEpoch: number) => void;
}

export interface MetadataMergeResult {
  response: MetadataResponse;
  /** All topics were asked for and a backend did not answer: the list lacks its topics. */
  incomplete: boolean;
}

export function mergeMetadataResponses(input: MetadataMergeInput): MetadataMergeResult {
  const { version } = input;
  const answers = new Map<string, MetadataResponse>();
  let anyFailed = false;
  for (const [backend, r] of input.backendResponses) {
    if (r instanceof DestinationFailure) anyFailed = true;
    else answers.set(backend, r);
  }

  const response: MetadataResponse = {
    throttleTimeMs: 0,
    brokers: input.brokers,
    clusterId: version >= FIRST_CLUSTER_ID_VERSION ? input.clusterId : null,
    controllerId: input.controllerId,
    topics: [],
    clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    errorCode: 0,
  };
  for (const r of answers.values()) response.throttleTimeMs = Math.max(response.throttleTimeMs, r.throttleTimeMs);
  if (version >= FIRST_AUTHORIZED_OPERATIONS_VERSION && version <= LAST_CLUSTER_AUTHORIZED_OPERATIONS_VERSION && !anyFailed) {
    response.clusterAuthorizedOperations = intersectClusterOperations([...answers.values()]);
  }

  bindOtherBackendsTopicIds(input, answers);

  const allTopics = input.requestedTopics === null || (version === 0 && input.requestedTopics.length === 0);
  if (allTopics) {
    for (const [backend, r] of answers) {
      for (const t of r.topics) {
        if (t.name !== null && input.resolveBackend(t.name) === backend) response.topics.push(mergedTopic(input, backend, t));
      }
    }
    return { response, incomplete: anyFailed };
  }

  const seen = new Set<string>();
  for (const asked of input.requestedTopics as readonly MetadataRequestTopic[]) {
    const name = asked.name ?? input.topicIds.nameOf(asked.topicId);
    if (name === undefined) {
      if (!seen.has(`#${asked.topicId}`)) response.topics.push(errorTopic(UNKNOWN_TOPIC_ID, null, asked.topicId));
      seen.add(`#${asked.topicId}`);
      continue;
    }
    if (seen.has(name)) continue;
    seen.add(name);
    const backend = input.resolveBackend(name);
    if (backend === undefined) {
      response.topics.push(errorTopic(UNKNOWN_TOPIC_OR_PARTITION, name, ZERO_UUID));
      continue;
    }
    const r = answers.get(backend);
    if (r === undefined) {
      response.topics.push(errorTopic(LEADER_NOT_AVAILABLE, name, ZERO_UUID));
      continue;
    }
    const t = r.topics.find((x) => x.name === name);
    response.topics.push(t === undefined ? errorTopic(UNKNOWN_TOPIC_OR_PARTITION, name, ZERO_UUID) : mergedTopic(input, backend, t));
  }
  return { response, incomplete: false };
}

/** One topic of `backend`'s answer, in the client's terms. */
function mergedTopic(input: MetadataMergeInput, backend: string, t: MetadataResponseTopic): MetadataResponseTopic {
  const name = t.name as string;
  let topicId = ZERO_UUID;
  if (t.topicId !== ZERO_UUID) {
    const obs = input.topicIds.observeServing(backend, name, t.topicId);
    if (obs.change === 'recreated') input.epochs.beginTopicGeneration(name, backend);
    topicId = obs.virtualId;
  } else if (t.errorCode === 0) {
    topicId = input.topicIds.virtualIdOf(name) ?? ZERO_UUID;
  }
  const out: MetadataResponseTopic = {
    errorCode: t.errorCode,
    name,
    topicId,
    isInternal: t.isInternal,
    partitions: t.partitions.map((p) => {
      const copy: MetadataResponsePartition = {
        errorCode: p.errorCode,
        partitionIndex: p.partitionIndex,
        leaderId: p.leaderId,
        leaderEpoch: input.epochs.observeServing(name, p.partitionIndex, backend, p.leaderEpoch),
        replicaNodes: [...p.replicaNodes],
        isrNodes: [...p.isrNodes],
        offlineReplicas: [...p.offlineReplicas],
      };
      if (p.unknownTaggedFields !== undefined) copy.unknownTaggedFields = p.unknownTaggedFields;
      input.placePartition(backend, name, copy, p.leaderEpoch);
      return copy;
    }),
    topicAuthorizedOperations: input.version >= FIRST_AUTHORIZED_OPERATIONS_VERSION ? t.topicAuthorizedOperations : AUTHORIZED_OPERATIONS_OMITTED,
  };
  if (t.unknownTaggedFields !== undefined) out.unknownTaggedFields = t.unknownTaggedFields;
  return out;
}

/** Real ids of topics on backends that do not serve them (a migration target), bound ahead of a move. */
function bindOtherBackendsTopicIds(input: MetadataMergeInput, answers: ReadonlyMap<string, MetadataResponse>): void {
  for (const [backend, r] of answers) {
    for (const t of r.topics) {
      if (t.name === null || t.errorCode !== 0 || t.topicId === ZERO_UUID) continue;
      const owner = input.resolveBackend(t.name);
      if (owner !== undefined && owner !== backend) input.topicIds.observeOther(backend, t.name, t.topicId);
    }
  }
}

function errorTopic(errorCode: number, name: string | null, topicId: string): MetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
}

/** The operations allowed on every backend (bitwise and), or "omitted" when any backend omitted them. */
function intersectClusterOperations(answers: readonly MetadataResponse[]): number {
  if (answers.length === 0) return AUTHORIZED_OPERATIONS_OMITTED;
  let ops = -1;
  for (const r of answers) {
    if (r.clusterAuthorizedOperations === AUTHORIZED_OPERATIONS_OMITTED) return AUTHORIZED_OPERATIONS_OMITTED;
    ops &= r.clusterAuthorizedOperations;
  }
  return ops;
}
