import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createFetchRequest,
  createFetchResponse,
  createListOffsetsRequest,
  createListOffsetsResponse,
  createOffsetForLeaderEpochRequest,
  createOffsetForLeaderEpochResponse,
  createProduceResponse,
  decodeRequestBody,
  decodeResponseBody,
  encodeRequestBody,
  encodeResponseBody,
  scanRecordBatches,
  type FetchResponse,
} from '../../../src/codec/index.js';
import { createFetchPartition, createPartitionData } from '../../../src/codec/generated/fetch.js';
import { createListOffsetsPartition, createListOffsetsPartitionResponse } from '../../../src/codec/generated/list-offsets.js';
import { createEpochEndOffset, createOffsetForLeaderPartition } from '../../../src/codec/generated/offset-for-leader-epoch.js';
import { createPartitionProduceResponse } from '../../../src/codec/generated/produce.js';
import { FENCED_LEADER_EPOCH } from '../../../src/routing/error-codes.js';
import { GENERATION_STRIDE, LeaderEpochMap } from '../../../src/routing/leader-epoch-map.js';
import {
  fetchPartitionEpochsToReal,
  fetchPartitionEpochsToVirtual,
  listOffsetsPartitionEpochsToReal,
  listOffsetsPartitionEpochsToVirtual,
  offsetForLeaderEpochPartitionToReal,
  offsetForLeaderEpochResultToVirtual,
  producePartitionEpochsToVirtual,
  recordsEpochsToReal,
} from '../../../src/routing/leader-epoch-rewrite.js';
import { capturedResponse, recordBatches } from './record-batches.js';

/** b's generation: virtual = real + B. */
const B = GENERATION_STRIDE;

/** A map where orders-0 was served by a (epochs up to 9) and is now served by b (virtual = real + B). */
function movedMap(): LeaderEpochMap {
  const m = new LeaderEpochMap();
  m.observeServing('orders', 0, 'a', 9);
  m.observeServing('orders', 0, 'b', 3);
  return m;
}

