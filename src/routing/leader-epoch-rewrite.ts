// Leader epochs in the messages that carry them, translated between the client's virtual
// epochs and one backend's real epochs with a LeaderEpochMap. Requests are translated per
// partition while routing (before a split), so that a partition the map fences is answered
// with an error instead of being sent; responses are translated per partition after each
// destination answers (before a merge). Metadata epochs are translated by metadata-merge.
//
// Every function works in place on decoded structs, for the partition of topic `topic`
// (always the name: callers resolve virtual topic ids first) routed to `backend`.
import type { FetchPartition, PartitionData } from '../codec/generated/fetch.js';
import type { ListOffsetsPartition, ListOffsetsPartitionResponse } from '../codec/generated/list-offsets.js';
import type { EpochEndOffset, OffsetForLeaderPartition } from '../codec/generated/offset-for-leader-epoch.js';
import type { PartitionProduceResponse } from '../codec/generated/produce.js';
import { scanRecordBatches } from '../codec/index.js';
import { EPOCH_FENCED, NO_EPOCH, epochErrorCode, type LeaderEpochMap } from './leader-epoch-map.js';
import { segmentEpochToReal, type OffsetSegment } from './offset-segments.js';

/** Fetch carries currentLeaderEpoch from v9 and lastFetchedEpoch from v12. */
const FETCH_FIRST_CURRENT_EPOCH_VERSION = 9;
const FETCH_FIRST_LAST_FETCHED_EPOCH_VERSION = 12;
/** ListOffsets carries currentLeaderEpoch from v4. */
const LIST_OFFSETS_FIRST_EPOCH_VERSION = 4;
/** OffsetForLeaderEpoch carries currentLeaderEpoch from v2. */
const OFFSET_FOR_LEADER_EPOCH_FIRST_CURRENT_EPOCH_VERSION = 2;
const MAGIC_V2 = 2;

/**
 * A Fetch partition's epochs to `backend`'s: currentLeaderEpoch (fenced as a broker would) and
 * lastFetchedEpoch (an epoch from another backend's generation becomes -1: the backend has
 * no history to check divergence against; only followers send it anyway). Returns 0, or the
 * error code to answer the partition with.
 */
export function fetchPartitionEpochsToReal(
  p: FetchPartition,
  version: number,
  topic: string,
  backend: string,
  epochs: LeaderEpochMap,
): number {
  if (version >= FETCH_FIRST_CURRENT_EPOCH_VERSION) {
    const real = epochs.currentToReal(topic, p.partition, backend, p.currentLeaderEpoch);
    if (real === EPOCH_FENCED) return epochErrorCode(real);
    p.currentLeaderEpoch = real;
  }
  if (version >= FETCH_FIRST_LAST_FETCHED_EPOCH_VERSION && p.lastFetchedEpoch >= 0) {
    p.lastFetchedEpoch = historicalOrNone(epochs.toReal(topic, p.partition, backend, p.lastFetchedEpoch));
  }
  return 0;
}

/**
 * A Fetch response partition from `backend` to virtual epochs: currentLeader, divergingEpoch,
 * snapshotId and every v2 record batch's partitionLeaderEpoch (outside the batch CRC, so no
 * checksum is recomputed). Batches stay where they are: the records are rewritten in place.
 */
export function fetchPartitionEpochsToVirtual(p: PartitionData, topic: string, backend: string, epochs: LeaderEpochMap): void {
  const partition = p.partitionIndex;
  if (p.currentLeader !== undefined) p.currentLeader.leaderEpoch = epochs.toVirtual(topic, partition, backend, p.currentLeader.leaderEpoch);
  if (p.divergingEpoch !== undefined) p.divergingEpoch.epoch = epochs.toVirtual(topic, partition, backend, p.divergingEpoch.epoch);
  if (p.snapshotId !== undefined) p.snapshotId.epoch = epochs.toVirtual(topic, partition, backend, p.snapshotId.epoch);
  recordsEpochsToVirtual(p.records, topic, partition, backend, epochs);
}

/** Every v2 batch's partitionLeaderEpoch in a records blob from `backend`, to virtual, in place. */
export function recordsEpochsToVirtual(records: Buffer | null, topic: string, partition: number, backend: string, epochs: LeaderEpochMap): void {
  // Consecutive batches nearly always share an epoch: translate each distinct one once.
  let lastReal = NO_EPOCH;
  let lastVirtual = NO_EPOCH;
  for (const b of scanRecordBatches(records).batches) {
    if (b.magic !== MAGIC_V2) continue;
    const real = b.partitionLeaderEpoch;
    if (real !== lastReal) {
      lastReal = real;
      lastVirtual = epochs.toVirtual(topic, partition, backend, real);
    }
    b.partitionLeaderEpoch = lastVirtual;
  }
}

/**
 * Every v2 batch's partitionLeaderEpoch in a produced records blob, to `backend`'s epochs.
 * Producers write -1 and the leader stamps its own epoch on append, so the value only
 * matters for being no backend's nonsense: an epoch of another backend becomes -1.
 */
