// Error responses Turnout makes up for a request, per api: with the api's per-partition or
// top-level error set to one code.
//
// A request whose broker connection failed before it answered gets the retriable error a
// client acts on by refreshing metadata or rediscovering its coordinator, so it retries
// without losing its connection; for every other api the client connection is closed, which
// clients treat as retriable too. But a broker also closes the connection on a version it
// refuses (Kafka 4 on Produce v0-2, which it still advertises): a failed request of a version
// no longer offered gets UNSUPPORTED_VERSION instead, so the client stops instead of retrying
// the same request until its own timeout.
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
import { UNSUPPORTED_VERSION } from './error-codes.js';

export const NOT_LEADER_OR_FOLLOWER = 6;
export const COORDINATOR_NOT_AVAILABLE = 15;
export const NOT_COORDINATOR = 16;

/** What an error response is made from: the client's request. */
export type AnsweredRequest = Pick<RequestExchange, 'apiKey' | 'apiVersion' | 'correlationId' | 'frame'>;

/** Whether a version of an api is offered to clients now (api-versions.ts ApiVersionsTable). */
export interface VersionOffer {
  isSupported(apiKey: number, version: number): boolean;
}

type ErrorBuilder = (ex: AnsweredRequest, errorCode: number) => Buffer;

const BUILDERS: (ErrorBuilder | undefined)[] = [];
/** The retriable error of each api's answer to a failed broker connection. */
const RETRIABLE: (number | undefined)[] = [];

BUILDERS[ApiKey.Produce] = (ex, errorCode) => {
  const { body: req } = decodeRequestFrame(ex.frame, decodeProduceRequest);
  const res = createProduceResponse();
  res.responses = req.topicData.map((t) => ({
    name: t.name,
    topicId: t.topicId,
    partitionResponses: t.partitionData.map((p) => ({
      index: p.index,
      errorCode,
      baseOffset: -1n,
      logAppendTimeMs: -1n,
      logStartOffset: -1n,
      recordErrors: [],
      errorMessage: null,
    })),
  }));
  return encodeResponseFrame(ApiKey.Produce, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeProduceResponse);
};

BUILDERS[ApiKey.Fetch] = (ex, errorCode) => {
  const { body: req } = decodeRequestFrame(ex.frame, decodeFetchRequest);
  const res = createFetchResponse();
  res.sessionId = req.sessionId;
  res.responses = req.topics.map((t) => ({
    topic: t.topic,
    topicId: t.topicId,
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partition,
      errorCode,
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

BUILDERS[ApiKey.ListOffsets] = (ex, errorCode) => {
  const { body: req } = decodeRequestFrame(ex.frame, decodeListOffsetsRequest);
  const res = createListOffsetsResponse();
  res.topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partitionIndex,
      errorCode,
      oldStyleOffsets: [],
      timestamp: -1n,
      offset: -1n,
      leaderEpoch: -1,
    })),
  }));
  return encodeResponseFrame(ApiKey.ListOffsets, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeListOffsetsResponse);
};

BUILDERS[ApiKey.Heartbeat] = (ex, errorCode) => {
  decodeRequestFrame(ex.frame, decodeHeartbeatRequest);
  const res = createHeartbeatResponse();
  res.errorCode = errorCode;
  return encodeResponseFrame(ApiKey.Heartbeat, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeHeartbeatResponse);
};

BUILDERS[ApiKey.JoinGroup] = (ex, errorCode) => {
  decodeRequestFrame(ex.frame, decodeJoinGroupRequest);
  const res = createJoinGroupResponse();
  res.errorCode = errorCode;
  res.generationId = -1;
  return encodeResponseFrame(ApiKey.JoinGroup, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeJoinGroupResponse);
};

