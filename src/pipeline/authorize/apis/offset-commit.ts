// OffsetCommit: READ on the group first (GROUP_AUTHORIZATION_FAILED for every partition), then
// READ on each topic (TOPIC_AUTHORIZATION_FAILED per partition, the allowed offsets are
// committed).
import { ApiKey } from '../../../codec/index.js';
import { apiRule } from '../api-rule.js';
import { GROUP_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import { everyPartition, splitOffsetTopics } from '../offset-topics.js';

export const offsetCommitRule = apiRule({
  apiKey: ApiKey.OffsetCommit,
  checks: 'READ on the Group (GROUP_AUTHORIZATION_FAILED for every partition), then READ on each Topic (TOPIC_AUTHORIZATION_FAILED per partition)',
  decide(req, call) {
    if (!call.authz.allowed('READ', 'GROUP', req.groupId)) {
      return call.answer({ throttleTimeMs: 0, topics: req.topics.map((t) => everyPartition(t, GROUP_AUTHORIZATION_FAILED)) });
    }
    return call.forwardOrDeny(
      splitOffsetTopics(call.authz, {
        topics: req.topics,
        operation: 'READ',
        requestWith: (topics) => ({ ...req, topics }),
        emptyResponse: () => ({ throttleTimeMs: 0, topics: [] }),
        answerList: 'topics',
      }),
    );
  },
});
