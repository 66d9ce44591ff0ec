// Retriable Kafka error responses for requests whose broker connection failed before it
// answered. Where the api has a per-partition or top-level error a client acts on by
// refreshing metadata or rediscovering its coordinator, Turnout answers with it, so the
// client retries without losing its connection; for every other api the client connection
// is closed, which clients treat as retriable too.
import {
  ApiKey,
  createConsumerGroupHeartbeatResponse,
  createFetchResponse,
  createFindCoordinatorResponse,
  createHeartbeatResponse,
  createJoinGroupResponse,
  createLeaveGroupResponse,
  createListOffsetsResponse,
  createOffsetCommitResponse,
  createProduceResponse,
  createSyncGroupResponse,
  decodeConsumerGroupHeartbeatRequest,
  decodeFetchRequest,
  decodeFindCoordinatorRequest,
  decodeHeartbeatRequest,
  decodeJoinGroupRequest,
  decodeLeaveGroupRequest,
  decodeListOffsetsRequest,
  decodeOffsetCommitRequest,
  decodeProduceRequest,
  decodeSyncGroupRequest,
  encodeConsumerGroupHeartbeatResponse,
  encodeFetchResponse,
  encodeFindCoordinatorResponse,
  encodeHeartbeatResponse,
  encodeJoinGroupResponse,
  encodeLeaveGroupResponse,
  encodeListOffsetsResponse,
  encodeOffsetCommitResponse,
  encodeProduceResponse,
  encodeSyncGroupResponse,
} from '../codec/index.js';
import type { RequestExchange } from '../net/request-router.js';
import { decodeRequestFrame, encodeResponseFrame } from '../codec/message-frames.js';

export const NOT_LEADER_OR_FOLLOWER = 6;
export const COORDINATOR_NOT_AVAILABLE = 15;
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

// Group coordinator requests: NOT_COORDINATOR sends the client to FindCoordinator again.

BUILDERS[ApiKey.JoinGroup] = (ex) => {
  decodeRequestFrame(ex.frame, decodeJoinGroupRequest);
  const res = createJoinGroupResponse();
  res.errorCode = NOT_COORDINATOR;
  res.generationId = -1;
  return encodeResponseFrame(ApiKey.JoinGroup, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeJoinGroupResponse);
};

BUILDERS[ApiKey.SyncGroup] = (ex) => {
  decodeRequestFrame(ex.frame, decodeSyncGroupRequest);
  const res = createSyncGroupResponse();
  res.errorCode = NOT_COORDINATOR;
  return encodeResponseFrame(ApiKey.SyncGroup, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeSyncGroupResponse);
};

BUILDERS[ApiKey.LeaveGroup] = (ex) => {
  decodeRequestFrame(ex.frame, decodeLeaveGroupRequest);
  const res = createLeaveGroupResponse();
  res.errorCode = NOT_COORDINATOR;
  return encodeResponseFrame(ApiKey.LeaveGroup, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeLeaveGroupResponse);
};

BUILDERS[ApiKey.OffsetCommit] = (ex) => {
  const { body: req } = decodeRequestFrame(ex.frame, decodeOffsetCommitRequest);
  const res = createOffsetCommitResponse();
  res.topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: NOT_COORDINATOR })),
  }));
  return encodeResponseFrame(ApiKey.OffsetCommit, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeOffsetCommitResponse);
};

BUILDERS[ApiKey.ConsumerGroupHeartbeat] = (ex) => {
  decodeRequestFrame(ex.frame, decodeConsumerGroupHeartbeatRequest);
  const res = createConsumerGroupHeartbeatResponse();
  res.errorCode = NOT_COORDINATOR;
  return encodeResponseFrame(
    ApiKey.ConsumerGroupHeartbeat,
    ex.apiVersion,
    { correlationId: ex.correlationId },
    res,
    encodeConsumerGroupHeartbeatResponse,
  );
};

BUILDERS[ApiKey.FindCoordinator] = (ex) => {
  const { body: req } = decodeRequestFrame(ex.frame, decodeFindCoordinatorRequest);
  const res = createFindCoordinatorResponse();
  if (ex.apiVersion < 4) {
    res.errorCode = COORDINATOR_NOT_AVAILABLE;
    res.errorMessage = ex.apiVersion >= 1 ? null : res.errorMessage;
    res.nodeId = -1;
    res.port = -1;
  } else {
    res.coordinators = req.coordinatorKeys.map((key) => ({
      key,
      nodeId: -1,
      host: '',
      port: -1,
      errorCode: COORDINATOR_NOT_AVAILABLE,
      errorMessage: null,
    }));
  }
  return encodeResponseFrame(ApiKey.FindCoordinator, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeFindCoordinatorResponse);
};

/** A retriable error response for a failed request, or null when this api has none. Throws on undecodable requests. */
export function buildFailureResponse(ex: RequestExchange): Buffer | null {
  const build = BUILDERS[ex.apiKey];
  return build === undefined ? null : build(ex);
}