describe('leader epochs in Fetch', () => {
  it('translates currentLeaderEpoch and lastFetchedEpoch to the backend, through the wire (v12)', () => {
    const epochs = movedMap();
    const req = createFetchRequest();
    const p = createFetchPartition();
    p.partition = 0;
    p.currentLeaderEpoch = B + 3;
    p.lastFetchedEpoch = B + 2;
    req.topics = [{ topic: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [p] }];
    const decoded = decodeRequestBody(ApiKey.Fetch, 12, encodeRequestBody(ApiKey.Fetch, 12, req));
    const dp = decoded.topics[0].partitions[0];
    expect(fetchPartitionEpochsToReal(dp, 12, 'orders', 'b', epochs)).toBe(0);
    expect(dp.currentLeaderEpoch).toBe(3);
    expect(dp.lastFetchedEpoch).toBe(2);
    const again = decodeRequestBody(ApiKey.Fetch, 12, encodeRequestBody(ApiKey.Fetch, 12, decoded));
    expect(again.topics[0].partitions[0]).toMatchObject({ currentLeaderEpoch: 3, lastFetchedEpoch: 2 });
  });

  it('fences a current epoch of the old backend with FENCED_LEADER_EPOCH', () => {
    const epochs = movedMap();
    const p = createFetchPartition();
    p.currentLeaderEpoch = 9;
    expect(fetchPartitionEpochsToReal(p, 11, 'orders', 'b', epochs)).toBe(FENCED_LEADER_EPOCH);
  });

  it("drops a lastFetchedEpoch of the old backend's generation to -1", () => {
    const epochs = movedMap();
    const p = createFetchPartition();
    p.currentLeaderEpoch = -1;
    p.lastFetchedEpoch = 7;
    expect(fetchPartitionEpochsToReal(p, 12, 'orders', 'b', epochs)).toBe(0);
    expect(p.lastFetchedEpoch).toBe(-1);
  });

  it('leaves versions without epochs alone', () => {
    const epochs = movedMap();
    const p = createFetchPartition();
    p.currentLeaderEpoch = 9;
    expect(fetchPartitionEpochsToReal(p, 8, 'orders', 'b', epochs)).toBe(0);
    expect(p.currentLeaderEpoch).toBe(9);
  });

  it('translates response epochs and every batch partitionLeaderEpoch, keeping the CRCs valid', async () => {
    const epochs = movedMap();
    const records = await recordBatches(
      { baseOffset: 0, partitionLeaderEpoch: 1, producerId: 7n, producerEpoch: 0, baseSequence: 0 },
      { baseOffset: 2, partitionLeaderEpoch: 3 },
      { baseOffset: 4, partitionLeaderEpoch: 3 },
    );
    const res = createFetchResponse();
    const p = createPartitionData();
    p.partitionIndex = 0;
    p.records = records;
    p.currentLeader = { leaderId: 1, leaderEpoch: 3 };
    p.divergingEpoch = { epoch: 2, endOffset: 5n };
    p.snapshotId = { endOffset: 9n, epoch: 1 };
    res.responses = [{ topic: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [p] }];
    const decoded = decodeResponseBody(ApiKey.Fetch, 12, encodeResponseBody(ApiKey.Fetch, 12, res));
    const dp = decoded.responses[0].partitions[0];
    fetchPartitionEpochsToVirtual(dp, 'orders', 'b', epochs);
    const out = decodeResponseBody(ApiKey.Fetch, 12, encodeResponseBody(ApiKey.Fetch, 12, decoded)).responses[0].partitions[0];
    expect(out.currentLeader?.leaderEpoch).toBe(B + 3);
    expect(out.divergingEpoch?.epoch).toBe(B + 2);
    expect(out.snapshotId?.epoch).toBe(B + 1);
    const batches = scanRecordBatches(out.records).batches;
    expect(batches.map((b) => b.partitionLeaderEpoch)).toEqual([B + 1, B + 3, B + 3]);
    for (const b of batches) expect(b.verifyCrc()).toBe(true);
  });

  for (const [file, version] of [
    ['kafka-4.1.1/0147-java-Fetch-v18-response.bin', 18],
    ['kafka-3.9.1/0089-kafkajs-Fetch-v11-response.bin', 11],
  ] as const) {
    it(`translates the batches of a Fetch response captured from a real broker (${file})`, () => {
      const res = capturedResponse(ApiKey.Fetch, version, file) as FetchResponse;
      const epochs = new LeaderEpochMap();
      // Generations are per topic: x served it, y serves it now.
      epochs.observeServing('captured', 0, 'x', 100);
      epochs.observeServing('captured', 0, 'y', 0); // y: offset B
      let batchCount = 0;
      for (const t of res.responses) {
        for (const p of t.partitions) {
          const before = scanRecordBatches(p.records).batches.map((b) => b.partitionLeaderEpoch);
          fetchPartitionEpochsToVirtual(p, 'captured', 'y', epochs);
          const after = scanRecordBatches(p.records).batches;
          expect(after.map((b) => b.partitionLeaderEpoch)).toEqual(before.map((e) => (e < 0 ? e : e + B)));
          for (const b of after) expect(b.verifyCrc()).toBe(true);
          batchCount += after.length;
        }
      }
      expect(batchCount).toBeGreaterThan(0);
    });
  }
});

describe('leader epochs in Produce', () => {
  it('sets a produced batch epoch to the backend epoch, or -1 when it belongs to another backend', async () => {
    const epochs = movedMap();
    const records = await recordBatches({ partitionLeaderEpoch: B + 2 }, { partitionLeaderEpoch: 5 }, { partitionLeaderEpoch: -1 });
    recordsEpochsToReal(records, 'orders', 0, 'b', epochs);
    const batches = scanRecordBatches(records).batches;
    expect(batches.map((b) => b.partitionLeaderEpoch)).toEqual([2, -1, -1]);
    for (const b of batches) expect(b.verifyCrc()).toBe(true);
  });

  it('translates currentLeader in a Produce response (v10+)', () => {
    const epochs = movedMap();
    const res = createProduceResponse();
    const p = createPartitionProduceResponse();
    p.index = 0;
    p.errorCode = 6;
    p.currentLeader = { leaderId: 2, leaderEpoch: 4 };
    res.responses = [{ name: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionResponses: [p] }];
    const decoded = decodeResponseBody(ApiKey.Produce, 10, encodeResponseBody(ApiKey.Produce, 10, res));
    producePartitionEpochsToVirtual(decoded.responses[0].partitionResponses[0], 'orders', 'b', epochs);
    expect(decoded.responses[0].partitionResponses[0].currentLeader?.leaderEpoch).toBe(B + 4);
  });
});

