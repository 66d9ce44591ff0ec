// Retriable Kafka error responses for requests whose broker connection failed before it
// answered. Where the api has a per-partition or top-level error a client acts on by
// refreshing metadata or rediscovering its coordinator, Turnout answers with it, so the
// client retries without losing its connection; for every other api the client connection
// is closed, which clients treat as retriable too.
import {
  ApiKey,
  createFetchResponse,
  createHeartbeatResponse,
  createListOffsetsResponse,
  createProduceResponse,
  decodeFetchRequest,
  decodeHeartbeatRequest,
  decodeListOffsetsRequest,
  decodeProduceRequest,
  encodeFetchResponse,
  encodeHeartbeatResponse,
  encodeListOffsetsResponse,
  encodeProduceResponse,
} from '../codec/index.js';
import type { RequestExchange } from '../net/request-router.js';
import { decodeRequestFrame, encodeResponseFrame } from './message-frames.js';

export const NOT_LEADER_OR_FOLLOWER = 6;
export const NOT_COORDINATOR = 16;

type FailureBuilder = (ex: RequestExchange) => Buffer;

const BUILDERS: (FailureBuilder | undefined)[] = [];

BUILDERS[ApiKey.Produce] = (ex) => {
  const { body: req } = decodeRequestFrame(ex.frame, decodeProduceRequest);
  const res = createProduceResponse();
  res.responses = req.topicData.map((t) => ({
    name: t.name,
    topicId: t.topicId,
    partitionResponses: t.partitionData.map((p) => ({
      index: p.index,
      errorCode: NOT_LEADER_OR_FOLLOWER,
      baseOffset: -1n,
      logAppendTimeMs: -1n,
      logStartOffset: -1n,
      recordErrors: [],
      errorMessage: null,
    })),
  }));
  return encodeResponseFrame(ApiKey.Produce, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeProduceResponse);
};

BUILDERS[ApiKey.Fetch] = (ex) => {
  const { body: req } = decodeRequestFrame(ex.frame, decodeFetchRequest);
  const res = createFetchResponse();
  res.sessionId = req.sessionId;
  res.responses = req.topics.map((t) => ({
    topic: t.topic,
    topicId: t.topicId,
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partition,
      errorCode: NOT_LEADER_OR_FOLLOWER,
      highWatermark: -1n,
      lastStableOffset: -1n,
      logStartOffset: -1n,
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: null,
    })),
  }));
  return encodeResponseFrame(ApiKey.Fetch, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeFetchResponse);
};

BUILDERS[ApiKey.ListOffsets] = (ex) => {
  const { body: req } = decodeRequestFrame(ex.frame, decodeListOffsetsRequest);
  const res = createListOffsetsResponse();
  res.topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partitionIndex,
      errorCode: NOT_LEADER_OR_FOLLOWER,
      oldStyleOffsets: [],
      timestamp: -1n,
      offset: -1n,
      leaderEpoch: -1,
    })),
  }));
  return encodeResponseFrame(ApiKey.ListOffsets, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeListOffsetsResponse);
};

BUILDERS[ApiKey.Heartbeat] = (ex) => {
  decodeRequestFrame(ex.frame, decodeHeartbeatRequest);
  const res = createHeartbeatResponse();
  res.errorCode = NOT_COORDINATOR;
  return encodeResponseFrame(ApiKey.Heartbeat, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeHeartbeatResponse);
};

/** A retriable error response for a failed request, or null when this api has none. Throws on undecodable requests. */
export function buildFailureResponse(ex: RequestExchange): Buffer | null {
  const build = BUILDERS[ex.apiKey];
  return build === undefined ? null : build(ex);
}
