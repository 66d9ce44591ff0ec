// The consumer group protocol of KIP-848. ConsumerGroupHeartbeat: READ on the group
// (GROUP_AUTHORIZATION_FAILED), then DESCRIBE on every subscribed topic name
// (TOPIC_AUTHORIZATION_FAILED when any is denied). ConsumerGroupDescribe: DESCRIBE on each group
// (GROUP_AUTHORIZATION_FAILED per group); a group whose members are assigned a topic the
// principal may not describe is answered TOPIC_AUTHORIZATION_FAILED instead of its description.
// The share group apis of KIP-932 have the same checks (share-groups.ts uses these helpers).
import { ApiKey } from '../../../codec/index.js';
import { createDescribedGroup } from '../../../codec/generated/consumer-group-describe.js';
import type { FilterOutcome } from '../../filter.js';
import type { ApiCall, ApiKeyNumber, RequestOf, ResponseOf } from '../api-call.js';
import { apiRule } from '../api-rule.js';
import { GROUP_AUTHORIZATION_FAILED, TOPIC_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import { groupError } from '../entry-errors.js';
import { splitEntries, type ListField } from '../entry-split.js';
import { groupReadOrAnswer } from './group-membership.js';

export const TOPICS_HIDDEN_MESSAGE = 'The group has described topic(s) that the client is not authorized to describe.';

/** The heartbeat answer that carries only an error. */
export function heartbeatError(errorCode: number) {
  return { throttleTimeMs: 0, errorCode, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

/** READ on the group, then DESCRIBE on every subscribed topic. */
export function heartbeatDecision<K extends typeof ApiKey.ConsumerGroupHeartbeat | typeof ApiKey.ShareGroupHeartbeat>(
  groupId: string,
  subscribedTopicNames: readonly string[] | null,
  call: ApiCall<K>,
): FilterOutcome {
  const error = (code: number) => heartbeatError(code) as ResponseOf<K>;
  return groupReadOrAnswer(groupId, call, () => error(GROUP_AUTHORIZATION_FAILED), () => {
    const names = [...new Set(subscribedTopicNames ?? [])];
    const denied = names.filter((n) => !call.authz.allowed('DESCRIBE', 'TOPIC', n));
    return denied.length === 0 ? { kind: 'forward' } : call.answer(error(TOPIC_AUTHORIZATION_FAILED));
  });
}

interface DescribedGroupLike {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  members: Array<{ assignment: { topicPartitions: Array<{ topicName: string }> }; targetAssignment?: { topicPartitions: Array<{ topicName: string }> } }>;
  authorizedOperations: number;
}

/** DESCRIBE on each group; authorized operations and the topic check on the answer. */
export function describeGroupsDecision<K extends typeof ApiKey.ConsumerGroupDescribe | typeof ApiKey.ShareGroupDescribe, G extends DescribedGroupLike>(
  req: { groupIds: string[]; includeAuthorizedOperations: boolean },
  call: ApiCall<K>,
  emptyGroup: () => G,
): FilterOutcome {
  // The consumer and share group describe apis have the same request and answer shapes.
  const split = splitEntries<K, string, G>({
    entries: req.groupIds,
    errorOf: (groupId) => groupError(call.authz, 'DESCRIBE', groupId),
    requestWith: (groupIds) => ({ ...req, groupIds }) as unknown as RequestOf<K>,
    deniedAnswer: (groupId, errorCode) => ({ ...emptyGroup(), groupId, errorCode }),
    emptyResponse: () => ({ throttleTimeMs: 0, groups: [] }) as unknown as ResponseOf<K>,
    answerList: 'groups' as ListField<ResponseOf<K>, G>,
    requestKey: (groupId) => groupId,
    answerKey: (g) => g.groupId,
  });
  return call.forwardOrDeny(split, (res) => {
    const answer = res as unknown as { groups: G[] };
    answer.groups = answer.groups.map((g) => {
      if (g.errorCode !== 0) return g;
      if (!assignedTopicsDescribable(g, call)) return { ...emptyGroup(), groupId: g.groupId, errorCode: TOPIC_AUTHORIZATION_FAILED, errorMessage: TOPICS_HIDDEN_MESSAGE };
      if (req.includeAuthorizedOperations) g.authorizedOperations = call.authz.authorizedOperations('GROUP', g.groupId);
      return g;
    });
    return res;
  });
}

function assignedTopicsDescribable(g: DescribedGroupLike, call: ApiCall<ApiKeyNumber>): boolean {
  for (const m of g.members) {
    for (const a of [m.assignment, m.targetAssignment]) {
      if (a !== undefined && a.topicPartitions.some((tp) => !call.authz.allowedQuietly('DESCRIBE', 'TOPIC', tp.topicName))) return false;
    }
  }
  return true;
}

export const consumerGroupHeartbeatRule = apiRule({
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  checks: 'READ on the Group (GROUP_AUTHORIZATION_FAILED), then DESCRIBE on each subscribed Topic (TOPIC_AUTHORIZATION_FAILED)',
  decide: (req, call) => heartbeatDecision(req.groupId, req.subscribedTopicNames, call),
});

export const consumerGroupDescribeRule = apiRule({
  apiKey: ApiKey.ConsumerGroupDescribe,
  checks: 'DESCRIBE on each Group (GROUP_AUTHORIZATION_FAILED per group); a group assigned a Topic it may not DESCRIBE: TOPIC_AUTHORIZATION_FAILED',
  decide: (req, call) => describeGroupsDecision(req, call, createDescribedGroup),
});
