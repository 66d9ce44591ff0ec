// The transaction apis. InitProducerId: WRITE on the transactional id when there is one
// (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), else IDEMPOTENT_WRITE on the cluster or WRITE on
// some topic (CLUSTER_AUTHORIZATION_FAILED). AddPartitionsToTxn (a client's, before v4): WRITE
// on the transactional id, then WRITE on each topic (internal topics never); any denied
// partition fails the whole transaction's request: the denied ones TOPIC_AUTHORIZATION_FAILED,
// the rest OPERATION_NOT_ATTEMPTED. From v4 it is a broker's request and needs CLUSTER_ACTION.
// AddOffsetsToTxn: WRITE on the transactional id, then READ on the group. EndTxn: WRITE on the
// transactional id. TxnOffsetCommit: WRITE on the transactional id, READ on the group (each
// failing every partition), then READ on each topic (TOPIC_AUTHORIZATION_FAILED per partition).
import { ApiKey } from '../../../codec/index.js';
import type { AddPartitionsToTxnTopic, AddPartitionsToTxnTopicResult } from '../../../codec/generated/add-partitions-to-txn.js';
import { apiRule } from '../api-rule.js';
import {
  CLUSTER_AUTHORIZATION_FAILED,
  OPERATION_NOT_ATTEMPTED,
  TOPIC_AUTHORIZATION_FAILED,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
} from '../authorization-errors.js';
import { groupError } from '../entry-errors.js';
import { isInternalTopic } from '../internal-topics.js';
import { everyPartition, splitOffsetTopics } from '../offset-topics.js';
import type { RequestAuthorization } from '../request-authorization.js';

/** AddPartitionsToTxn v4+ batches transactions: brokers send it to verify partitions. */
const FIRST_BROKER_ADD_PARTITIONS_VERSION = 4;

export const initProducerIdRule = apiRule({
  apiKey: ApiKey.InitProducerId,
  checks:
    'with a transactional id: WRITE on the TransactionalId (TRANSACTIONAL_ID_AUTHORIZATION_FAILED); ' +
    'without: IDEMPOTENT_WRITE on the Cluster or WRITE on some Topic (CLUSTER_AUTHORIZATION_FAILED)',
  decide(req, call) {
    const txnId = req.transactionalId;
    let errorCode = 0;
    if (txnId !== null) {
      if (!mayWriteTransaction(call.authz, txnId)) errorCode = TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    } else if (!call.authz.allowedOnCluster('IDEMPOTENT_WRITE', false) && !call.authz.allowedOnSome('WRITE', 'TOPIC')) {
      errorCode = CLUSTER_AUTHORIZATION_FAILED;
    }
    if (errorCode === 0) return { kind: 'forward' };
    return call.answer({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });
  },
});

export const addPartitionsToTxnRule = apiRule({
  apiKey: ApiKey.AddPartitionsToTxn,
  checks:
    'WRITE on the TransactionalId (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition), then WRITE on each Topic ' +
    '(denied: TOPIC_AUTHORIZATION_FAILED, the rest OPERATION_NOT_ATTEMPTED); v4+ (brokers): CLUSTER_ACTION on the Cluster',
  decide(req, call) {
    const empty = { throttleTimeMs: 0, resultsByTopicV3AndBelow: [], errorCode: 0, resultsByTransaction: [] };
    if (call.version >= FIRST_BROKER_ADD_PARTITIONS_VERSION) {
      return call.authz.allowedOnCluster('CLUSTER_ACTION') ? { kind: 'forward' } : call.answer({ ...empty, errorCode: CLUSTER_AUTHORIZATION_FAILED });
    }
    const topics = req.v3AndBelowTopics;
    const answer = (errorOf: (t: AddPartitionsToTxnTopic) => number) =>
      call.answer({ ...empty, resultsByTopicV3AndBelow: topics.map((t) => partitionsFailed(t, errorOf(t))) });
    if (!mayWriteTransaction(call.authz, req.v3AndBelowTransactionalId)) return answer(() => TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const denied = new Set(topics.filter((t) => isInternalTopic(t.name) || !call.authz.allowed('WRITE', 'TOPIC', t.name)).map((t) => t.name));
    if (denied.size === 0) return { kind: 'forward' };
    return answer((t) => (denied.has(t.name) ? TOPIC_AUTHORIZATION_FAILED : OPERATION_NOT_ATTEMPTED));
  },
});

export const addOffsetsToTxnRule = apiRule({
  apiKey: ApiKey.AddOffsetsToTxn,
  checks: 'WRITE on the TransactionalId (TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then READ on the Group (GROUP_AUTHORIZATION_FAILED)',
  decide(req, call) {
    const errorCode = transactionThenGroupError(call.authz, req.transactionalId, req.groupId);
    return errorCode === 0 ? { kind: 'forward' } : call.answer({ throttleTimeMs: 0, errorCode });
  },
});

export const endTxnRule = apiRule({
  apiKey: ApiKey.EndTxn,
  checks: 'WRITE on the TransactionalId (TRANSACTIONAL_ID_AUTHORIZATION_FAILED)',
  decide(req, call) {
    if (mayWriteTransaction(call.authz, req.transactionalId)) return { kind: 'forward' };
    return call.answer({ throttleTimeMs: 0, errorCode: TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 });
  },
});

export const txnOffsetCommitRule = apiRule({
  apiKey: ApiKey.TxnOffsetCommit,
  checks:
    'WRITE on the TransactionalId (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition), READ on the Group ' +
    '(GROUP_AUTHORIZATION_FAILED for every partition), then READ on each Topic (TOPIC_AUTHORIZATION_FAILED per partition)',
  decide(req, call) {
    const errorCode = transactionThenGroupError(call.authz, req.transactionalId, req.groupId);
    if (errorCode !== 0) return call.answer({ throttleTimeMs: 0, topics: req.topics.map((t) => everyPartition(t, errorCode)) });
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

function mayWriteTransaction(authz: RequestAuthorization, transactionalId: string): boolean {
  return authz.allowed('WRITE', 'TRANSACTIONAL_ID', transactionalId);
}

/** WRITE on the transactional id, then READ on the group: the first error, or 0. */
function transactionThenGroupError(authz: RequestAuthorization, transactionalId: string, groupId: string): number {
  if (!mayWriteTransaction(authz, transactionalId)) return TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  return groupError(authz, 'READ', groupId);
}

function partitionsFailed(t: AddPartitionsToTxnTopic, partitionErrorCode: number): AddPartitionsToTxnTopicResult {
  return { name: t.name, resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode })) };
}
