// The classic group protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup): READ on the group,
// else the api's whole answer is GROUP_AUTHORIZATION_FAILED, shaped as a broker shapes it.
import { ApiKey } from '../../../codec/index.js';
import type { FilterOutcome } from '../../filter.js';
import type { ApiCall, ApiKeyNumber, RequestOf, ResponseOf } from '../api-call.js';
import { apiRule, type ApiRule } from '../api-rule.js';
import { GROUP_AUTHORIZATION_FAILED } from '../authorization-errors.js';

/** JoinGroup answers a null protocol name from v7 (an empty one before). */
const FIRST_NULL_PROTOCOL_NAME_VERSION = 7;
const CHECKS = 'READ on the Group (GROUP_AUTHORIZATION_FAILED)';

/** READ on the request's group, else `denied` answers it. */
export function groupReadOrAnswer<K extends ApiKeyNumber>(
  groupId: string,
  call: ApiCall<K>,
  denied: () => ResponseOf<K>,
  allowed: () => FilterOutcome = () => ({ kind: 'forward' }),
): FilterOutcome {
  return call.authz.allowed('READ', 'GROUP', groupId) ? allowed() : call.answer(denied());
}

function groupReadRule<K extends ApiKeyNumber>(
  apiKey: K,
  groupOf: (req: RequestOf<K>) => string,
  denied: (req: RequestOf<K>, version: number) => ResponseOf<K>,
): ApiRule<K> {
  return apiRule({
    apiKey,
    checks: CHECKS,
    decide: (req, call) => groupReadOrAnswer(groupOf(req), call, () => denied(req, call.version)),
  });
}

export const joinGroupRule = groupReadRule(
  ApiKey.JoinGroup,
  (req) => req.groupId,
  (_req, version) => ({
    throttleTimeMs: 0,
    errorCode: GROUP_AUTHORIZATION_FAILED,
    generationId: -1,
    protocolType: null,
    protocolName: version >= FIRST_NULL_PROTOCOL_NAME_VERSION ? null : '',
    leader: '',
    skipAssignment: false,
    memberId: '',
    members: [],
  }),
);

export const syncGroupRule = groupReadRule(
  ApiKey.SyncGroup,
  (req) => req.groupId,
  () => ({ throttleTimeMs: 0, errorCode: GROUP_AUTHORIZATION_FAILED, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) }),
);

export const heartbeatRule = groupReadRule(
  ApiKey.Heartbeat,
  (req) => req.groupId,
  () => ({ throttleTimeMs: 0, errorCode: GROUP_AUTHORIZATION_FAILED }),
);

export const leaveGroupRule = groupReadRule(
  ApiKey.LeaveGroup,
  (req) => req.groupId,
  () => ({ throttleTimeMs: 0, errorCode: GROUP_AUTHORIZATION_FAILED, members: [] }),
);
