// Group administration: DescribeGroups needs DESCRIBE on each group (GROUP_AUTHORIZATION_FAILED
// per group; authorized operations are Turnout's), ListGroups shows every group to a principal
// with DESCRIBE on the cluster and otherwise only the groups it may describe (never an error),
// DeleteGroups needs DELETE on each group (GROUP_AUTHORIZATION_FAILED per group).
import { ApiKey } from '../../../codec/index.js';
import type { DeletableGroupResult } from '../../../codec/generated/delete-groups.js';
import type { DescribedGroup } from '../../../codec/generated/describe-groups.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from '../../../routing/multi/multi-codes.js';
import { apiRule } from '../api-rule.js';
import { groupError } from '../entry-errors.js';
import { splitEntries } from '../entry-split.js';

/** DescribeGroups reports authorized operations from v3. */
const FIRST_AUTHORIZED_OPERATIONS_VERSION = 3;

export const describeGroupsRule = apiRule({
  apiKey: ApiKey.DescribeGroups,
  checks: 'DESCRIBE on each Group (GROUP_AUTHORIZATION_FAILED per group)',
  decide(req, call) {
    const split = splitEntries<typeof ApiKey.DescribeGroups, string, DescribedGroup>({
      entries: req.groups,
      errorOf: (groupId) => groupError(call.authz, 'DESCRIBE', groupId),
      requestWith: (groups) => ({ ...req, groups }),
      deniedAnswer: (groupId, errorCode) => ({
        errorCode,
        errorMessage: null,
        groupId,
        groupState: '',
        protocolType: '',
        protocolData: '',
        members: [],
        authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
      }),
      emptyResponse: () => ({ throttleTimeMs: 0, groups: [] }),
      answerList: 'groups',
      requestKey: (groupId) => groupId,
      answerKey: (g) => g.groupId,
    });
    if (call.version < FIRST_AUTHORIZED_OPERATIONS_VERSION || !req.includeAuthorizedOperations) return call.forwardOrDeny(split);
    return call.forwardOrDeny(split, (res) => {
      for (const g of res.groups) if (g.errorCode === 0) g.authorizedOperations = call.authz.authorizedOperations('GROUP', g.groupId);
      return res;
    });
  },
});

export const listGroupsRule = apiRule({
  apiKey: ApiKey.ListGroups,
  checks: 'DESCRIBE on the Cluster shows every group; else only the Groups it may DESCRIBE (no error)',
  decide(_req, call) {
    if (call.authz.allowedOnCluster('DESCRIBE', false)) return { kind: 'forward' };
    return call.forward(undefined, (res) => ({ ...res, groups: res.groups.filter((g) => call.authz.allowedQuietly('DESCRIBE', 'GROUP', g.groupId)) }));
  },
});

export const deleteGroupsRule = apiRule({
  apiKey: ApiKey.DeleteGroups,
  checks: 'DELETE on each Group (GROUP_AUTHORIZATION_FAILED per group)',
  decide(req, call) {
    return call.forwardOrDeny(
      splitEntries<typeof ApiKey.DeleteGroups, string, DeletableGroupResult>({
        entries: req.groupsNames,
        errorOf: (groupId) => groupError(call.authz, 'DELETE', groupId),
        requestWith: (groupsNames) => ({ ...req, groupsNames }),
        deniedAnswer: (groupId, errorCode) => ({ groupId, errorCode }),
        emptyResponse: () => ({ throttleTimeMs: 0, results: [] }),
        answerList: 'results',
        requestKey: (groupId) => groupId,
        answerKey: (g) => g.groupId,
      }),
    );
  },
});
