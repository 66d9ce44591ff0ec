// DeleteRecords: DELETE on each topic; a denied topic's partitions get TOPIC_AUTHORIZATION_FAILED
// and no low watermark, the others are truncated.
import { ApiKey } from '../../../codec/index.js';
import type { DeleteRecordsTopic, DeleteRecordsTopicResult } from '../../../codec/generated/delete-records.js';
import { apiRule } from '../api-rule.js';
import { splitEntries } from '../entry-split.js';
import { topicError } from '../entry-errors.js';

export const deleteRecordsRule = apiRule({
  apiKey: ApiKey.DeleteRecords,
  checks: 'DELETE on each Topic (TOPIC_AUTHORIZATION_FAILED per partition)',
  decide(req, call) {
    const split = splitEntries<typeof ApiKey.DeleteRecords, DeleteRecordsTopic, DeleteRecordsTopicResult>({
      entries: req.topics,
      errorOf: (t) => topicError(call.authz, 'DELETE', t.name),
      requestWith: (topics) => ({ ...req, topics }),
      deniedAnswer: (t, errorCode) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })),
      }),
      emptyResponse: () => ({ throttleTimeMs: 0, topics: [] }),
      answerList: 'topics',
      requestKey: (t) => t.name,
      answerKey: (t) => t.name,
    });
    return call.forwardOrDeny(split);
  },
});
