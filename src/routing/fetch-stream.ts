// A Fetch response rewritten as it streams through (see fetch-stream-engine.ts).
//
// Of a Fetch response only three things name a backend broker (Fetch v11+): each partition's
// PreferredReadReplica, each partition's tagged CurrentLeader, and the top-level tagged
// NodeEndpoints (v16+). The first two are int32 ids rewritten in place. NodeEndpoints carries
// host names, so its length can change, but the frame's size prefix has already gone out;
// it is the last field of the frame, so the tagged fields at the tail are held and rewritten
// to the same length (fetch-stream-tail.ts). Everything else, record batches included,
// passes as it arrives. The field layout follows the generated codec (codec/generated/fetch.ts).
import { ApiKey } from '../codec/index.js';
import type { ResponseBytesSink, ResponseStream } from '../net/request-router.js';
import {
  REST_OF_FRAME,
  StreamFieldError,
  StreamingRewriter,
  need,
  skip,
  type Step,
  type StepParser,
} from './fetch-stream-engine.js';
import { FIRST_NODE_ENDPOINTS_VERSION, rewriteFetchTail, type FetchTailEvents } from './fetch-stream-tail.js';
import { rewriteFetchResponse } from './node-endpoints-rewrite.js';
import type { RewriteContext } from './rewrite-context.js';

/** The first version whose response names a broker (PreferredReadReplica). */
const FIRST_REWRITTEN_VERSION = 11;
/** Flexible versions: compact lengths, tagged fields, response header v1. */
const FIRST_FLEXIBLE_VERSION = 12;
/** Size prefix and correlation id. */
const FRAME_HEAD_BYTES = 8;
/** The tag of CurrentLeader in a partition's tagged fields. */
const CURRENT_LEADER_TAG = 1;
const MAX_UVARINT_BYTES = 5;

/** Streams a Fetch response of `frameBytes` bytes (size prefix included) to `sink`, rewritten for `ctx`. */
export function createFetchResponseStream(
  version: number,
  frameBytes: number,
  ctx: RewriteContext,
  sink: ResponseBytesSink,
  events: FetchTailEvents,
): ResponseStream {
  const parser = version < FIRST_REWRITTEN_VERSION ? passThrough() : fetchResponseSteps(version, ctx, events);
  return new StreamingRewriter(ApiKey.Fetch, version, frameBytes, parser, sink);
}

/** Versions before 11 name no broker: the bytes pass unread. */
function* passThrough(): StepParser {
  yield skip(REST_OF_FRAME);
}

function* fetchResponseSteps(version: number, ctx: RewriteContext, events: FetchTailEvents): StepParser {
  const flexible = version >= FIRST_FLEXIBLE_VERSION;
  yield need(FRAME_HEAD_BYTES);
  if (flexible) yield* skipTaggedFields();
  // throttleTimeMs (v1+); errorCode, sessionId (v7+)
  yield skip((version >= 1 ? 4 : 0) + (version >= 7 ? 6 : 0));
  const topics = yield* readArrayLength(flexible, 'responses');
  for (let t = 0; t < topics; t++) {
    if (version >= 13) {
      yield skip(16); // topicId
    } else if (flexible) {
      yield skip((yield* readUVarint()) - 1); // topic, compact string
    } else {
      const len = (yield need(2)).readInt16BE(0);
      if (len < 0) throw new StreamFieldError(`topic name of length ${len}`);
      yield skip(len);
    }
    const partitions = yield* readArrayLength(flexible, 'partitions');
    for (let p = 0; p < partitions; p++) yield* partitionSteps(version, flexible, ctx);
    if (flexible) yield* skipTaggedFields();
  }
  if (version >= FIRST_NODE_ENDPOINTS_VERSION) {
    rewriteFetchTail(yield need(REST_OF_FRAME), version, (m) => rewriteFetchResponse(m, ctx), events);
  } else if (flexible) {
    yield* skipTaggedFields();
  }
}

function* partitionSteps(version: number, flexible: boolean, ctx: RewriteContext): StepParser {
  // partitionIndex, errorCode, highWatermark; lastStableOffset (v4+); logStartOffset (v5+)
  yield skip(14 + (version >= 4 ? 8 : 0) + (version >= 5 ? 8 : 0));
  if (version >= 4) {
    const aborted = yield* readNullableArrayLength(flexible, 'abortedTransactions');
    for (let i = 0; i < aborted; i++) {
      yield skip(16); // producerId, firstOffset
      if (flexible) yield* skipTaggedFields();
    }
  }
  const replica = yield need(4); // preferredReadReplica (v11+, the only versions parsed)
  const replicaId = replica.readInt32BE(0);
  if (replicaId >= 0) replica.writeInt32BE(ctx.toVirtual(replicaId), 0);
  const records = flexible ? (yield* readUVarint()) - 1 : (yield need(4)).readInt32BE(0);
  if (records < -1) throw new StreamFieldError(`records of length ${records}`);
  if (records > 0) yield skip(records);
  if (!flexible) return;
  const tagged = yield* readUVarint();
  for (let i = 0; i < tagged; i++) {
    const tag = yield* readUVarint();
    const size = yield* readUVarint();
    if (tag !== CURRENT_LEADER_TAG) {
      yield skip(size);
      continue;
    }
    if (size < 4) throw new StreamFieldError(`currentLeader of ${size} bytes`);
    const leader = yield need(4); // leaderId; leaderEpoch and tagged fields follow
    const leaderId = leader.readInt32BE(0);
    if (leaderId >= 0) leader.writeInt32BE(ctx.toVirtual(leaderId), 0);
    yield skip(size - 4);
  }
}

export function* readUVarint(): Generator<Step, number, Buffer> {
  let value = 0;
  for (let i = 0; i < MAX_UVARINT_BYTES; i++) {
    const b = (yield need(1))[0];
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (value > 0x7fffffff) throw new StreamFieldError(`varint ${value} out of range`);
      return value;
    }
  }
  throw new StreamFieldError(`varint longer than ${MAX_UVARINT_BYTES} bytes`);
}

export function* readArrayLength(flexible: boolean, field: string): Generator<Step, number, Buffer> {
  const n = yield* readNullableArrayLength(flexible, field);
  if (n < 0) throw new StreamFieldError(`${field} is null`);
  return n;
}

/** An array's length, -1 for null. */
export function* readNullableArrayLength(flexible: boolean, field: string): Generator<Step, number, Buffer> {
  const n = flexible ? (yield* readUVarint()) - 1 : (yield need(4)).readInt32BE(0);
  if (n < -1) throw new StreamFieldError(`${field} has length ${n}`);
  return n;
}

export function* skipTaggedFields(): StepParser {
  const count = yield* readUVarint();
  for (let i = 0; i < count; i++) {
    yield* readUVarint(); // tag
    yield skip(yield* readUVarint());
  }
}
