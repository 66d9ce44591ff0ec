// DescribeProducers: READ on each topic; a denied topic's partitions get
// TOPIC_AUTHORIZATION_FAILED with Kafka's message and no producers.
import { ApiKey } from '../../../codec/index.js';
import type { TopicRequest, TopicResponse } from '../../../codec/generated/describe-producers.js';
import { apiRule } from '../api-rule.js';
import { defaultErrorMessage } from '../authorization-errors.js';
import { splitEntries } from '../entry-split.js';
import { topicError } from '../entry-errors.js';

export const describeProducersRule = apiRule({
  apiKey: ApiKey.DescribeProducers,
  checks: 'READ on each Topic (TOPIC_AUTHORIZATION_FAILED per partition)',
  decide(req, call) {
    const split = splitEntries<typeof ApiKey.DescribeProducers, TopicRequest, TopicResponse>({
      entries: req.topics,
      errorOf: (t) => topicError(call.authz, 'READ', t.name),
      requestWith: (topics) => ({ ...req, topics }),
      deniedAnswer: (t, errorCode) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          errorCode,
          errorMessage: defaultErrorMessage(errorCode),
          activeProducers: [],
        })),
      }),
      emptyResponse: () => ({ throttleTimeMs: 0, topics: [] }),
      answerList: 'topics',
      requestKey: (t) => t.name,
      answerKey: (t) => t.name,
    });
    return call.forwardOrDeny(split);
  },
});
