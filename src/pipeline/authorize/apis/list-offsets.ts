// ListOffsets: DESCRIBE on each topic; a denied topic's partitions get TOPIC_AUTHORIZATION_FAILED
// with no offset and no timestamp (v0: no offsets), the others are answered by the backend.
import { ApiKey } from '../../../codec/index.js';
import {
  createListOffsetsPartitionResponse,
  type ListOffsetsTopic,
  type ListOffsetsTopicResponse,
} from '../../../codec/generated/list-offsets.js';
import { apiRule } from '../api-rule.js';
import { splitEntries } from '../entry-split.js';
import { topicError } from '../entry-errors.js';

export const listOffsetsRule = apiRule({
  apiKey: ApiKey.ListOffsets,
  checks: 'DESCRIBE on each Topic (TOPIC_AUTHORIZATION_FAILED per partition)',
  decide(req, call) {
    const split = splitEntries<typeof ApiKey.ListOffsets, ListOffsetsTopic, ListOffsetsTopicResponse>({
      entries: req.topics,
      errorOf: (t) => topicError(call.authz, 'DESCRIBE', t.name),
      requestWith: (topics) => ({ ...req, topics }),
      deniedAnswer: (t, errorCode) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ ...createListOffsetsPartitionResponse(), partitionIndex: p.partitionIndex, errorCode })),
      }),
      emptyResponse: () => ({ throttleTimeMs: 0, topics: [] }),
      answerList: 'topics',
      requestKey: (t) => t.name,
      answerKey: (t) => t.name,
    });
    return call.forwardOrDeny(split);
  },
});
