import { describe, expect, it } from 'vitest';
import { createProduceRequest, decodeProduceRequest, encodeProduceRequest, type ProduceRequest } from '../../../src/codec/index.js';
import { encodeRequestFrameInPieces, RECORDS_BY_REFERENCE_MIN_BYTES } from '../../../src/codec/frame-in-pieces.js';
import { decodeRequestFrame, encodeRequestFrame } from '../../../src/codec/message-frames.js';
import { recordBatch } from '../routing/record-batches.js';

const HEADER = { apiKey: 0, correlationId: 7, clientId: 'producer-1' };

/** A Produce with a batch of `records[i]` records per partition i of one topic. */
async function produceRequest(version: number, records: number[]): Promise<ProduceRequest> {
  const req = createProduceRequest();
  req.transactionalId = 'txn-1';
  req.acks = -1;
  req.timeoutMs = 30_000;
  req.topicData.push({
    name: version >= 13 ? '' : 'orders',
    topicId: version >= 13 ? 'b3JkZXJzAAAAAAAAAAAAAA' : 'AAAAAAAAAAAAAAAAAAAAAA',
    partitionData: await Promise.all(records.map(async (n, index) => ({ index, records: n === 0 ? null : await recordBatch({ baseOffset: index, records: n }) }))),
  });
  return req;
}

describe('a request frame encoded with its record sets by reference', () => {
  it('is, joined, the bytes of the ordinary encoding, at every version and mix of batch sizes', async () => {
    for (const version of [3, 8, 9, 11, 13]) {
      for (const records of [[1], [1000], [1, 1000, 2, 3000], [500, 0, 600], [2, 2]]) {
        const req = await produceRequest(version, records);
        const whole = encodeRequestFrame({ ...HEADER, apiVersion: version }, req, encodeProduceRequest);
        const { pieces, length } = encodeRequestFrameInPieces({ ...HEADER, apiVersion: version }, req, encodeProduceRequest, 512);
        expect(length).toBe(whole.length);
        expect(Buffer.concat(pieces).equals(whole), `v${version} ${records.join(',')}`).toBe(true);
        expect(pieces[0].length, 'the head holds the header and at least 512 bytes, or the whole frame').toBeGreaterThanOrEqual(Math.min(512, whole.length));
      }
    }
  });

  it('leaves a large record set as a view of the buffer it came from, and copies a small one', async () => {
    const req = await produceRequest(13, [4000, 3]);
    const large = req.topicData[0].partitionData[0].records as Buffer;
    const small = req.topicData[0].partitionData[1].records as Buffer;
    expect(large.length).toBeGreaterThan(RECORDS_BY_REFERENCE_MIN_BYTES + 512);
    expect(small.length).toBeLessThan(RECORDS_BY_REFERENCE_MIN_BYTES);
    const { pieces } = encodeRequestFrameInPieces({ ...HEADER, apiVersion: 13 }, req, encodeProduceRequest, 512);
    expect(pieces).toHaveLength(3);
    // The head was filled from the large set's first bytes; the rest of it is its own piece.
    expect(pieces[1].buffer).toBe(large.buffer);
    expect(pieces[1].byteOffset + pieces[1].length).toBe(large.byteOffset + large.length);
    expect(pieces.some((p) => p.buffer === small.buffer && p.byteOffset === small.byteOffset)).toBe(false);
    const decoded = decodeRequestFrame(Buffer.concat(pieces), decodeProduceRequest).body;
    expect(decoded.topicData[0].partitionData.map((p) => p.records?.equals(p.index === 0 ? large : small))).toEqual([true, true]);
  });
});
