// The share group apis (KIP-932), with Kafka's checks. ShareGroupHeartbeat and
// ShareGroupDescribe are decided as their consumer-group twins. ShareFetch and ShareAcknowledge
// need READ on the group (GROUP_AUTHORIZATION_FAILED) and READ on every topic they name; Turnout
// does not split a share fetch, so a topic denied (or an id it does not know) fails the whole
// request with that error at the top. A share session keeps partitions the request no longer
// names, so a share fetch's answer is checked too: a partition of a topic the principal may no
// longer read comes back TOPIC_AUTHORIZATION_FAILED, without its records. The offset admin apis:
// DescribeShareGroupOffsets as OffsetFetch (DESCRIBE on groups and topics), AlterShareGroupOffsets
// READ on the group then each topic, DeleteShareGroupOffsets DELETE on the group then READ on
// each topic.
import { ApiKey, ZERO_UUID } from '../../../codec/index.js';
import type { AlterShareGroupOffsetsRequestTopic, AlterShareGroupOffsetsResponseTopic } from '../../../codec/generated/alter-share-group-offsets.js';
import type { DeleteShareGroupOffsetsRequestTopic, DeleteShareGroupOffsetsResponseTopic } from '../../../codec/generated/delete-share-group-offsets.js';
import {
  createDescribeShareGroupOffsetsResponsePartition,
  type DescribeShareGroupOffsetsRequestGroup,
  type DescribeShareGroupOffsetsRequestTopic,
  type DescribeShareGroupOffsetsResponseGroup,
  type DescribeShareGroupOffsetsResponseTopic,
} from '../../../codec/generated/describe-share-group-offsets.js';
import { createPartitionData } from '../../../codec/generated/share-fetch.js';
import { createDescribedGroup } from '../../../codec/generated/share-group-describe.js';
import type { ApiCall } from '../api-call.js';
import { apiRule } from '../api-rule.js';
import { defaultErrorMessage, GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import { groupError, topicError } from '../entry-errors.js';
import { splitEntries } from '../entry-split.js';
import { groupTopicsDecision } from '../group-topics.js';
import { describeGroupsDecision, heartbeatDecision } from './consumer-groups.js';

export const shareGroupHeartbeatRule = apiRule({
  apiKey: ApiKey.ShareGroupHeartbeat,
  checks: 'READ on the Group (GROUP_AUTHORIZATION_FAILED), then DESCRIBE on each subscribed Topic (TOPIC_AUTHORIZATION_FAILED)',
  decide: (req, call) => heartbeatDecision(req.groupId, req.subscribedTopicNames, call),
});

export const shareGroupDescribeRule = apiRule({
  apiKey: ApiKey.ShareGroupDescribe,
  checks: 'DESCRIBE on each Group (GROUP_AUTHORIZATION_FAILED per group); a group assigned a Topic it may not DESCRIBE: TOPIC_AUTHORIZATION_FAILED',
  decide: (req, call) => describeGroupsDecision(req, call, createDescribedGroup),
});

/** The first error of READ on the group and on every topic a share request names (by id), or 0. */
function shareRequestError(call: ApiCall<typeof ApiKey.ShareFetch> | ApiCall<typeof ApiKey.ShareAcknowledge>, groupId: string | null, topicIds: string[]): number {
  if (groupId === null || groupError(call.authz, 'READ', groupId) !== 0) return GROUP_AUTHORIZATION_FAILED;
  for (const id of topicIds) {
    const code = topicError(call.authz, 'READ', call.authz.topicNames.nameOf(id));
    if (code !== 0) return code;
  }
  return 0;
}

export const shareFetchRule = apiRule({
  apiKey: ApiKey.ShareFetch,
  checks:
    'READ on the Group (GROUP_AUTHORIZATION_FAILED), then READ on each Topic (TOPIC_AUTHORIZATION_FAILED for the request); ' +
    'partitions of a Topic no longer readable leave the answer as TOPIC_AUTHORIZATION_FAILED',
  decide(req, call) {
    const errorCode = shareRequestError(call, req.groupId, req.topics.map((t) => t.topicId));
    if (errorCode !== 0) {
      return call.answer({ throttleTimeMs: 0, errorCode, errorMessage: null, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] });
    }
    return call.forward(undefined, (res) => {
      for (const t of res.responses) {
        if (topicError(call.authz, 'READ', call.authz.topicNames.nameOf(t.topicId)) === 0) continue;
        t.partitions = t.partitions.map((p) => ({ ...createPartitionData(), partitionIndex: p.partitionIndex, errorCode: TOPIC_AUTHORIZATION_FAILED }));
      }
      return res;
    });
  },
});

