// OffsetFetch: DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED: before v2 for every
// partition asked, from v2 as the top-level error, from v8 per group), then DESCRIBE on each
// topic: a named topic the principal may not describe gets TOPIC_AUTHORIZATION_FAILED per
// partition, and an all-topics answer leaves such topics out.
import { ApiKey, type OffsetFetchRequest, type OffsetFetchResponse } from '../../../codec/index.js';
import {
  createOffsetFetchResponsePartitions,
  type OffsetFetchRequestGroup,
  type OffsetFetchRequestTopics,
  type OffsetFetchResponseGroup,
  type OffsetFetchResponseTopics,
} from '../../../codec/generated/offset-fetch.js';
import type { ApiCall } from '../api-call.js';
import { apiRule } from '../api-rule.js';
import { GROUP_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import { splitEntries } from '../entry-split.js';
import { groupTopicsDecision } from '../group-topics.js';
import { topicError } from '../entry-errors.js';

/** A top-level error code from v2; several groups per request from v8. */
const FIRST_TOP_LEVEL_ERROR_VERSION = 2;
const FIRST_BATCHED_VERSION = 8;

type Call = ApiCall<typeof ApiKey.OffsetFetch>;
type AskedTopic = { name: string; partitionIndexes: number[] };

export const offsetFetchRule = apiRule({
  apiKey: ApiKey.OffsetFetch,
  checks:
    'DESCRIBE on each Group (GROUP_AUTHORIZATION_FAILED), then DESCRIBE on each Topic ' +
    '(named: TOPIC_AUTHORIZATION_FAILED per partition; all topics: left out)',
  decide(req, call) {
    return call.version >= FIRST_BATCHED_VERSION ? batched(req, call) : single(req, call);
  },
});

function single(req: OffsetFetchRequest, call: Call) {
  if (!call.authz.allowed('DESCRIBE', 'GROUP', req.groupId)) {
    if (call.version >= FIRST_TOP_LEVEL_ERROR_VERSION) return call.answer(emptyResponse(GROUP_AUTHORIZATION_FAILED));
    return call.answer({ ...emptyResponse(0), topics: (req.topics ?? []).map((t) => deniedTopic(t, GROUP_AUTHORIZATION_FAILED)) });
  }
  if (req.topics === null) return call.forward(undefined, (res) => ({ ...res, topics: res.errorCode === 0 ? describable(res.topics, call) : res.topics }));
  return call.forwardOrDeny(
    splitEntries<typeof ApiKey.OffsetFetch, OffsetFetchRequestTopics, OffsetFetchResponseTopics>({
      entries: req.topics,
      errorOf: (t) => topicError(call.authz, 'DESCRIBE', t.name),
      requestWith: (topics) => ({ ...req, topics }),
      deniedAnswer: deniedTopic,
      emptyResponse: () => emptyResponse(0),
      answerList: 'topics',
      requestKey: (t) => t.name,
      answerKey: (t) => t.name,
    }),
  );
}

function batched(req: OffsetFetchRequest, call: Call) {
  return groupTopicsDecision<typeof ApiKey.OffsetFetch, OffsetFetchRequestTopics, OffsetFetchResponseTopics, OffsetFetchResponseGroup>(call, {
    groups: req.groups,
    askedName: (t) => t.name,
    answerName: (t) => t.name,
    deniedTopic,
    groupError: (groupId, errorCode) => ({ groupId, topics: [], errorCode }),
    requestWith: (groups) => ({ ...req, groups: groups as OffsetFetchRequestGroup[] }),
    responseWith: (groups) => ({ ...emptyResponse(0), groups }),
    answeredGroups: (res) => res.groups,
  });
}

/** The topics of an all-topics answer that the principal may describe. */
function describable<T extends { name: string }>(topics: T[], call: Call): T[] {
  return topics.filter((t) => call.authz.allowedQuietly('DESCRIBE', 'TOPIC', t.name));
}

function emptyResponse(errorCode: number): OffsetFetchResponse {
  return { throttleTimeMs: 0, topics: [], errorCode, groups: [] };
}

function deniedTopic(t: AskedTopic, errorCode: number): OffsetFetchResponseTopics {
  return {
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => ({ ...createOffsetFetchResponsePartitions(), partitionIndex, committedOffset: -1n, errorCode })),
  };
}
