// Requests answered by each partition's leader: split per destination (backend + real leader)
// with the scatter/gather helper, leader epochs translated both ways, merged in the client's
// order. A partition whose leader is not known, or whose destination failed, gets
// NOT_LEADER_OR_FOLLOWER (the client refreshes metadata and retries).
import { ApiKey, type DecodedRequestHeader, decodeListOffsetsRequest, decodeListOffsetsResponse, encodeListOffsetsRequest, encodeListOffsetsResponse } from '../../codec/index.js';
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
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame, type BodyDecoder, type BodyEncoder } from '../../codec/message-frames.js';
import type { RouteError } from '../split-route.js';
import { destinationOf, parseDestination } from './destinations.js';
import type { MultiContext } from './multi-context.js';
import { answeredPartitions, scatterPartitions, ThrottleTime } from './scatter-gather.js';

/**
 * The destination of a partition on its domain backend's real leader, or the error it is
 * answered with. `toReal` translates the partition's epochs (0 when fine).
 */
export function leaderDestination(ctx: MultiContext, backend: string | RouteError, topic: string, partition: number, toReal: (backend: string) => number = () => 0): string | RouteError {
  if (typeof backend !== 'string') return backend;
  const err = toReal(backend);
  if (err !== 0) return { errorCode: err };
  const leader = ctx.leaders.leaderOf(backend, topic, partition);
  if (leader < 0) return { errorCode: NOT_LEADER_OR_FOLLOWER };
  return destinationOf(backend, leader);
}

/** Sends one destination's part to its broker and decodes the answer. */
export async function askDestination<Req, Res>(
  ctx: MultiContext,
  session: ClientSession,
  destination: string,
  header: DecodedRequestHeader,
  req: Req,
  encode: BodyEncoder<Req>,
  decode: BodyDecoder<Res>,
): Promise<Res> {
  const { backend, brokerId } = parseDestination(destination);
  const res = await ctx.send(session, ctx.addressOf(backend, brokerId), encodeRequestFrame(header, req, encode));
  return decodeResponseFrame(res, header.apiKey, header.apiVersion, decode).body;
}

/** Forgets a destination's leaderships when it answers a partition NOT_LEADER_OR_FOLLOWER. */
export function noteLeaderError(ctx: MultiContext, destination: string, errorCode: number): void {
  if (errorCode !== NOT_LEADER_OR_FOLLOWER) return;
  const { backend, brokerId } = parseDestination(destination);
  ctx.leaders.forgetBroker(backend, brokerId);
}

export async function listOffsets(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeListOffsetsRequest);
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  const errorResult = (partitionIndex: number, errorCode: number): ListOffsetsPartitionResponse => ({ ...createListOffsetsPartitionResponse(), partitionIndex, errorCode });
  const results = await scatterPartitions({
    topics: body.topics,
    partitionsOf: (t) => t.partitions,
    topicName: (t) => t.name,
    partitionIndex: (p) => p.partitionIndex,
    route: (t, p) => {
      const where = leaderDestination(ctx, ctx.backendOfTopic(t.name, policy), t.name, p.partitionIndex, (backend) =>
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
  const merged = { throttleTimeMs: throttle.ms, topics: body.topics.map((t, i) => ({ name: t.name, partitions: results[i] })) };
  return encodeResponseFrame(ApiKey.ListOffsets, v, { correlationId: ex.correlationId }, merged, encodeListOffsetsResponse);
}

export async function offsetForLeaderEpoch(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeOffsetForLeaderEpochRequest);
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  const local = (partition: number, errorCode: number, leaderEpoch = -1, endOffset = -1n): EpochEndOffset => ({ ...createEpochEndOffset(), partition, errorCode, leaderEpoch, endOffset });
  const results = await scatterPartitions({
    topics: body.topics,
    partitionsOf: (t) => t.partitions,
    topicName: (t) => t.topic,
    partitionIndex: (p) => p.partition,
    route: (t, p) => {
      const backend = ctx.backendOfTopic(t.topic, policy);
      if (typeof backend !== 'string') return local(p.partition, backend.errorCode);
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
  const merged = { throttleTimeMs: throttle.ms, topics: body.topics.map((t, i) => ({ topic: t.topic, partitions: results[i] })) };
  return encodeResponseFrame(ApiKey.OffsetForLeaderEpoch, v, { correlationId: ex.correlationId }, merged, encodeOffsetForLeaderEpochResponse);
}
