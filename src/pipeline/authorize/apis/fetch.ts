// Fetch: a consumer needs READ on each topic; a denied partition gets TOPIC_AUTHORIZATION_FAILED
// and the others are fetched. A replica fetch (a replica id set) is broker-to-broker and never
// offered through Turnout: every partition gets TOPIC_AUTHORIZATION_FAILED, as a broker answers
// a follower without ClusterAction.
//
// Fetch sessions (KIP-227) are declined with ACLs on: a session is state on the broker, and a
// partition in it keeps being fetched by incremental requests that no longer name it, so a
// revoked READ would not take effect. Every request is forwarded sessionless (session id 0,
// epoch -1): a broker answers it in full, keeps no session and says session id 0, after which
// the client sends full requests that name every partition. An incremental request (a session
// Turnout never let open) gets FETCH_SESSION_ID_NOT_FOUND, as a broker answers an unknown
// session; the client starts over with a full request.
import { ApiKey, type FetchRequest, type FetchResponse } from '../../../codec/index.js';
import { createPartitionData, type FetchableTopicResponse, type FetchTopic, type PartitionData } from '../../../codec/generated/fetch.js';
import { FETCH_SESSION_ID_NOT_FOUND } from '../../../routing/error-codes.js';
import { FINAL_SESSION_EPOCH, isFullFetch } from '../../../routing/fetch-split.js';
import { FETCH_FIRST_TOPIC_ID_VERSION } from '../../../routing/topic-id-rewrite.js';
import { apiRule } from '../api-rule.js';
import { TOPIC_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import { splitEntries } from '../entry-split.js';
import { topicError, topicNameOf } from '../entry-errors.js';

/** Sessions exist from v7; the replica id moved into ReplicaState (a tagged field) in v15. */
const FIRST_SESSION_VERSION = 7;
const FIRST_REPLICA_STATE_VERSION = 15;

export const fetchRule = apiRule({
  apiKey: ApiKey.Fetch,
  checks:
    'READ on each Topic (TOPIC_AUTHORIZATION_FAILED per partition, the allowed partitions are fetched); ' +
    'a replica fetch is refused (TOPIC_AUTHORIZATION_FAILED for every partition); forwarded without a fetch session',
  decide(req, call) {
    const v = call.version;
    if (isReplicaFetch(req, v)) return call.answer(withTopics(req.topics.map((t) => deniedTopic(t, TOPIC_AUTHORIZATION_FAILED))));
    if (!isFullFetch(req, v)) return call.answer({ throttleTimeMs: 0, errorCode: FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });
    const byId = v >= FETCH_FIRST_TOPIC_ID_VERSION;
    const sessionless = (topics: FetchTopic[]): FetchRequest =>
      v < FIRST_SESSION_VERSION ? { ...req, topics } : { ...req, topics, sessionId: 0, sessionEpoch: FINAL_SESSION_EPOCH, forgottenTopicsData: [] };
    const split = splitEntries<typeof ApiKey.Fetch, FetchTopic, FetchableTopicResponse>({
      entries: req.topics,
      errorOf: (t) => topicError(call.authz, 'READ', topicNameOf(t, t.topic, v, FETCH_FIRST_TOPIC_ID_VERSION, call.authz)),
      requestWith: sessionless,
      deniedAnswer: deniedTopic,
      emptyResponse: () => withTopics([]),
      answerList: 'responses',
      requestKey: (t) => (byId ? t.topicId : t.topic),
      answerKey: (t) => (byId ? t.topicId : t.topic),
    });
    if (split !== null) return call.deny(split);
    if (v < FIRST_SESSION_VERSION || (req.sessionId === 0 && req.sessionEpoch === FINAL_SESSION_EPOCH)) return { kind: 'forward' };
    return call.forward(sessionless(req.topics));
  },
});

function isReplicaFetch(req: FetchRequest, version: number): boolean {
  const replicaId = version >= FIRST_REPLICA_STATE_VERSION ? (req.replicaState?.replicaId ?? -1) : req.replicaId;
  return replicaId >= 0;
}

function withTopics(responses: FetchableTopicResponse[]): FetchResponse {
  return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
}

function deniedTopic(t: FetchTopic, errorCode: number): FetchableTopicResponse {
  return { topic: t.topic, topicId: t.topicId, partitions: t.partitions.map((p) => deniedPartition(p.partition, errorCode)) };
}

/** Kafka's FetchResponse.partitionResponse: no high watermark, no records. */
function deniedPartition(partitionIndex: number, errorCode: number): PartitionData {
  return { ...createPartitionData(), partitionIndex, errorCode, highWatermark: -1n, records: Buffer.alloc(0) };
}
