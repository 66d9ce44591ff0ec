// OffsetDelete: DELETE on the group (GROUP_AUTHORIZATION_FAILED for the whole answer), then READ
// on each topic (TOPIC_AUTHORIZATION_FAILED per partition).
import { ApiKey } from '../../../codec/index.js';
import { apiRule } from '../api-rule.js';
import { GROUP_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import { splitOffsetTopics } from '../offset-topics.js';

export const offsetDeleteRule = apiRule({
  apiKey: ApiKey.OffsetDelete,
  checks: 'DELETE on the Group (GROUP_AUTHORIZATION_FAILED for the whole answer), then READ on each Topic (TOPIC_AUTHORIZATION_FAILED per partition)',
  decide(req, call) {
    if (!call.authz.allowed('DELETE', 'GROUP', req.groupId)) {
      return call.answer({ errorCode: GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] });
    }
    return call.forwardOrDeny(
      splitOffsetTopics(call.authz, {
        topics: req.topics,
        operation: 'READ',
        requestWith: (topics) => ({ ...req, topics }),
        emptyResponse: () => ({ errorCode: 0, throttleTimeMs: 0, topics: [] }),
        answerList: 'topics',
      }),
    );
  },
});
