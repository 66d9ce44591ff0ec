// DescribeTopicPartitions: DESCRIBE on each topic. Asked for all topics, the answer leaves out
// those the principal may not describe; asked by name, such topics are never asked of the
// backend and are answered TOPIC_AUTHORIZATION_FAILED with a zero topic id, after the others
// (a broker's order: the described topics sorted, then the denied ones). Every topic's
// authorized operations are Turnout's, and the answers teach the ACL filter topic ids.
import { ApiKey, ZERO_UUID } from '../../../codec/index.js';
import {
  createDescribeTopicPartitionsResponseTopic,
  type DescribeTopicPartitionsResponse,
  type DescribeTopicPartitionsResponseTopic,
} from '../../../codec/generated/describe-topic-partitions.js';
import type { ApiCall } from '../api-call.js';
import { apiRule } from '../api-rule.js';
import { TOPIC_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import type { LearnedTopicNames } from '../topic-names.js';

type Call = ApiCall<typeof ApiKey.DescribeTopicPartitions>;

export function describeTopicPartitionsRule(learned: LearnedTopicNames) {
  return apiRule({
    apiKey: ApiKey.DescribeTopicPartitions,
    checks: 'DESCRIBE on each Topic (all topics: left out; named: TOPIC_AUTHORIZATION_FAILED with a zero topic id, after the others)',
    decide(req, call) {
      if (req.topics.length === 0) {
        return call.forward(undefined, (res) => {
          res.topics = res.topics.filter((t) => t.name !== null && call.authz.allowedQuietly('DESCRIBE', 'TOPIC', t.name));
          return described(res, call, learned);
        });
      }
      const allowed = req.topics.filter((t) => call.authz.allowed('DESCRIBE', 'TOPIC', t.name));
      const denied = req.topics.filter((t) => !allowed.includes(t)).map((t) => deniedTopic(t.name));
      if (allowed.length === 0) return call.answer({ throttleTimeMs: 0, topics: denied, nextCursor: null });
      const body = allowed.length === req.topics.length ? undefined : { ...req, topics: allowed };
      return call.forward(body, (res) => {
        described(res, call, learned).topics.push(...denied);
        return res;
      });
    },
  });
}

function described(res: DescribeTopicPartitionsResponse, call: Call, learned: LearnedTopicNames): DescribeTopicPartitionsResponse {
  for (const t of res.topics) {
    if (t.name === null) continue;
    learned.learn(t.topicId, t.name);
    t.topicAuthorizedOperations = call.authz.authorizedOperations('TOPIC', t.name);
  }
  return res;
}

function deniedTopic(name: string): DescribeTopicPartitionsResponseTopic {
  return { ...createDescribeTopicPartitionsResponseTopic(), errorCode: TOPIC_AUTHORIZATION_FAILED, name, topicId: ZERO_UUID };
}