export function recordsEpochsToReal(records: Buffer | null, topic: string, partition: number, backend: string, epochs: LeaderEpochMap): void {
  for (const b of scanRecordBatches(records).batches) {
    if (b.magic !== MAGIC_V2 || b.partitionLeaderEpoch < 0) continue;
    b.partitionLeaderEpoch = historicalOrNone(epochs.toReal(topic, partition, backend, b.partitionLeaderEpoch));
  }
}

/**
 * Every v2 batch's partitionLeaderEpoch in a records blob produced to a chained partition, to
 * the real epochs of the segment it is written to (by the segment's own generation, never the
 * epoch map's): an epoch of another generation becomes -1.
 */
export function recordsEpochsToSegment(records: Buffer | null, segment: OffsetSegment): void {
  for (const b of scanRecordBatches(records).batches) {
    if (b.magic !== MAGIC_V2 || b.partitionLeaderEpoch < 0) continue;
    b.partitionLeaderEpoch = segmentEpochToReal(segment, b.partitionLeaderEpoch);
  }
}

/** A Produce response partition from `backend` (currentLeader, v10+) to virtual epochs. */
export function producePartitionEpochsToVirtual(p: PartitionProduceResponse, topic: string, backend: string, epochs: LeaderEpochMap): void {
  if (p.currentLeader !== undefined) p.currentLeader.leaderEpoch = epochs.toVirtual(topic, p.index, backend, p.currentLeader.leaderEpoch);
}

/** A ListOffsets partition's currentLeaderEpoch to `backend`'s. Returns 0 or the error code to answer with. */
export function listOffsetsPartitionEpochsToReal(
  p: ListOffsetsPartition,
  version: number,
  topic: string,
  backend: string,
  epochs: LeaderEpochMap,
): number {
  if (version < LIST_OFFSETS_FIRST_EPOCH_VERSION) return 0;
  const real = epochs.currentToReal(topic, p.partitionIndex, backend, p.currentLeaderEpoch);
  if (real === EPOCH_FENCED) return epochErrorCode(real);
  p.currentLeaderEpoch = real;
  return 0;
}

/** A ListOffsets response partition from `backend` (the epoch of the returned offset) to virtual. */
export function listOffsetsPartitionEpochsToVirtual(p: ListOffsetsPartitionResponse, topic: string, backend: string, epochs: LeaderEpochMap): void {
  p.leaderEpoch = epochs.toVirtual(topic, p.partitionIndex, backend, p.leaderEpoch);
}

/** What to do with one OffsetForLeaderEpoch partition. */
export type OffsetForLeaderEpochDecision =
  /** Send it; its epochs are now `backend`'s. */
  | { kind: 'forward' }
  /** Answer it with this error. */
  | { kind: 'error'; errorCode: number }
  /** Answer it with this result, without asking the backend. */
  | { kind: 'answer'; leaderEpoch: number; endOffset: bigint };

const FORWARD: OffsetForLeaderEpochDecision = { kind: 'forward' };

/**
 * An OffsetForLeaderEpoch partition to `backend`'s epochs. currentLeaderEpoch is fenced as
 * for Fetch. A requested epoch from another backend's generation has no history on `backend`
 * to answer from: it is answered with Kafka's "undefined" result (epoch -1, offset -1), with
 * which a consumer validating its position resets by its auto.offset.reset policy (or raises
 * LogTruncationException without one) rather than trust an offset of another log.
 */
export function offsetForLeaderEpochPartitionToReal(
  p: OffsetForLeaderPartition,
  version: number,
  topic: string,
  backend: string,
  epochs: LeaderEpochMap,
): OffsetForLeaderEpochDecision {
  if (version >= OFFSET_FOR_LEADER_EPOCH_FIRST_CURRENT_EPOCH_VERSION) {
    const real = epochs.currentToReal(topic, p.partition, backend, p.currentLeaderEpoch);
    if (real === EPOCH_FENCED) return { kind: 'error', errorCode: epochErrorCode(real) };
    p.currentLeaderEpoch = real;
  }
  if (p.leaderEpoch < 0) return FORWARD;
  const real = epochs.toReal(topic, p.partition, backend, p.leaderEpoch);
  if (real < 0) return { kind: 'answer', leaderEpoch: NO_EPOCH, endOffset: -1n };
  p.leaderEpoch = real;
  return FORWARD;
}

/** An OffsetForLeaderEpoch result from `backend` to virtual epochs. */
export function offsetForLeaderEpochResultToVirtual(r: EpochEndOffset, topic: string, backend: string, epochs: LeaderEpochMap): void {
  r.leaderEpoch = epochs.toVirtual(topic, r.partition, backend, r.leaderEpoch);
}

function historicalOrNone(real: number): number {
  return real < 0 ? NO_EPOCH : real;
}
