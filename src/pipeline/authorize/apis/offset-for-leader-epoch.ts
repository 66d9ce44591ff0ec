// OffsetForLeaderEpoch: CLUSTER_ACTION on the cluster allows every topic (the inter-broker
// use); otherwise DESCRIBE on each topic (KIP-320: consumers check for log truncation), a
// denied topic's partitions getting TOPIC_AUTHORIZATION_FAILED.
import { ApiKey } from '../../../codec/index.js';
import {
  createEpochEndOffset,
  type OffsetForLeaderTopic,
  type OffsetForLeaderTopicResult,
} from '../../../codec/generated/offset-for-leader-epoch.js';
import { apiRule } from '../api-rule.js';
import { splitEntries } from '../entry-split.js';
import { topicError } from '../entry-errors.js';

export const offsetForLeaderEpochRule = apiRule({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  checks: 'CLUSTER_ACTION on the Cluster, else DESCRIBE on each Topic (TOPIC_AUTHORIZATION_FAILED per partition)',
  decide(req, call) {
    if (call.authz.allowedOnCluster('CLUSTER_ACTION', false)) return { kind: 'forward' };
    const split = splitEntries<typeof ApiKey.OffsetForLeaderEpoch, OffsetForLeaderTopic, OffsetForLeaderTopicResult>({
      entries: req.topics,
      errorOf: (t) => topicError(call.authz, 'DESCRIBE', t.topic),
      requestWith: (topics) => ({ ...req, topics }),
      deniedAnswer: (t, errorCode) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => ({ ...createEpochEndOffset(), partition: p.partition, errorCode })),
      }),
      emptyResponse: () => ({ throttleTimeMs: 0, topics: [] }),
      answerList: 'topics',
      requestKey: (t) => t.topic,
      answerKey: (t) => t.topic,
    });
    return call.forwardOrDeny(split);
  },
});
