// The topic split of the apis that commit or delete a group's offsets (OffsetCommit,
// TxnOffsetCommit, OffsetDelete): entries are topics by name with partitions, and a topic's
// answer is its partitions, each with an error code.
import type { AclOperation } from '../../policy/acl-model.js';
import type { ApiKeyNumber, RequestOf, ResponseOf, SplitAnswer } from './api-call.js';
import { splitEntries, type ListField } from './entry-split.js';
import type { RequestAuthorization } from './request-authorization.js';
import { topicError } from './entry-errors.js';

interface OffsetTopic {
  name: string;
  partitions: ReadonlyArray<{ partitionIndex: number }>;
}

export interface OffsetTopicAnswer {
  name: string;
  partitions: Array<{ partitionIndex: number; errorCode: number }>;
}

export interface OffsetTopicsSpec<K extends ApiKeyNumber, Q extends OffsetTopic> {
  readonly topics: readonly Q[];
  readonly operation: AclOperation;
  requestWith(topics: Q[]): RequestOf<K>;
  emptyResponse(): ResponseOf<K>;
  readonly answerList: ListField<ResponseOf<K>, OffsetTopicAnswer>;
}

/** Each topic decided on its own; null when every topic is allowed. */
export function splitOffsetTopics<K extends ApiKeyNumber, Q extends OffsetTopic>(
  authz: RequestAuthorization,
  spec: OffsetTopicsSpec<K, Q>,
): SplitAnswer<K> | null {
  return splitEntries<K, Q, OffsetTopicAnswer>({
    entries: spec.topics,
    errorOf: (t) => topicError(authz, spec.operation, t.name),
    requestWith: spec.requestWith,
    deniedAnswer: (t, errorCode) => everyPartition(t, errorCode),
    emptyResponse: spec.emptyResponse,
    answerList: spec.answerList,
    requestKey: (t) => t.name,
    answerKey: (t) => t.name,
  });
}

/** A topic's answer with every partition failed with `errorCode` (Kafka's getErrorResponse for these apis). */
export function everyPartition(t: OffsetTopic, errorCode: number): OffsetTopicAnswer {
  return { name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) };
}
