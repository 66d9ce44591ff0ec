// Produce: a transactional batch needs WRITE on the request's transactional id first (else
// every partition gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED and nothing is stored); then
// WRITE on each topic, per partition TOPIC_AUTHORIZATION_FAILED while the allowed partitions
// of the same request are stored. An acks=0 request has no answer: a broker closes the
// connection when any partition failed, so the client refreshes metadata and learns.
import { ApiKey, RECORD_BATCH_HEADER_SIZE_BYTES, RecordBatchView, type ProduceRequest } from '../../../codec/index.js';
import {
  createPartitionProduceResponse,
  type PartitionProduceResponse,
  type TopicProduceData,
  type TopicProduceResponse,
} from '../../../codec/generated/produce.js';
import { PRODUCE_FIRST_TOPIC_ID_VERSION } from '../../../routing/topic-id-rewrite.js';
import type { CloseAfter } from '../../filter.js';
import { apiRule } from '../api-rule.js';
import { defaultErrorMessage, TRANSACTIONAL_ID_AUTHORIZATION_FAILED } from '../authorization-errors.js';
import { splitEntries } from '../entry-split.js';
import { topicError, topicNameOf } from '../entry-errors.js';

const ACKS_NONE = 0;
const CLOSE_FOR_ACKS_NONE: CloseAfter = {
  reason: 'acl_denied_acks0',
  message: 'an acks=0 produce was denied in part; the connection is closed as a broker closes it',
  delayMs: 0,
};

export const produceRule = apiRule({
  apiKey: ApiKey.Produce,
  checks:
    'WRITE on the TransactionalId when the batches are transactional (TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition); ' +
    'WRITE on each Topic (TOPIC_AUTHORIZATION_FAILED per partition, the allowed partitions are stored); acks=0 with a denial closes the connection',
  decide(req, call) {
    if (hasTransactionalRecords(req)) {
      const txnId = req.transactionalId;
      if (txnId === null || !call.authz.allowed('WRITE', 'TRANSACTIONAL_ID', txnId)) {
        if (req.acks === ACKS_NONE) return call.close(CLOSE_FOR_ACKS_NONE.reason, 'an acks=0 transactional produce was denied');
        return call.answer(everyPartition(req, TRANSACTIONAL_ID_AUTHORIZATION_FAILED, defaultErrorMessage(TRANSACTIONAL_ID_AUTHORIZATION_FAILED)));
      }
    }
    const byId = call.version >= PRODUCE_FIRST_TOPIC_ID_VERSION;
    const split = splitEntries<typeof ApiKey.Produce, TopicProduceData, TopicProduceResponse>({
      entries: req.topicData,
      errorOf: (t) => topicError(call.authz, 'WRITE', topicNameOf(t, t.name, call.version, PRODUCE_FIRST_TOPIC_ID_VERSION, call.authz)),
      requestWith: (topicData) => ({ ...req, topicData }),
      deniedAnswer: (t, code) => deniedTopic(t, code, null),
      emptyResponse: () => ({ responses: [], throttleTimeMs: 0 }),
      answerList: 'responses',
      requestKey: (t) => (byId ? t.topicId : t.name),
      answerKey: (t) => (byId ? t.topicId : t.name),
    });
    if (split === null) return { kind: 'forward' };
    if (req.acks !== ACKS_NONE) return call.deny(split);
    if (split.allowed === null) return call.close(CLOSE_FOR_ACKS_NONE.reason, 'an acks=0 produce was denied for every partition');
    return call.deny({ ...split, closeIfNoResponse: CLOSE_FOR_ACKS_NONE });
  },
});

/** Kafka's RequestUtils.hasTransactionalRecords: whether some partition's first batch is transactional. */
function hasTransactionalRecords(req: ProduceRequest): boolean {
  for (const t of req.topicData) {
    for (const p of t.partitionData) {
      const records = p.records;
      if (records === null || records.length < RECORD_BATCH_HEADER_SIZE_BYTES) continue;
      const first = new RecordBatchView(records, 0);
      if (first.magic === 2 && first.isTransactional) return true;
    }
  }
  return false;
}

function everyPartition(req: ProduceRequest, errorCode: number, message: string | null): { responses: TopicProduceResponse[]; throttleTimeMs: number } {
  return { responses: req.topicData.map((t) => deniedTopic(t, errorCode, message)), throttleTimeMs: 0 };
}

function deniedTopic(t: TopicProduceData, errorCode: number, message: string | null): TopicProduceResponse {
  return { name: t.name, topicId: t.topicId, partitionResponses: t.partitionData.map((p) => deniedPartition(p.index, errorCode, message)) };
}

/** Kafka's PartitionResponse(error): no offsets, no timestamp. */
function deniedPartition(index: number, errorCode: number, errorMessage: string | null): PartitionProduceResponse {
  return { ...createPartitionProduceResponse(), index, errorCode, baseOffset: -1n, errorMessage };
}
