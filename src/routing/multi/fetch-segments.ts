// Fetch of a chained partition (offset-segments.ts). The segment holding the client's fetch
// offset serves it: that segment's backend is asked at the real offset (virtual − shift), and
// its answer is put in the client's terms by the same segment:
// - record batches: baseOffset + shift, partitionLeaderEpoch in the segment's own generation
//   (both lie outside the batch CRC: no checksum pass);
// - high watermark, last stable offset, log start: + shift; an older segment's are capped at
//   its end, so a consumer that reaches the end fetches next from the next segment; none is
//   below the partition's start (its first segment retired: the backend may hold records
//   below it that are no longer part of the virtual log);
// - aborted transactions, diverging epoch and snapshot id: offsets + shift, epochs in the
//   segment's generation;
// - an older segment's current leader: none (-1, -1). Its backend's leader is nothing a
//   client should cache: the partition's leader is where the last segment lives.
// A fetch below the partition's start (its first segment retired) is answered
// OFFSET_OUT_OF_RANGE without asking any backend, as a broker answers one below its log start:
// the client resets its position by its auto.offset.reset, and earliest is the start.
// Records an older segment's backend holds at or past the segment's end are not part of the
// virtual log (written there bypassing Turnout, or a later segment's on the same backend after
// a cutover back): a client must never read them (a switch lies on a batch boundary, so no
// batch straddles the end). A gathered answer cuts them off. A forwarded answer keeps its
// length, so that it streams like any other (fetch-forward-stream.ts): the first batch at or
// past the end is masked instead, its length field made one byte longer than what is left of
// the records, so that everything from there on reads as the part of a batch a broker leaves
// at the end of an answer cut by its size limit, which every client skips (a batch holding
// the fetch offset, below the end, always comes whole before it). Only a Fetch that reaches a
// segment's end pays for it; the rest of an older segment's reads are shifted in place, like
// the last segment's.
//
// Leader epochs: the last segment's generation is the topic's current one (a cutover adopts it
// into the LeaderEpochMap), so the client's currentLeaderEpoch is checked there as for any
// partition. An older segment is read from a backend the topic no longer lives on: asking the
// map about it would begin a generation, so its request carries no current epoch (-1, not
// checked) and its epochs are translated by the segment's generation alone.
import { BATCH_LENGTH_OFFSET, LOG_OVERHEAD_BYTES, ZERO_UUID, scanRecordBatches, type MetadataResponse } from '../../codec/index.js';
import type { AbortedTransaction, FetchPartition, FetchTopic, PartitionData } from '../../codec/generated/fetch.js';
import { OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_OR_PARTITION } from '../error-codes.js';
import { EPOCH_FENCED, NO_EPOCH, epochErrorCode } from '../leader-epoch-map.js';
import { segmentEpochToReal, segmentEpochToVirtual, type OffsetSegment, type PartitionChain } from '../offset-segments.js';
import { NOTHING_YET, type RouteError } from '../split-route.js';
import type { MultiContext } from './multi-context.js';

/** Fetch carries currentLeaderEpoch from v9, lastFetchedEpoch from v12, topic ids from v13. */
const FIRST_CURRENT_EPOCH_VERSION = 9;
const FIRST_LAST_FETCHED_EPOCH_VERSION = 12;
const FIRST_TOPIC_ID_VERSION = 13;
/** A batch's baseOffset: the first 8 bytes. */
const BASE_OFFSET_BYTES = 8;

/**
 * What becomes of an older segment's records at or past its end: cut off (a gathered answer,
 * re-encoded anyway), or masked in place (a forwarded one, which keeps its length to stream).
 */
export type PastSegmentEnd = 'cut' | 'mask';

/**
 * The batch length that makes a batch at `at` of a `recordsLength`-byte records blob, and
 * everything after it, read as a trailing part of a batch: one byte more than is left.
 */
export function maskedBatchLength(recordsLength: number, at: number): number {
  return recordsLength - at - LOG_OVERHEAD_BYTES + 1;
}

