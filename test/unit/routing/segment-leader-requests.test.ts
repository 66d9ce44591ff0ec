// ListOffsets, OffsetForLeaderEpoch, DeleteRecords and DescribeProducers of a chained partition
// (three segments east → west → east, segment-backends.ts), against fake backends that answer
// from their logs as brokers do.
import { describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/codec/index.js';
import { createListOffsetsPartition, createListOffsetsRequest, decodeListOffsetsResponse, encodeListOffsetsRequest, type ListOffsetsPartitionResponse } from '../../../src/codec/generated/list-offsets.js';
import {
  createOffsetForLeaderEpochRequest,
  createOffsetForLeaderPartition,
  decodeOffsetForLeaderEpochResponse,
  encodeOffsetForLeaderEpochRequest,
  type EpochEndOffset,
} from '../../../src/codec/generated/offset-for-leader-epoch.js';
import { createDeleteRecordsRequest, decodeDeleteRecordsResponse, encodeDeleteRecordsRequest, type DeleteRecordsPartitionResult } from '../../../src/codec/generated/delete-records.js';
import { createDescribeProducersRequest, decodeDescribeProducersResponse, encodeDescribeProducersRequest } from '../../../src/codec/generated/describe-producers.js';
import { generationOffset } from '../../../src/routing/leader-epoch-map.js';
import { SEGMENTS, chainOrders, clientAsks, segmentRig, type SegmentRig } from './segment-backends.js';
import { learnMetadata } from './two-backend-router.js';

const FENCED_LEADER_EPOCH = 74;
const OFFSET_OUT_OF_RANGE = 1;
const LIST_OFFSETS_VERSION = 7;
const OFFSET_FOR_LEADER_EPOCH_VERSION = 4;

/** A virtual epoch: real epoch `real` of generation `g`. */
function epoch(g: number, real: number): number {
  return generationOffset(g) + real;
}

async function listOffsets(rig: SegmentRig, timestamp: bigint, currentLeaderEpoch = -1, partitionIndex = 0): Promise<ListOffsetsPartitionResponse> {
  const req = createListOffsetsRequest();
  req.replicaId = -1;
  req.topics = [{ name: 'orders.a', partitions: [{ ...createListOffsetsPartition(), partitionIndex, timestamp, currentLeaderEpoch }] }];
  const res = await clientAsks(rig, ApiKey.ListOffsets, LIST_OFFSETS_VERSION, req, encodeListOffsetsRequest, decodeListOffsetsResponse);
  return res.topics[0].partitions[0];
}

async function endOffsetFor(rig: SegmentRig, leaderEpoch: number, currentLeaderEpoch = -1): Promise<EpochEndOffset> {
  const req = createOffsetForLeaderEpochRequest();
  req.replicaId = -1;
  req.topics = [{ topic: 'orders.a', partitions: [{ ...createOffsetForLeaderPartition(), partition: 0, currentLeaderEpoch, leaderEpoch }] }];
  const res = await clientAsks(rig, ApiKey.OffsetForLeaderEpoch, OFFSET_FOR_LEADER_EPOCH_VERSION, req, encodeOffsetForLeaderEpochRequest, decodeOffsetForLeaderEpochResponse);
  return res.topics[0].partitions[0];
}

async function deleteRecords(rig: SegmentRig, offset: bigint): Promise<DeleteRecordsPartitionResult> {
  const req = createDeleteRecordsRequest();
  req.timeoutMs = 1000;
  req.topics = [{ name: 'orders.a', partitions: [{ partitionIndex: 0, offset }] }];
  const res = await clientAsks(rig, ApiKey.DeleteRecords, 2, req, encodeDeleteRecordsRequest, decodeDeleteRecordsResponse);
  return res.topics[0].partitions[0];
}

/** [backend, currentLeaderEpoch] of every ListOffsets or OffsetForLeaderEpoch partition the backends were asked. */
function currentEpochsAsked(rig: SegmentRig, apiKey: number): Array<[string, number]> {
  return rig.requests(apiKey).flatMap((r) =>
    (r.body.topics as Array<{ partitions: Array<{ currentLeaderEpoch: number }> }>).flatMap((t) => t.partitions.map((p): [string, number] => [r.backend, p.currentLeaderEpoch])),
  );
}

describe('ListOffsets of a chained partition', () => {
  it('answers latest from the last segment, translated, with its generation in the epoch', async () => {
    const rig = await segmentRig();
    const p = await listOffsets(rig, -1n, epoch(4, 4));
    expect([p.errorCode, p.offset, p.leaderEpoch]).toEqual([0, 19n, epoch(4, 4)]);
    expect(currentEpochsAsked(rig, ApiKey.ListOffsets)).toEqual([['east', 4]]);
  });

  it('answers earliest from the first segment, and from the next one when retention emptied it', async () => {
    const rig = await segmentRig();
    expect((await listOffsets(rig, -2n)).offset).toBe(0n);
    rig.backends.east.log.deleteBelow(4n);
    const partly = await listOffsets(rig, -2n);
    expect([partly.offset, partly.leaderEpoch]).toEqual([4n, epoch(1, 3)]);
    // East's log now starts at its segment 2 records: segment 0 is empty, west is asked, and
    // west's older records (below its segment's start) do not count.
    rig.backends.east.log.deleteBelow(10n);
    rig.seen.length = 0;
    const emptied = await listOffsets(rig, -2n);
    expect([emptied.offset, emptied.leaderEpoch]).toEqual([10n, epoch(2, 6)]);
    expect(rig.requests(ApiKey.ListOffsets).map((r) => r.backend)).toEqual(['east', 'west']);
    expect((await listOffsets(rig, -4n)).offset).toBe(10n);
  });

  it('finds a timestamp in the segment holding it, on either side of each switch point', async () => {
    const rig = await segmentRig();
    const at = async (ts: number): Promise<[bigint, bigint]> => {
      const p = await listOffsets(rig, BigInt(ts));
      expect(p.errorCode).toBe(0);
      return [p.offset, p.timestamp];
    };
    expect(await at(1005)).toEqual([5n, 1005n]);
    expect(await at(1009)).toEqual([9n, 1009n]);
    // Past segment 0's last record, east's first match is a segment 2 record (real 10): not
    // segment 0's, so west is asked and its first record of segment 1 wins.
    expect(await at(1500)).toEqual([10n, 2000n]);
    expect(await at(2003)).toEqual([13n, 2003n]);
    // Past segment 1 (west has nothing that late): segment 2.
    expect(await at(2500)).toEqual([15n, 3000n]);
    expect(await at(3002)).toEqual([17n, 3002n]);
    expect(await at(9999)).toEqual([-1n, -1n]);
  });

  it('never asks a segment that holds nothing (two switches with nothing written between)', async () => {
    const rig = await segmentRig({
      segments: [
        { backend: 'east', firstOffset: 0n, shift: 0n, generation: 1 },
        { backend: 'west', firstOffset: 10n, shift: 3n, generation: 2 },
        { backend: 'east', firstOffset: 10n, shift: 0n, generation: 4 },
      ],
    });
    const p = await listOffsets(rig, 1500n);
    expect([p.offset, p.timestamp]).toEqual([10n, 3000n]);
    expect(rig.requests(ApiKey.ListOffsets).map((r) => r.backend)).toEqual(['east', 'east']);
  });

  it('answers the max timestamp from the newest segment holding a record', async () => {
    const rig = await segmentRig();
    const p = await listOffsets(rig, -3n);
    expect([p.offset, p.timestamp, p.leaderEpoch]).toEqual([18n, 3003n, epoch(4, 4)]);
  });

  it('asks older segments with no current epoch and never moves the epoch map to their backend', async () => {
    const rig = await segmentRig();
    const generation = rig.router.epochs.currentGeneration('orders.a');
    await listOffsets(rig, 2500n, epoch(4, 4));
    expect(currentEpochsAsked(rig, ApiKey.ListOffsets)).toEqual([
      ['east', -1],
      ['west', -1],
      ['east', 4],
    ]);
    expect(rig.router.epochs.currentGeneration('orders.a')).toBe(generation);
    expect(rig.router.epochs.currentBackend('orders.a')).toBe('east');
  });

  it("fences a current epoch of an older generation than the last segment's", async () => {
    const rig = await segmentRig();
    expect((await listOffsets(rig, -2n, epoch(2, 7))).errorCode).toBe(FENCED_LEADER_EPOCH);
    expect(rig.requests(ApiKey.ListOffsets)).toEqual([]);
  });

  it('leaves a partition without a chain to the untranslated path', async () => {
    const rig = await segmentRig();
    const p = await listOffsets(rig, -1n, -1, 1);
    expect([p.errorCode, p.offset]).toEqual([0, 14n]);
    expect(rig.requests(ApiKey.ListOffsets).map((r) => [r.backend, r.brokerId])).toEqual([['east', 2]]);
  });
});

describe('OffsetForLeaderEpoch of a chained partition', () => {
  it("asks the segment of the epoch's generation and caps an older segment's answer at its end", async () => {
    const rig = await segmentRig();
    const first = await endOffsetFor(rig, epoch(1, 3), epoch(4, 4));
    expect([first.errorCode, first.leaderEpoch, first.endOffset]).toEqual([0, epoch(1, 3), 10n]);
    const second = await endOffsetFor(rig, epoch(2, 7), epoch(4, 4));
    expect([second.errorCode, second.leaderEpoch, second.endOffset]).toEqual([0, epoch(2, 7), 15n]);
    const last = await endOffsetFor(rig, epoch(4, 4), epoch(4, 4));
    expect([last.errorCode, last.leaderEpoch, last.endOffset]).toEqual([0, epoch(4, 4), 19n]);
    expect(currentEpochsAsked(rig, ApiKey.OffsetForLeaderEpoch)).toEqual([
      ['east', -1],
      ['west', -1],
      ['east', 4],
    ]);
    const asked = rig.requests(ApiKey.OffsetForLeaderEpoch).map((r) => (r.body.topics as Array<{ partitions: Array<{ leaderEpoch: number }> }>)[0].partitions[0].leaderEpoch);
    expect(asked).toEqual([3, 7, 4]);
  });

  it('answers an epoch of a generation between two segments with the earlier one\'s last epoch and end', async () => {
    const rig = await segmentRig();
    const p = await endOffsetFor(rig, epoch(3, 1));
    expect([p.errorCode, p.leaderEpoch, p.endOffset]).toEqual([0, epoch(2, 7), 15n]);
    // Asked again with the epoch it was given, the answer stands.
    const again = await endOffsetFor(rig, p.leaderEpoch);
    expect([again.leaderEpoch, again.endOffset]).toEqual([epoch(2, 7), 15n]);
  });

  it('answers an epoch older than every segment with the epoch itself and the start of the log', async () => {
    const rig = await segmentRig();
    const p = await endOffsetFor(rig, epoch(0, 3));
    expect([p.errorCode, p.leaderEpoch, p.endOffset]).toEqual([0, epoch(0, 3), 0n]);
    rig.backends.east.log.deleteBelow(10n);
    const emptied = await endOffsetFor(rig, epoch(0, 3));
    expect([emptied.leaderEpoch, emptied.endOffset]).toEqual([epoch(0, 3), 10n]);
  });

  it('answers an epoch newer than every segment as undefined, and fences an old current epoch', async () => {
    const rig = await segmentRig();
    const newer = await endOffsetFor(rig, epoch(5, 0));
    expect([newer.errorCode, newer.leaderEpoch, newer.endOffset]).toEqual([0, -1, -1n]);
    expect((await endOffsetFor(rig, epoch(1, 3), epoch(2, 7))).errorCode).toBe(FENCED_LEADER_EPOCH);
  });
});

describe('DeleteRecords of a chained partition', () => {
  it('deletes older segments to their end and the segment holding the offset to it', async () => {
    const rig = await segmentRig();
    const p = await deleteRecords(rig, 12n);
    expect([p.errorCode, p.lowWatermark]).toEqual([0, 12n]);
    expect([rig.backends.east.log.logStart, rig.backends.west.log.logStart]).toEqual([10n, 4n]);
    // The segment holding the offset is asked first.
    expect(rig.requests(ApiKey.DeleteRecords).map((r) => r.backend)).toEqual(['west', 'east']);
    expect((await listOffsets(rig, -2n)).offset).toBe(12n);
  });

  it('deletes into the last segment with one request to a backend holding two segments', async () => {
    const rig = await segmentRig();
    const p = await deleteRecords(rig, 17n);
    expect([p.errorCode, p.lowWatermark]).toEqual([0, 17n]);
    expect([rig.backends.east.log.logStart, rig.backends.west.log.logStart]).toEqual([12n, 7n]);
    expect(rig.requests(ApiKey.DeleteRecords).map((r) => r.backend)).toEqual(['east', 'west']);
  });

  it("deletes to the last segment's high watermark for -1", async () => {
    const rig = await segmentRig();
    const p = await deleteRecords(rig, -1n);
    expect([p.errorCode, p.lowWatermark]).toEqual([0, 19n]);
    expect([rig.backends.east.log.logStart, rig.backends.west.log.logStart]).toEqual([14n, 7n]);
  });

  it('deletes nothing anywhere when the offset is past the high watermark', async () => {
    const rig = await segmentRig();
    const p = await deleteRecords(rig, 25n);
    expect(p.errorCode).toBe(OFFSET_OUT_OF_RANGE);
    expect([rig.backends.east.log.logStart, rig.backends.west.log.logStart]).toEqual([0n, 0n]);
    expect(rig.requests(ApiKey.DeleteRecords).map((r) => r.backend)).toEqual(['east']);
  });
});

/** The default history after `turnout cutover retire orders --segment 0`: east's records of segment 0 are no part of the log, which starts at 10. */
const WITHOUT_SEGMENT_0 = SEGMENTS.slice(1);

describe('a chained partition whose segment 0 was retired', () => {
  it('answers earliest with the start, from the first segment left, never below it nor from the retired one', async () => {
    const rig = await segmentRig({ segments: WITHOUT_SEGMENT_0 });
    // West holds two records below the start (real 0..1, virtual 8..9): they do not count.
    const earliest = await listOffsets(rig, -2n);
    expect([earliest.errorCode, earliest.offset]).toEqual([0, 10n]);
    expect((await listOffsets(rig, -4n)).offset).toBe(10n);
    expect(rig.requests(ApiKey.ListOffsets).map((r) => r.backend)).toEqual(['west', 'west']);
    // Timestamps of the retired records and of west's records below the start: the start.
    expect((await listOffsets(rig, 400n)).offset).toBe(10n);
    expect((await listOffsets(rig, 1005n)).offset).toBe(10n);
    expect((await listOffsets(rig, 2003n)).offset).toBe(13n);
    expect((await listOffsets(rig, -1n)).offset).toBe(19n);
  });

  it('answers earliest from the next segment once retention emptied the first one left', async () => {
    const rig = await segmentRig({ segments: WITHOUT_SEGMENT_0 });
    rig.backends.west.log.deleteBelow(7n);
    expect((await listOffsets(rig, -2n)).offset).toBe(15n);
  });

  it("answers an epoch of the retired segment's generation with the epoch itself and the start", async () => {
    const rig = await segmentRig({ segments: WITHOUT_SEGMENT_0 });
    const retired = await endOffsetFor(rig, epoch(1, 3));
    expect([retired.errorCode, retired.leaderEpoch, retired.endOffset]).toEqual([0, epoch(1, 3), 10n]);
    const older = await endOffsetFor(rig, epoch(0, 3));
    expect([older.leaderEpoch, older.endOffset]).toEqual([epoch(0, 3), 10n]);
    const first = await endOffsetFor(rig, epoch(2, 7));
    expect([first.leaderEpoch, first.endOffset]).toEqual([epoch(2, 7), 15n]);
  });

  it('answers a deletion below the start with the start as low watermark, asking only the segments left', async () => {
    const rig = await segmentRig({ segments: WITHOUT_SEGMENT_0 });
    const below = await deleteRecords(rig, 5n);
    expect([below.errorCode, below.lowWatermark]).toEqual([0, 10n]);
    // East keeps its retired records: only west (the first segment left) is asked, up to the start.
    expect([rig.backends.east.log.logStart, rig.backends.west.log.logStart]).toEqual([0n, 2n]);
    expect(rig.requests(ApiKey.DeleteRecords).map((r) => r.backend)).toEqual(['west']);
    const inside = await deleteRecords(rig, 12n);
    expect([inside.errorCode, inside.lowWatermark]).toEqual([0, 12n]);
    expect((await listOffsets(rig, -2n)).offset).toBe(12n);
  });
});

describe('DescribeProducers of a chained partition', () => {
  it("asks the last segment's backend", async () => {
    const rig = await segmentRig();
    chainOrders(rig.router, SEGMENTS.slice(0, 2), 1, null);
    rig.domainBackends.set('orders', 'west');
    await learnMetadata(rig.router, rig.session);
    const req = createDescribeProducersRequest();
    req.topics = [{ name: 'orders.a', partitionIndexes: [0] }];
    const res = await clientAsks(rig, ApiKey.DescribeProducers, 0, req, encodeDescribeProducersRequest, decodeDescribeProducersResponse);
    const p = res.topics[0].partitions[0];
    expect(p.errorCode).toBe(0);
    // The open transaction's first offset, in virtual terms (west's real 3 + shift 8).
    expect(p.activeProducers.map((s) => s.currentTxnStartOffset)).toEqual([11n]);
    expect(rig.requests(ApiKey.DescribeProducers).map((r) => r.backend)).toEqual(['west']);
  });
});
