// Admin requests answered by each partition's leader: DeleteRecords (the leader moves the log
// start offset) and DescribeProducers (the leader's producer state). Split per destination
// with the scatter/gather helper like the other leader requests; a partition of a topic no
// domain claims gets the policy's authorization error. DescribeProducers shows the virtual
// producer id (and epoch) where Turnout mapped one, so it matches what the producer was told.
// A chained partition (a cutover's offset segments) is deleted in every segment it spans
// (segment-delete-records.ts); its producers are those of its last segment, where it is
// written, their open transactions' first offsets translated.
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
import { ChainedPartitions } from './chained-partitions.js';
import { destinationOf, parseDestination } from './destinations.js';
import { askDestination, leaderDestination, noteLeaderError } from './leader-asks.js';
import type { MultiContext } from './multi-context.js';
import { deleteRecordsOnChain } from './segment-delete-records.js';
import { answeredPartitions, scatterPartitions, ThrottleTime } from './scatter-gather.js';

export async function deleteRecords(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeDeleteRecordsRequest);
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  const errorResult = (partitionIndex: number, errorCode: number): DeleteRecordsPartitionResult => ({ ...createDeleteRecordsPartitionResult(), partitionIndex, errorCode, lowWatermark: -1n });
  const chained = new ChainedPartitions<DeleteRecordsPartitionResult>(ctx.log);
  const asker = { header, request: body };
  const results = await scatterPartitions({
    topics: body.topics,
    partitionsOf: (t) => t.partitions,
    topicName: (t) => t.name,
    partitionIndex: (p) => p.partitionIndex,
    route: (t, p) => {
      const backend = ctx.backendOfTopic(t.name, policy);
      const chain = typeof backend === 'string' ? ctx.segments.chainOf(t.name, p.partitionIndex) : undefined;
      if (chain !== undefined) return chained.apart(errorResult(p.partitionIndex, NOT_LEADER_OR_FOLLOWER), deleteRecordsOnChain(ctx, session, asker, t.name, chain, p));
      const where = leaderDestination(ctx, backend, t.name, p.partitionIndex);
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
  const answered = await chained.fill(results);
  const merged = { throttleTimeMs: throttle.ms, topics: body.topics.map((t, i) => ({ name: t.name, partitions: answered[i] })) };
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
  /** `partition:topic` → the shift of the last segment of a chained partition, as routed. */
  const shifts = new Map<string, bigint>();
  const results = await scatterPartitions({
    topics: body.topics,
    partitionsOf: (t) => t.partitionIndexes,
    topicName: (t) => t.name,
    partitionIndex: (p) => p,
    route: (t, p) => {
      const backend = ctx.backendOfTopic(t.name, policy);
      const chain = typeof backend === 'string' ? ctx.segments.chainOf(t.name, p) : undefined;
      if (chain !== undefined) {
        shifts.set(`${p}:${t.name}`, chain.last.shift);
        const leader = ctx.leaders.leaderOf(chain.last.backend, t.name, p);
        return leader < 0 ? errorResult(p, NOT_LEADER_OR_FOLLOWER) : destinationOf(chain.last.backend, leader);
      }
      const where = leaderDestination(ctx, backend, t.name, p);
      return typeof where === 'string' ? where : errorResult(p, where.errorCode, where.errorMessage ?? null);
    },
    send: async (destination, topics) => {
      const { backend } = parseDestination(destination);
      const req = { ...body, topics: topics.map(({ topic, partitions }) => ({ ...topic, partitionIndexes: partitions })) };
      const answer = await askDestination(ctx, session, destination, header, req, encodeDescribeProducersRequest, decodeDescribeProducersResponse);
      throttle.observe(answer.throttleTimeMs);
      return answeredPartitions(answer.topics, (t) => t.name, (t) => t.partitions, (p) => p.partitionIndex, (topic, p) => {
        noteLeaderError(ctx, destination, p.errorCode);
        producersToVirtual(p, backend, ctx.producerIds);
        const shift = shifts.get(`${p.partitionIndex}:${topic}`);
        if (shift !== undefined) for (const s of p.activeProducers) if (s.currentTxnStartOffset >= 0n) s.currentTxnStartOffset += shift;
      });
    },
    unanswered: (_t, p, failure) => errorResult(p, failure?.errorCode ?? NOT_LEADER_OR_FOLLOWER),
  });
  const merged = { throttleTimeMs: throttle.ms, topics: body.topics.map((t, i) => ({ name: t.name, partitions: results[i] })) };
  return encodeResponseFrame(ApiKey.DescribeProducers, v, { correlationId: ex.correlationId }, merged, encodeDescribeProducersResponse);
}