/** 2^32: a 64-bit offset as two 32-bit halves. */
const TWO_POW_32 = 0x1_0000_0000;
/** An offset whose high half lies within ±2^19 is below 2^52: with a shift below 2^52 their sum is an exact double. */
const EXACT_HIGH_HALF = 1 << 19;
const EXACT_LIMIT = 2n ** 52n;

/** `v` as a number when it is below 2^52 either way (sums of two such stay exact), else null. */
function exactNumber(v: bigint): number | null {
  return v > -EXACT_LIMIT && v < EXACT_LIMIT ? Number(v) : null;
}

/** Which segment of a chained partition one Fetch reads, and how its answer is translated. */
export class SegmentRead {
  /** The segment's place in its chain (0: the oldest). */
  readonly index: number;
  readonly segment: OffsetSegment;
  /** The virtual offset just past an older segment; null for the last segment. */
  readonly end: bigint | null;
  /** The partition's first virtual offset (above 0 once its first segment was retired). */
  readonly start: bigint;
  /** The shift and the end as exact numbers, for batchBaseToVirtual; null when either is out of reach. */
  readonly #shift: number | null;
  readonly #end: number | null;

  constructor(index: number, segment: OffsetSegment, end: bigint | null, start = 0n) {
    this.index = index;
    this.segment = segment;
    this.end = end;
    this.start = start;
    const shift = exactNumber(segment.shift);
    const endNumber = end === null ? Number.POSITIVE_INFINITY : exactNumber(end);
    this.#shift = endNumber === null ? null : shift;
    this.#end = endNumber;
  }

  /** The read of the segment holding virtual offset `offset`. */
  static at(chain: PartitionChain, offset: bigint): SegmentRead {
    const index = chain.indexAt(offset);
    return new SegmentRead(index, chain.segments[index], chain.endOf(index), chain.start);
  }

  get isOlder(): boolean {
    return this.end !== null;
  }

  /**
   * A real offset that names a record (a batch's base, an aborted transaction's first) in
   * virtual terms. Kept in int64, as on the wire: a broken answer is passed on, not thrown on.
   */
  offset(real: bigint): bigint {
    return BigInt.asIntN(64, real + this.segment.shift);
  }

  /**
   * A real log position (high watermark, last stable offset, log start, an epoch's end) in
   * virtual terms: capped at an older segment's end; a sentinel (below 0) as it is. One below
   * 0 after the shift (the backend's log begins before the virtual log does) is unknown (-1)
   * while the partition starts at 0, and its start once its first segment was retired.
   */
  bound(real: bigint): bigint {
    if (real < 0n) return real;
    const v = this.offset(real);
    if (v < this.start) return this.start > 0n ? this.start : -1n;
    return this.end !== null && v > this.end ? this.end : v;
  }