BUILDERS[ApiKey.SyncGroup] = (ex, errorCode) => {
  decodeRequestFrame(ex.frame, decodeSyncGroupRequest);
  const res = createSyncGroupResponse();
  res.errorCode = errorCode;
  return encodeResponseFrame(ApiKey.SyncGroup, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeSyncGroupResponse);
};

BUILDERS[ApiKey.LeaveGroup] = (ex, errorCode) => {
  decodeRequestFrame(ex.frame, decodeLeaveGroupRequest);
  const res = createLeaveGroupResponse();
  res.errorCode = errorCode;
  return encodeResponseFrame(ApiKey.LeaveGroup, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeLeaveGroupResponse);
};

BUILDERS[ApiKey.OffsetCommit] = (ex, errorCode) => {
  const { body: req } = decodeRequestFrame(ex.frame, decodeOffsetCommitRequest);
  const res = createOffsetCommitResponse();
  res.topics = req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
  }));
  return encodeResponseFrame(ApiKey.OffsetCommit, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeOffsetCommitResponse);
};

BUILDERS[ApiKey.ConsumerGroupHeartbeat] = (ex, errorCode) => {
  decodeRequestFrame(ex.frame, decodeConsumerGroupHeartbeatRequest);
  const res = createConsumerGroupHeartbeatResponse();
  res.errorCode = errorCode;
  return encodeResponseFrame(
    ApiKey.ConsumerGroupHeartbeat,
    ex.apiVersion,
    { correlationId: ex.correlationId },
    res,
    encodeConsumerGroupHeartbeatResponse,
  );
};

BUILDERS[ApiKey.FindCoordinator] = (ex, errorCode) => {
  const { body: req } = decodeRequestFrame(ex.frame, decodeFindCoordinatorRequest);
  const res = createFindCoordinatorResponse();
  if (ex.apiVersion < 4) {
    res.errorCode = errorCode;
    res.errorMessage = ex.apiVersion >= 1 ? null : res.errorMessage;
    res.nodeId = -1;
    res.port = -1;
  } else {
    res.coordinators = req.coordinatorKeys.map((key) => ({
      key,
      nodeId: -1,
      host: '',
      port: -1,
      errorCode,
      errorMessage: null,
    }));
  }
  return encodeResponseFrame(ApiKey.FindCoordinator, ex.apiVersion, { correlationId: ex.correlationId }, res, encodeFindCoordinatorResponse);
};

for (const k of [ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets]) RETRIABLE[k] = NOT_LEADER_OR_FOLLOWER;
// Group coordinator requests: NOT_COORDINATOR sends the client to FindCoordinator again.
for (const k of [ApiKey.Heartbeat, ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.LeaveGroup, ApiKey.OffsetCommit, ApiKey.ConsumerGroupHeartbeat]) RETRIABLE[k] = NOT_COORDINATOR;
RETRIABLE[ApiKey.FindCoordinator] = COORDINATOR_NOT_AVAILABLE;

/**
 * The error response for a request whose broker connection failed, or null when this api has
 * none. Retriable, unless `offered` no longer offers the request's version: then the broker
 * refused the version, and the answer is UNSUPPORTED_VERSION. Throws on undecodable requests.
 */
export function buildFailureResponse(ex: AnsweredRequest, offered?: VersionOffer): Buffer | null {
  const build = BUILDERS[ex.apiKey];
  if (build === undefined) return null;
  const refused = offered !== undefined && !offered.isSupported(ex.apiKey, ex.apiVersion);
  return build(ex, refused ? UNSUPPORTED_VERSION : (RETRIABLE[ex.apiKey] as number));
}

/**
 * An UNSUPPORTED_VERSION response to a request of a version that is not offered, or null when
 * the api has no error response Turnout makes. Throws when the codec cannot decode the
 * request or encode the answer in its version.
 */
export function buildUnsupportedVersionResponse(req: AnsweredRequest): Buffer | null {
  const build = BUILDERS[req.apiKey];
  return build === undefined ? null : build(req, UNSUPPORTED_VERSION);
}