export const shareAcknowledgeRule = apiRule({
  apiKey: ApiKey.ShareAcknowledge,
  checks: 'READ on the Group (GROUP_AUTHORIZATION_FAILED), then READ on each Topic (TOPIC_AUTHORIZATION_FAILED for the request)',
  decide(req, call) {
    const errorCode = shareRequestError(call, req.groupId, req.topics.map((t) => t.topicId));
    if (errorCode === 0) return { kind: 'forward' };
    return call.answer({ throttleTimeMs: 0, errorCode, errorMessage: null, responses: [], nodeEndpoints: [] });
  },
});

export const describeShareGroupOffsetsRule = apiRule({
  apiKey: ApiKey.DescribeShareGroupOffsets,
  checks: 'DESCRIBE on each Group (GROUP_AUTHORIZATION_FAILED), then DESCRIBE on each Topic (named: TOPIC_AUTHORIZATION_FAILED per partition; all: left out)',
  decide(req, call) {
    return groupTopicsDecision<
      typeof ApiKey.DescribeShareGroupOffsets,
      DescribeShareGroupOffsetsRequestTopic,
      DescribeShareGroupOffsetsResponseTopic,
      DescribeShareGroupOffsetsResponseGroup
    >(call, {
      groups: req.groups,
      askedName: (t) => t.topicName,
      answerName: (t) => t.topicName,
      deniedTopic: (t, errorCode) => ({
        topicName: t.topicName,
        topicId: ZERO_UUID,
        partitions: t.partitions.map((partitionIndex) => ({
          ...createDescribeShareGroupOffsetsResponsePartition(),
          partitionIndex,
          errorCode,
          errorMessage: defaultErrorMessage(errorCode),
        })),
      }),
      groupError: (groupId, errorCode) => ({ groupId, topics: [], errorCode, errorMessage: null }),
      requestWith: (groups) => ({ ...req, groups: groups as DescribeShareGroupOffsetsRequestGroup[] }),
      responseWith: (groups) => ({ throttleTimeMs: 0, groups }),
      answeredGroups: (res) => res.groups,
    });
  },
});

export const alterShareGroupOffsetsRule = apiRule({
  apiKey: ApiKey.AlterShareGroupOffsets,
  checks: 'READ on the Group (GROUP_AUTHORIZATION_FAILED), then READ on each Topic (TOPIC_AUTHORIZATION_FAILED per partition)',
  decide(req, call) {
    const empty = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, errorMessage: defaultErrorMessage(errorCode), responses: [] });
    if (groupError(call.authz, 'READ', req.groupId) !== 0) return call.answer(empty(GROUP_AUTHORIZATION_FAILED));
    return call.forwardOrDeny(
      splitEntries<typeof ApiKey.AlterShareGroupOffsets, AlterShareGroupOffsetsRequestTopic, AlterShareGroupOffsetsResponseTopic>({
        entries: req.topics,
        errorOf: (t) => topicError(call.authz, 'READ', t.topicName),
        requestWith: (topics) => ({ ...req, topics }),
        deniedAnswer: (t, errorCode) => ({
          topicName: t.topicName,
          topicId: ZERO_UUID,
          partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage: defaultErrorMessage(errorCode) })),
        }),
        emptyResponse: () => ({ ...empty(0), errorMessage: null }),
        answerList: 'responses',
        requestKey: (t) => t.topicName,
        answerKey: (t) => t.topicName,
      }),
    );
  },
});

export const deleteShareGroupOffsetsRule = apiRule({
  apiKey: ApiKey.DeleteShareGroupOffsets,
  checks: 'DELETE on the Group (GROUP_AUTHORIZATION_FAILED), then READ on each Topic (TOPIC_AUTHORIZATION_FAILED per topic)',
  decide(req, call) {
    const empty = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, errorMessage: defaultErrorMessage(errorCode), responses: [] });
    if (groupError(call.authz, 'DELETE', req.groupId) !== 0) return call.answer(empty(GROUP_AUTHORIZATION_FAILED));
    return call.forwardOrDeny(
      splitEntries<typeof ApiKey.DeleteShareGroupOffsets, DeleteShareGroupOffsetsRequestTopic, DeleteShareGroupOffsetsResponseTopic>({
        entries: req.topics,
        errorOf: (t) => topicError(call.authz, 'READ', t.topicName),
        requestWith: (topics) => ({ ...req, topics }),
        deniedAnswer: (t, errorCode) => ({ topicName: t.topicName, topicId: ZERO_UUID, errorCode, errorMessage: defaultErrorMessage(errorCode) }),
        emptyResponse: () => ({ ...empty(0), errorMessage: null }),
        answerList: 'responses',
        requestKey: (t) => t.topicName,
        answerKey: (t) => t.topicName,
      }),
    );
  },
});