  /**
   * The baseOffset of the batch at `at` of `buf` in virtual terms, in place, as offset() gives
   * it; false, with nothing written, when the batch is at or past an older segment's end. A
   * streamed answer does this for every batch it passes: in 32-bit halves and doubles (exact
   * below 2^53), it allocates no BigInt; an offset or shift beyond that takes offset().
   */
  batchBaseToVirtual(buf: Buffer, at: number): boolean {
    const high = buf.readInt32BE(at);
    const shift = this.#shift;
    if (shift === null || high <= -EXACT_HIGH_HALF || high >= EXACT_HIGH_HALF) {
      const base = this.offset(buf.readBigInt64BE(at));
      if (this.end !== null && base >= this.end) return false;
      buf.writeBigInt64BE(base, at);
      return true;
    }
    const v = high * TWO_POW_32 + buf.readUInt32BE(at + 4) + shift;
    if (v >= (this.#end as number)) return false;
    const vHigh = Math.floor(v / TWO_POW_32);
    buf.writeInt32BE(vHigh, at);
    buf.writeUInt32BE(v - vHigh * TWO_POW_32, at + 4);
    return true;
  }

  /** A real leader epoch of the segment's backend as the virtual epoch of the segment's generation. */
  epoch(real: number): number {
    return segmentEpochToVirtual(this.segment, real);
  }
}

/** The chained partitions of one destination's part: topic name → partition → read. */
export type SegmentReads = Map<string, Map<number, SegmentRead>>;

/** A partition's read in a part's reads; undefined for a partition without a chain (and for every partition of a part without any). */
export function segmentReadOf(reads: SegmentReads | null, topic: string, partition: number): SegmentRead | undefined {
  return reads === null ? undefined : reads.get(topic)?.get(partition);
}

export function addSegmentRead(reads: SegmentReads, topic: string, partition: number, read: SegmentRead): void {
  let partitions = reads.get(topic);
  if (partitions === undefined) reads.set(topic, (partitions = new Map()));
  partitions.set(partition, read);
}

/**
 * Routes a chained partition to the segment holding its fetch offset: the partition's offset
 * and epochs become that backend's (in place). Returns the read, or the error to answer the
 * partition with. A segment on a backend the topic's domain has left may be one Turnout has
 * not learnt the topic's real id or leader on (the clients' Metadata asks only the domain's
 * backend): a refresh of it is asked for and the partition answered with nothing yet.
 */
export function routeToSegment(ctx: MultiContext, t: FetchTopic, p: FetchPartition, version: number, topic: string, chain: PartitionChain, domainBackend: string): SegmentRead | RouteError {
  // Below the start: the retired segment's backend is never asked, and the first segment's may hold records there that are not the partition's.
  if (chain.isBelowStart(p.fetchOffset)) return { errorCode: OFFSET_OUT_OF_RANGE };
  const read = SegmentRead.at(chain, p.fetchOffset);
  const backend = read.segment.backend;
  if (!ctx.topologies.has(backend)) return { errorCode: UNKNOWN_TOPIC_OR_PARTITION };
  if (version >= FIRST_TOPIC_ID_VERSION && ctx.topicIds.realIdOf(t.topicId, backend) === undefined) {
    if (backend === domainBackend) return { errorCode: UNKNOWN_TOPIC_ID };
    ctx.zones.refresh?.request(backend, topic);
    return NOTHING_YET;
  }
  const err = fetchPartitionToSegment(ctx, p, version, topic, read);
  return err === 0 ? read : { errorCode: err };
}

/** A chained Fetch partition's offset and epochs in its segment backend's terms, in place. Returns 0 or the error to answer it with. */
function fetchPartitionToSegment(ctx: MultiContext, p: FetchPartition, version: number, topic: string, read: SegmentRead): number {
  const { segment } = read;
  if (p.fetchOffset >= 0n) p.fetchOffset -= segment.shift;
  if (version >= FIRST_CURRENT_EPOCH_VERSION) {
    if (read.isOlder) {
      p.currentLeaderEpoch = NO_EPOCH;
    } else {
      const real = ctx.epochs.currentToReal(topic, p.partition, segment.backend, p.currentLeaderEpoch);
      if (real === EPOCH_FENCED) return epochErrorCode(real);
      p.currentLeaderEpoch = real;
    }
  }
  // An epoch of another segment names another stretch of the log: the backend has no history to check it against.
  if (version >= FIRST_LAST_FETCHED_EPOCH_VERSION && p.lastFetchedEpoch >= 0) p.lastFetchedEpoch = segmentEpochToReal(segment, p.lastFetchedEpoch);
  return 0;
}

/**
 * A chained partition's answer in the client's terms, in place (for an older segment, what lies
 * past its end cut off or masked, by `pastEnd`). The current leader's id is the caller's: it
 * knows the node to show.
 */
export function partitionToSegmentVirtual(p: PartitionData, read: SegmentRead, pastEnd: PastSegmentEnd): void {
  p.highWatermark = read.bound(p.highWatermark);
  p.lastStableOffset = read.bound(p.lastStableOffset);
  p.logStartOffset = read.bound(p.logStartOffset);
  if (p.abortedTransactions !== null) p.abortedTransactions = abortedToVirtual(p.abortedTransactions, read, pastEnd);
  if (p.divergingEpoch !== undefined) {
    p.divergingEpoch.epoch = read.epoch(p.divergingEpoch.epoch);
    p.divergingEpoch.endOffset = read.bound(p.divergingEpoch.endOffset);
  }
  if (p.snapshotId !== undefined) {
    p.snapshotId.epoch = read.epoch(p.snapshotId.epoch);
    p.snapshotId.endOffset = read.bound(p.snapshotId.endOffset);
  }
  if (p.currentLeader !== undefined) {
    if (read.isOlder) {
      p.currentLeader.leaderId = -1;
      p.currentLeader.leaderEpoch = NO_EPOCH;
    } else {
      p.currentLeader.leaderEpoch = read.epoch(p.currentLeader.leaderEpoch);
    }
  }
  p.records = recordsToSegmentVirtual(p.records, read, pastEnd);
}

/**
 * Aborted transactions in virtual terms. A cut answer leaves out an older segment's that begin
 * past its end, with their records; a masked one keeps them (its list keeps its length): they
 * name records the client never reads, and a client forgets them with the answer.
 */
function abortedToVirtual(aborted: AbortedTransaction[], read: SegmentRead, pastEnd: PastSegmentEnd): AbortedTransaction[] {
  for (const a of aborted) a.firstOffset = read.offset(a.firstOffset);
  const { end } = read;
  return end === null || pastEnd === 'mask' ? aborted : aborted.filter((a) => a.firstOffset < end);
}

/**
 * A records blob from a segment's backend in virtual terms, batch headers rewritten in place.
 * Returns the records to answer with. For an older segment, the first batch at or past its end
 * is where the virtual log stops: cut there, or masked (maskedBatchLength), its header
 * otherwise as it came. A trailing part of a batch is left as it came (clients skip it and
 * fetch again from there, as the streamed answer leaves it), except that a cut answer drops
 * one that may begin past the end.
 */
export function recordsToSegmentVirtual(records: Buffer | null, read: SegmentRead, pastEnd: PastSegmentEnd): Buffer | null {
  if (records === null || records.length === 0) return records;
  const { end } = read;
  const scan = scanRecordBatches(records);
  // Consecutive batches nearly always share an epoch: translate each distinct one once.
  let lastReal: number | null = null;
  let lastVirtual = NO_EPOCH;
  for (const b of scan.batches) {
    if (!read.batchBaseToVirtual(records, b.offset)) {
      if (pastEnd === 'cut') return records.subarray(0, b.offset);
      records.writeInt32BE(maskedBatchLength(records.length, b.offset), b.offset + BATCH_LENGTH_OFFSET);
      return records;
    }
    if (b.magic !== 2) continue;
    const real = b.partitionLeaderEpoch;
    if (real !== lastReal) {
      lastReal = real;
      lastVirtual = read.epoch(real);
    }
    b.partitionLeaderEpoch = lastVirtual;
  }
  if (end !== null && pastEnd === 'cut' && scan.trailingPartialBytes > 0) {
    const at = scan.wholeBytes;
    if (records.length - at < BASE_OFFSET_BYTES || read.offset(records.readBigInt64BE(at)) >= end) return records.subarray(0, at);
  }
  return records;
}

/**
 * Binds the real ids a backend's Metadata answer gives for topics whose domain lives on another
 * backend (an older segment's), so that a Fetch of that segment can name the topic there.
 */
export function bindOtherBackendTopicIds(ctx: MultiContext, backend: string, answer: MetadataResponse): void {
  const policy = ctx.policy();
  for (const t of answer.topics) {
    if (t.errorCode !== 0 || t.name === null || t.topicId === ZERO_UUID || !ctx.segments.hasTopic(t.name)) continue;
    if (ctx.backendOfTopic(t.name, policy) !== backend) ctx.topicIds.observeOther(backend, t.name, t.topicId);
  }
}
