// A forwarded Fetch answer (fetch-forward.ts) put in the client's terms as it streams through,
// field by field in the layout of the generated codec (codec/generated/fetch.ts), every
// change in place and of the same length:
// - topic ids (v13+): the backend's real id → the topic's virtual id;
// - each partition's PreferredReadReplica → -1: Turnout chose the replica, and a real broker
//   id must never reach the client;
// - a partition read from a follower whose error only the leader can fix: the error code →
//   PASSED_ON_FOLLOWER_ERROR, the follower set aside (follower-fetch.ts);
// - tagged DivergingEpoch, CurrentLeader and SnapshotId: epochs to virtual ones, the leader to
//   the Turnout node the client is shown as the partition's leader;
// - every v2 record batch's partitionLeaderEpoch to the virtual epoch (the field lies outside
//   the batch CRC, which covers attributes onwards);
// - a partition of a cut-over topic read from its last offset segment (fetch-segments.ts):
//   watermarks, log start, aborted transactions, every whole batch's baseOffset and the
//   diverging epoch's and snapshot's end offsets plus the segment's shift, epochs by the
//   segment's generation; an older segment's records at or past its end masked as a trailing
//   part of a batch (the first such batch's length made longer than what is left), its
//   aborted transactions past the end kept (fetch-segments.ts);
// - NodeEndpoints (v16+, tail): the Turnout nodes named as leaders (fetch-stream-tail.ts).
// A partition without a chain reads as before: its offsets and aborted transactions pass unread.
// Record bytes pass as they arrive. The same answer taken whole goes through the codec in
// fetch-forward.ts; both give the same bytes (test/unit/routing/fetch-forward-stream.test.ts).
import { ApiKey, BATCH_LENGTH_OFFSET, LOG_OVERHEAD_BYTES, MAGIC_OFFSET, PARTITION_LEADER_EPOCH_OFFSET, minBatchLength } from '../../codec/index.js';
import type { ClientSession, ResponseBytesSink, ResponseStream } from '../../net/request-router.js';
import { NOT_LEADER_OR_FOLLOWER } from '../error-codes.js';
import { REST_OF_FRAME, StreamFieldError, StreamingRewriter, need, skip, type StepParser } from '../fetch-stream-engine.js';
import { readArrayLength, readNullableArrayLength, readUVarint, skipTaggedFields } from '../fetch-stream.js';
import { FIRST_NODE_ENDPOINTS_VERSION, rewriteFetchTail, type FetchTailEvents } from '../fetch-stream-tail.js';
import type { ServedNodes } from '../zone-nodes.js';
import type { PreparedPart } from './fetch.js';
import { maskedBatchLength, segmentReadOf, type SegmentRead } from './fetch-segments.js';
import { followerKey, followerRetryReason, PASSED_ON_FOLLOWER_ERROR } from './follower-fetch.js';
import type { MultiContext } from './multi-context.js';

/** The first version this stream rewrites (PreferredReadReplica, KIP-392). */
export const FIRST_FORWARD_STREAM_VERSION = 11;
const FIRST_FLEXIBLE_VERSION = 12;
const FIRST_TOPIC_ID_VERSION = 13;
/** Size prefix and correlation id. */
const FRAME_HEAD_BYTES = 8;
const DIVERGING_EPOCH_TAG = 0;
const CURRENT_LEADER_TAG = 1;
const SNAPSHOT_ID_TAG = 2;
/** baseOffset, batchLength, partitionLeaderEpoch, magic. */
const BATCH_HEAD_BYTES = MAGIC_OFFSET + 1;
const MAGIC_V2 = 2;

/** What the stream needs to know of the forwarded request. */
export interface ForwardStreamContext {
  readonly ctx: MultiContext;
  readonly session: ClientSession;
  readonly part: PreparedPart;
  readonly served: ServedNodes;
  readonly events: FetchTailEvents;
}

/** Streams a forwarded Fetch answer of `frameBytes` bytes (size prefix included) to `sink`, in the client's terms. */
export function createForwardedFetchStream(version: number, frameBytes: number, fc: ForwardStreamContext, sink: ResponseBytesSink): ResponseStream {
  if (version < FIRST_FORWARD_STREAM_VERSION) throw new RangeError(`Fetch v${version} is not streamed over several backends`);
  return new StreamingRewriter(ApiKey.Fetch, version, frameBytes, forwardedFetchSteps(version, fc), sink);
}

/** Partitions and their record bytes, by the kind of replica that served them. */
interface ReplicaCount {
  partitions: number;
  recordBytes: number;
}

/** Counts of what went through, for the zone metrics once the answer is complete. */
interface Tally {
  leader: ReplicaCount;
  follower: ReplicaCount;
  /** Turnout nodes named as leaders (for NodeEndpoints). */
  named: Set<number>;
}

