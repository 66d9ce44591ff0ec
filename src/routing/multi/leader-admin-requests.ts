// Admin requests answered by each partition's leader: DeleteRecords (the leader moves the log
// start offset) and DescribeProducers (the leader's producer state). Split per destination
// with the scatter/gather helper like the other leader requests; a partition of a topic no
// domain claims gets the policy's authorization error. DescribeProducers shows the virtual
// producer id (and epoch) where Turnout mapped one, so it matches what the producer was told.
import { ApiKey } from '../../codec/index.js';
import {
  createDeleteRecordsPartitionResult,
  decodeDeleteRecordsRequest,
  decodeDeleteRecordsResponse,
  encodeDeleteRecordsRequest,
  encodeDeleteRecordsResponse,
  type DeleteRecordsPartitionResult,
} from '../../codec/generated/delete-records.js';
import {
  createPartitionResponse,
  decodeDescribeProducersRequest,
  decodeDescribeProducersResponse,
  encodeDescribeProducersRequest,
  encodeDescribeProducersResponse,
  type PartitionResponse,
} from '../../codec/generated/describe-producers.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { NOT_LEADER_OR_FOLLOWER } from '../error-codes.js';
import { decodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import type { ProducerIdMap } from '../producer-id-map.js';
import { parseDestination } from './destinations.js';
import { askDestination, leaderDestination, noteLeaderError } from './leader-requests.js';
import type { MultiContext } from './multi-context.js';
import { answeredPartitions, scatterPartitions, ThrottleTime } from './scatter-gather.js';

export async function deleteRecords(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeDeleteRecordsRequest);
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  const errorResult = (partitionIndex: number, errorCode: number): DeleteRecordsPartitionResult => ({ ...createDeleteRecordsPartitionResult(), partitionIndex, errorCode, lowWatermark: -1n });
  const results = await scatterPartitions({
    topics: body.topics,
    partitionsOf: (t) => t.partitions,
    topicName: (t) => t.name,
    partitionIndex: (p) => p.partitionIndex,
    route: (t, p) => {
      const where = leaderDestination(ctx, ctx.backendOfTopic(t.name, policy), t.name, p.partitionIndex);
      return typeof where === 'string' ? where : errorResult(p.partitionIndex, where.errorCode);
    },
    send: async (destination, topics) => {
      const req = { ...body, topics: topics.map(({ topic, partitions }) => ({ ...topic, partitions })) };
      const answer = await askDestination(ctx, session, destination, header, req, encodeDeleteRecordsRequest, decodeDeleteRecordsResponse);
      throttle.observe(answer.throttleTimeMs);
      return answeredPartitions(answer.topics, (t) => t.name, (t) => t.partitions, (p) => p.partitionIndex, (_topic, p) => noteLeaderError(ctx, destination, p.errorCode));
    },
    unanswered: (_t, p, failure) => errorResult(p.partitionIndex, failure?.errorCode ?? NOT_LEADER_OR_FOLLOWER),
  });
  const merged = { throttleTimeMs: throttle.ms, topics: body.topics.map((t, i) => ({ name: t.name, partitions: results[i] })) };
  return encodeResponseFrame(ApiKey.DeleteRecords, v, { correlationId: ex.correlationId }, merged, encodeDeleteRecordsResponse);
}

/** A DescribeProducers partition's producers from `backend`, in place: virtual ids and epochs where Turnout mapped them. */
export function producersToVirtual(p: PartitionResponse, backend: string, producerIds: ProducerIdMap): void {
  for (const s of p.activeProducers) {
    const virtual = producerIds.toVirtual(backend, s.producerId, s.producerEpoch);
    if (virtual === undefined) continue;
    s.producerId = virtual.producerId;
    s.producerEpoch = virtual.producerEpoch;
  }
}

export async function describeProducers(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeDescribeProducersRequest);
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  const errorResult = (partitionIndex: number, errorCode: number, errorMessage: string | null = null): PartitionResponse => ({
    ...createPartitionResponse(),
    partitionIndex,
    errorCode,
    errorMessage,
    activeProducers: [],
  });
  const results = await scatterPartitions({
    topics: body.topics,
    partitionsOf: (t) => t.partitionIndexes,
    topicName: (t) => t.name,
    partitionIndex: (p) => p,
    route: (t, p) => {
      const where = leaderDestination(ctx, ctx.backendOfTopic(t.name, policy), t.name, p);
      return typeof where === 'string' ? where : errorResult(p, where.errorCode, where.errorMessage ?? null);
    },
    send: async (destination, topics) => {
      const { backend } = parseDestination(destination);
      const req = { ...body, topics: topics.map(({ topic, partitions }) => ({ ...topic, partitionIndexes: partitions })) };
      const answer = await askDestination(ctx, session, destination, header, req, encodeDescribeProducersRequest, decodeDescribeProducersResponse);
      throttle.observe(answer.throttleTimeMs);
      return answeredPartitions(answer.topics, (t) => t.name, (t) => t.partitions, (p) => p.partitionIndex, (_topic, p) => {
        noteLeaderError(ctx, destination, p.errorCode);
        producersToVirtual(p, backend, ctx.producerIds);
      });
    },
    unanswered: (_t, p, failure) => errorResult(p, failure?.errorCode ?? NOT_LEADER_OR_FOLLOWER),
  });
  const merged = { throttleTimeMs: throttle.ms, topics: body.topics.map((t, i) => ({ name: t.name, partitions: results[i] })) };
  return encodeResponseFrame(ApiKey.DescribeProducers, v, { correlationId: ex.correlationId }, merged, encodeDescribeProducersResponse);
}
