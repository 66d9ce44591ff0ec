// Requests answered by each partition's leader: split per destination (backend + real leader)
// with the scatter/gather helper, leader epochs translated both ways, merged in the client's
// order. A partition whose leader is not known, or whose destination failed, gets
// NOT_LEADER_OR_FOLLOWER (the client refreshes metadata and retries). A chained partition (a
// cutover's offset segments) is answered apart, from its segments (segment-list-offsets.ts,
// segment-leader-epochs.ts).
import { ApiKey, decodeListOffsetsRequest, decodeListOffsetsResponse, encodeListOffsetsRequest, encodeListOffsetsResponse } from '../../codec/index.js';
import { createListOffsetsPartitionResponse, type ListOffsetsPartitionResponse } from '../../codec/generated/list-offsets.js';
import {
  createEpochEndOffset,
  decodeOffsetForLeaderEpochRequest,
  decodeOffsetForLeaderEpochResponse,
  encodeOffsetForLeaderEpochRequest,
  encodeOffsetForLeaderEpochResponse,
  type EpochEndOffset,
} from '../../codec/generated/offset-for-leader-epoch.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import { NOT_LEADER_OR_FOLLOWER } from '../error-codes.js';
import {
  listOffsetsPartitionEpochsToReal,
  listOffsetsPartitionEpochsToVirtual,
  offsetForLeaderEpochPartitionToReal,
  offsetForLeaderEpochResultToVirtual,
} from '../leader-epoch-rewrite.js';
import { decodeRequestFrame, encodeResponseFrame } from '../../codec/message-frames.js';
import { ChainedPartitions } from './chained-partitions.js';
import { parseDestination } from './destinations.js';
import { askDestination, leaderDestination, noteLeaderError } from './leader-asks.js';
import type { MultiContext } from './multi-context.js';
import { offsetForLeaderEpochOnChain } from './segment-leader-epochs.js';
import { listOffsetsOnChain } from './segment-list-offsets.js';
import { answeredPartitions, scatterPartitions, ThrottleTime } from './scatter-gather.js';

export async function listOffsets(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeListOffsetsRequest);
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  const errorResult = (partitionIndex: number, errorCode: number): ListOffsetsPartitionResponse => ({ ...createListOffsetsPartitionResponse(), partitionIndex, errorCode });
  const chained = new ChainedPartitions<ListOffsetsPartitionResponse>(ctx.log);
  const asker = { header, request: body };
  const results = await scatterPartitions({
    topics: body.topics,
    partitionsOf: (t) => t.partitions,
    topicName: (t) => t.name,
    partitionIndex: (p) => p.partitionIndex,
    route: (t, p) => {
      const backend = ctx.backendOfTopic(t.name, policy);
      const chain = typeof backend === 'string' ? ctx.segments.chainOf(t.name, p.partitionIndex) : undefined;
      if (chain !== undefined) return chained.apart(errorResult(p.partitionIndex, NOT_LEADER_OR_FOLLOWER), listOffsetsOnChain(ctx, session, asker, t.name, chain, p));
      const where = leaderDestination(ctx, backend, t.name, p.partitionIndex, (backend) =>
        listOffsetsPartitionEpochsToReal(p, v, t.name, backend, ctx.epochs),
      );
      return typeof where === 'string' ? where : errorResult(p.partitionIndex, where.errorCode);
    },
    send: async (destination, topics) => {
      const { backend } = parseDestination(destination);
      const req = { ...body, topics: topics.map(({ topic, partitions }) => ({ ...topic, partitions })) };
      const answer = await askDestination(ctx, session, destination, header, req, encodeListOffsetsRequest, decodeListOffsetsResponse);
      throttle.observe(answer.throttleTimeMs);
      return answeredPartitions(answer.topics, (t) => t.name, (t) => t.partitions, (p) => p.partitionIndex, (topic, p) => {
        noteLeaderError(ctx, destination, p.errorCode);
        listOffsetsPartitionEpochsToVirtual(p, topic, backend, ctx.epochs);
      });
    },
    unanswered: (_t, p, failure) => errorResult(p.partitionIndex, failure?.errorCode ?? NOT_LEADER_OR_FOLLOWER),
  });
  const answered = await chained.fill(results);
  const merged = { throttleTimeMs: throttle.ms, topics: body.topics.map((t, i) => ({ name: t.name, partitions: answered[i] })) };
  return encodeResponseFrame(ApiKey.ListOffsets, v, { correlationId: ex.correlationId }, merged, encodeListOffsetsResponse);
}

export async function offsetForLeaderEpoch(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeOffsetForLeaderEpochRequest);
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  const local = (partition: number, errorCode: number, leaderEpoch = -1, endOffset = -1n): EpochEndOffset => ({ ...createEpochEndOffset(), partition, errorCode, leaderEpoch, endOffset });
  const chained = new ChainedPartitions<EpochEndOffset>(ctx.log);
  const asker = { header, request: body };
  const results = await scatterPartitions({
    topics: body.topics,
    partitionsOf: (t) => t.partitions,
    topicName: (t) => t.topic,
    partitionIndex: (p) => p.partition,
    route: (t, p) => {
      const backend = ctx.backendOfTopic(t.topic, policy);
      if (typeof backend !== 'string') return local(p.partition, backend.errorCode);
      const chain = ctx.segments.chainOf(t.topic, p.partition);
      if (chain !== undefined) return chained.apart(local(p.partition, NOT_LEADER_OR_FOLLOWER), offsetForLeaderEpochOnChain(ctx, session, asker, t.topic, chain, p));
      const decision = offsetForLeaderEpochPartitionToReal(p, v, t.topic, backend, ctx.epochs);
      if (decision.kind === 'error') return local(p.partition, decision.errorCode);
      // The epoch asked for ended before the topic reached this backend: answered from the epoch map.
      if (decision.kind === 'answer') return local(p.partition, 0, decision.leaderEpoch, decision.endOffset);
      const where = leaderDestination(ctx, backend, t.topic, p.partition);
      return typeof where === 'string' ? where : local(p.partition, where.errorCode);
    },
    send: async (destination, topics) => {
      const { backend } = parseDestination(destination);
      const req = { ...body, topics: topics.map(({ topic, partitions }) => ({ ...topic, partitions })) };
      const answer = await askDestination(ctx, session, destination, header, req, encodeOffsetForLeaderEpochRequest, decodeOffsetForLeaderEpochResponse);
      throttle.observe(answer.throttleTimeMs);
      return answeredPartitions(answer.topics, (t) => t.topic, (t) => t.partitions, (p) => p.partition, (topic, p) => {
        noteLeaderError(ctx, destination, p.errorCode);
        offsetForLeaderEpochResultToVirtual(p, topic, backend, ctx.epochs);
      });
    },
    unanswered: (_t, p, failure) => local(p.partition, failure?.errorCode ?? NOT_LEADER_OR_FOLLOWER),
  });
  const answered = await chained.fill(results);
  const merged = { throttleTimeMs: throttle.ms, topics: body.topics.map((t, i) => ({ topic: t.topic, partitions: answered[i] })) };
  return encodeResponseFrame(ApiKey.OffsetForLeaderEpoch, v, { correlationId: ex.correlationId }, merged, encodeOffsetForLeaderEpochResponse);
}