describe('leader epochs in ListOffsets', () => {
  it('translates currentLeaderEpoch (v4+) and fences an old one', () => {
    const epochs = movedMap();
    const req = createListOffsetsRequest();
    const p = createListOffsetsPartition();
    p.currentLeaderEpoch = B + 3;
    req.topics = [{ name: 'orders', partitions: [p] }];
    const decoded = decodeRequestBody(ApiKey.ListOffsets, 7, encodeRequestBody(ApiKey.ListOffsets, 7, req));
    expect(listOffsetsPartitionEpochsToReal(decoded.topics[0].partitions[0], 7, 'orders', 'b', epochs)).toBe(0);
    expect(decoded.topics[0].partitions[0].currentLeaderEpoch).toBe(3);
    const old = createListOffsetsPartition();
    old.currentLeaderEpoch = 4;
    expect(listOffsetsPartitionEpochsToReal(old, 7, 'orders', 'b', epochs)).toBe(FENCED_LEADER_EPOCH);
    expect(listOffsetsPartitionEpochsToReal(old, 3, 'orders', 'b', epochs)).toBe(0);
  });

  it('translates the epoch of the returned offset', () => {
    const epochs = movedMap();
    const res = createListOffsetsResponse();
    const p = createListOffsetsPartitionResponse();
    p.leaderEpoch = 2;
    res.topics = [{ name: 'orders', partitions: [p] }];
    listOffsetsPartitionEpochsToVirtual(res.topics[0].partitions[0], 'orders', 'b', epochs);
    expect(res.topics[0].partitions[0].leaderEpoch).toBe(B + 2);
  });
});

describe('leader epochs in OffsetForLeaderEpoch', () => {
  it('forwards an epoch of the serving backend, translated', () => {
    const epochs = movedMap();
    const req = createOffsetForLeaderEpochRequest();
    const p = createOffsetForLeaderPartition();
    p.currentLeaderEpoch = B + 3;
    p.leaderEpoch = B + 1;
    req.topics = [{ topic: 'orders', partitions: [p] }];
    const decoded = decodeRequestBody(ApiKey.OffsetForLeaderEpoch, 4, encodeRequestBody(ApiKey.OffsetForLeaderEpoch, 4, req));
    const dp = decoded.topics[0].partitions[0];
    expect(offsetForLeaderEpochPartitionToReal(dp, 4, 'orders', 'b', epochs)).toEqual({ kind: 'forward' });
    expect(dp).toMatchObject({ currentLeaderEpoch: 3, leaderEpoch: 1 });
  });

  it("answers an epoch of the old backend's generation as undefined, and fences an old current epoch", () => {
    const epochs = movedMap();
    const p = createOffsetForLeaderPartition();
    p.currentLeaderEpoch = B + 3;
    p.leaderEpoch = 9;
    expect(offsetForLeaderEpochPartitionToReal(p, 4, 'orders', 'b', epochs)).toEqual({ kind: 'answer', leaderEpoch: -1, endOffset: -1n });
    const fenced = createOffsetForLeaderPartition();
    fenced.currentLeaderEpoch = 9;
    fenced.leaderEpoch = 9;
    expect(offsetForLeaderEpochPartitionToReal(fenced, 4, 'orders', 'b', epochs)).toEqual({ kind: 'error', errorCode: FENCED_LEADER_EPOCH });
  });

  it('translates the result epoch', () => {
    const epochs = movedMap();
    const res = createOffsetForLeaderEpochResponse();
    const r = createEpochEndOffset();
    r.partition = 0;
    r.leaderEpoch = 3;
    r.endOffset = 100n;
    res.topics = [{ topic: 'orders', partitions: [r] }];
    offsetForLeaderEpochResultToVirtual(r, 'orders', 'b', epochs);
    expect(r.leaderEpoch).toBe(B + 3);
    expect(r.endOffset).toBe(100n);
  });
});