function* forwardedFetchSteps(version: number, fc: ForwardStreamContext): StepParser {
  const flexible = version >= FIRST_FLEXIBLE_VERSION;
  const tally: Tally = { leader: { partitions: 0, recordBytes: 0 }, follower: { partitions: 0, recordBytes: 0 }, named: new Set() };
  yield need(FRAME_HEAD_BYTES);
  if (flexible) yield* skipTaggedFields();
  yield skip(4 + 6); // throttleTimeMs; errorCode, sessionId
  const topics = yield* readArrayLength(flexible, 'responses');
  for (let t = 0; t < topics; t++) {
    const name = yield* topicSteps(version, flexible, fc);
    const partitions = yield* readArrayLength(flexible, 'partitions');
    for (let p = 0; p < partitions; p++) yield* partitionSteps(version, flexible, name, fc, tally);
    if (flexible) yield* skipTaggedFields();
  }
  if (version >= FIRST_NODE_ENDPOINTS_VERSION) {
    const { ctx, served } = fc;
    rewriteFetchTail(
      yield need(REST_OF_FRAME),
      version,
      (m) => {
        m.nodeEndpoints = ctx.endpointsOf(served, tally.named);
      },
      fc.events,
    );
  } else if (flexible) {
    yield* skipTaggedFields();
  }
  const { ctx, session, part } = fc;
  for (const replica of ['leader', 'follower'] as const) {
    const c = tally[replica];
    if (c.partitions > 0) ctx.zones.fetched(session, part.backend, part.brokerId, replica, c.partitions, c.recordBytes);
  }
}

/** A topic's id (v13+, rewritten to the virtual one) or name; returns the topic's name. */
function* topicSteps(version: number, flexible: boolean, fc: ForwardStreamContext): Generator<ReturnType<typeof need>, string, Buffer> {
  const { ctx, part } = fc;
  if (version >= FIRST_TOPIC_ID_VERSION) {
    const id = yield need(16);
    const realId = id.toString('base64url');
    const name = part.names.get(realId);
    const virtualId = name === undefined ? undefined : ctx.topicIds.virtualIdOf(name);
    if (name === undefined || virtualId === undefined) throw new StreamFieldError(`topic id ${realId} of backend ${part.backend} was not asked for`);
    id.set(Buffer.from(virtualId, 'base64url'));
    return name;
  }
  const length = flexible ? (yield* readUVarint()) - 1 : (yield need(2)).readInt16BE(0);
  if (length < 0) throw new StreamFieldError(`topic name of length ${length}`);
  return (yield need(length)).toString('utf8');
}

function* partitionSteps(version: number, flexible: boolean, topic: string, fc: ForwardStreamContext, tally: Tally): StepParser {
  const { ctx, part, served } = fc;
  const { backend } = part;
  const head = yield need(6); // partitionIndex, errorCode
  const partition = head.readInt32BE(0);
  const errorCode = head.readInt16BE(4);
  const follower = part.followers.size > 0 && part.followers.has(followerKey(topic, partition));
  const reason = follower ? followerRetryReason(errorCode) : null;
  if (reason !== null) {
    ctx.zones.followerFailed(backend, topic, partition, part.brokerId, reason, true);
    head.writeInt16BE(PASSED_ON_FOLLOWER_ERROR, 4);
  } else if (!follower && errorCode === NOT_LEADER_OR_FOLLOWER) {
    // A leader that says it is none is forgotten, so the next Fetch finds the new one.
    ctx.leaders.forgetBroker(backend, part.brokerId);
  }
  // Counted as noteAnswer counts a whole answer: a partition passed on as an error is not.
  const count: ReplicaCount | null = reason !== null ? null : tally[follower ? 'follower' : 'leader'];
  if (count !== null) count.partitions++;
  const read = segmentReadOf(part.segments, topic, partition);
  if (read === undefined) {
    yield skip(8 + 8 + 8); // highWatermark, lastStableOffset, logStartOffset
  } else {
    ctx.metrics.cutoverFetchPartition(read.index);
    const f = yield need(8 + 8 + 8);
    for (let at = 0; at < 24; at += 8) f.writeBigInt64BE(read.bound(f.readBigInt64BE(at)), at);
  }
  const aborted = yield* readNullableArrayLength(flexible, 'abortedTransactions');
  for (let i = 0; i < aborted; i++) {
    if (read === undefined) {
      yield skip(16); // producerId, firstOffset
    } else {
      const f = yield need(16);
      f.writeBigInt64BE(read.offset(f.readBigInt64BE(8)), 8);
    }
    if (flexible) yield* skipTaggedFields();
  }
  (yield need(4)).writeInt32BE(-1, 0); // preferredReadReplica
  const records = flexible ? (yield* readUVarint()) - 1 : (yield need(4)).readInt32BE(0);
  if (records < -1) throw new StreamFieldError(`records of length ${records}`);
  if (records > 0) {
    if (count !== null) count.recordBytes += records;
    yield* recordBatchSteps(records, topic, partition, fc, read);
  }
  if (!flexible) return;
  const tagged = yield* readUVarint();
  if (tagged === 0) return;
  const toVirtual = read === undefined ? (real: number): number => ctx.epochs.toVirtual(topic, partition, backend, real) : (real: number): number => read.epoch(real);
  for (let i = 0; i < tagged; i++) {
    const tag = yield* readUVarint();
    const size = yield* readUVarint();
    if (tag === DIVERGING_EPOCH_TAG && read !== undefined && size >= 12) {
      const f = yield need(12); // epoch, endOffset; tagged fields follow
      f.writeInt32BE(toVirtual(f.readInt32BE(0)), 0);
      f.writeBigInt64BE(read.bound(f.readBigInt64BE(4)), 4);
      yield skip(size - 12);
    } else if (tag === DIVERGING_EPOCH_TAG && size >= 4) {
      const f = yield need(4); // epoch; endOffset and tagged fields follow
      f.writeInt32BE(toVirtual(f.readInt32BE(0)), 0);
      yield skip(size - 4);
    } else if (tag === CURRENT_LEADER_TAG && size >= 8) {
      const f = yield need(8); // leaderId, leaderEpoch; tagged fields follow
      if (read?.isOlder === true) {
        f.writeInt32BE(-1, 0);
        f.writeInt32BE(-1, 4);
      } else {
        const realLeader = f.readInt32BE(0);
        if (realLeader >= 0) {
          const leader = ctx.virtualLeaderOf(fc.session, served, backend, topic, partition, realLeader);
          tally.named.add(leader);
          f.writeInt32BE(leader, 0);
        }
        f.writeInt32BE(toVirtual(f.readInt32BE(4)), 4);
      }
      yield skip(size - 8);
    } else if (tag === SNAPSHOT_ID_TAG && size >= 12) {
      const f = yield need(12); // endOffset, epoch; tagged fields follow
      if (read !== undefined) f.writeBigInt64BE(read.bound(f.readBigInt64BE(0)), 0);
      f.writeInt32BE(toVirtual(f.readInt32BE(8)), 8);
      yield skip(size - 12);
    } else {
      yield skip(size);
    }
  }
}

/**
 * Walks the record batches of a partition's `length` record bytes, rewriting each whole v2
 * batch's leader epoch, and with a segment read each whole batch's base offset; the first
 * whole batch at or past an older segment's end is masked and the rest passes unread. A broker may
 * end the records with part of a batch (the size limit cut it): that part, like anything that
 * is not a batch, passes unread, as the codec's scan (scanRecordBatches) leaves it.
 */
function* recordBatchSteps(length: number, topic: string, partition: number, fc: ForwardStreamContext, read: SegmentRead | undefined): StepParser {
  const { ctx, part } = fc;
  // Consecutive batches nearly always share an epoch: translate each distinct one once.
  let lastReal: number | null = null;
  let lastVirtual = -1;
  let left = length;
  while (left > 0) {
    if (left < BATCH_HEAD_BYTES) {
      yield skip(left);
      return;
    }
    const batchBytes = left;
    const head = yield need(BATCH_HEAD_BYTES);
    left -= BATCH_HEAD_BYTES;
    const batchLength = head.readInt32BE(BATCH_LENGTH_OFFSET);
    const magic = head.readInt8(MAGIC_OFFSET);
    const whole = batchLength >= minBatchLength(magic) && LOG_OVERHEAD_BYTES + batchLength <= batchBytes;
    if (!whole) {
      if (left > 0) yield skip(left);
      return;
    }
    if (read !== undefined && !read.batchBaseToVirtual(head, 0)) {
      head.writeInt32BE(maskedBatchLength(batchBytes, 0), BATCH_LENGTH_OFFSET);
      if (left > 0) yield skip(left);
      return;
    }
    if (magic === MAGIC_V2) {
      const real = head.readInt32BE(PARTITION_LEADER_EPOCH_OFFSET);
      if (real !== lastReal) {
        lastReal = real;
        lastVirtual = read === undefined ? ctx.epochs.toVirtual(topic, partition, part.backend, real) : read.epoch(real);
      }
      head.writeInt32BE(lastVirtual, PARTITION_LEADER_EPOCH_OFFSET);
    }
    const rest = LOG_OVERHEAD_BYTES + batchLength - BATCH_HEAD_BYTES;
    if (rest > 0) yield skip(rest);
    left -= rest;
  }
}
