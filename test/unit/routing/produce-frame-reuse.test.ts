import { describe, expect, it } from 'vitest';
import { decodeProduceRequest, encodeProduceRequest, type ProduceRequest } from '../../../src/codec/index.js';
import { decodeRequestFrame, encodeRequestFrame } from '../../../src/codec/message-frames.js';
import { reuseProduceFrame } from '../../../src/routing/produce-frame-reuse.js';
import { produceRequestOf } from './record-batches.js';

const VIRTUAL: Record<string, string> = { orders: 'b3JkZXJzAAAAAAAAAAAAAA', payments: 'cGF5bWVudHMAAAAAAAAAAA' };
const REAL: Record<string, string> = { [VIRTUAL.orders]: 'cmVhbC1vcmRlcnMtaWQhIQ', [VIRTUAL.payments]: 'cmVhbC1wYXltZW50cy1pZA' };

const HEADER = { apiKey: 0, correlationId: 41, clientId: 'producer-1' };

/** A client's Produce frame with `records` records per batch, as the proxy reads it off the wire. */
async function clientFrame(version: number, layout: Array<[string, number[]]>, records = 2): Promise<Buffer> {
  const req = await produceRequestOf(version, layout, VIRTUAL, { records });
  return Buffer.from(encodeRequestFrame({ ...HEADER, apiVersion: version }, req, encodeProduceRequest));
}

function decoded(frame: Buffer): ProduceRequest {
  return decodeRequestFrame(frame, decodeProduceRequest).body;
}

describe('a Produce forwarded as the client frame', () => {
  it('gets the real topic ids in place (v13), and is then the bytes an encoding with the real ids gives', async () => {
    // Partition counts and batch sizes that take one-, two- and three-byte varints.
    for (const [layout, records] of [
      [[['orders', [0, 1, 2]], ['payments', [4]]], 2],
      [[['payments', Array.from({ length: 130 }, (_, i) => i)]], 1],
      [[['orders', [7]]], 1_000],
    ] as Array<[Array<[string, number[]]>, number]>) {
      const frame = await clientFrame(13, layout, records);
      const sent = decoded(frame);
      const expected = decoded(Buffer.from(frame));
      for (const t of expected.topicData) t.topicId = REAL[t.topicId];
      const reused = reuseProduceFrame(frame, sent, 13, (id) => REAL[id]);
      expect(reused).toBe(frame);
      expect(reused?.equals(encodeRequestFrame({ ...HEADER, apiVersion: 13 }, expected, encodeProduceRequest))).toBe(true);
      expect(decoded(frame).topicData.map((t) => t.topicId)).toEqual(layout.map(([name]) => REAL[VIRTUAL[name]]));
    }
  });

  it('is taken as it is before topic ids (v3 to v12)', async () => {
    for (const version of [3, 8, 9, 12]) {
      const frame = await clientFrame(version, [['orders', [0, 1]]]);
      const before = Buffer.from(frame);
      expect(reuseProduceFrame(frame, decoded(frame), version, () => undefined)).toBe(frame);
      expect(frame.equals(before)).toBe(true);
    }
  });

  it('is not reused when a topic has no real id there', async () => {
    const frame = await clientFrame(13, [['orders', [0]], ['payments', [1]]]);
    expect(reuseProduceFrame(frame, decoded(frame), 13, (id) => (id === VIRTUAL.orders ? REAL[id] : undefined))).toBeNull();
  });

  it('is not reused when a partition has no records or its records are not a view into the frame', async () => {
    const frame = await clientFrame(13, [['orders', [0]]]);
    const noRecords = decoded(frame);
    noRecords.topicData[0].partitionData[0].records = null;
    expect(reuseProduceFrame(frame, noRecords, 13, (id) => REAL[id])).toBeNull();
    const copied = decoded(frame);
    copied.topicData[0].partitionData[0].records = Buffer.from(copied.topicData[0].partitionData[0].records as Buffer);
    expect(reuseProduceFrame(frame, copied, 13, (id) => REAL[id])).toBeNull();
  });

  it('is not reused when the bytes where the id should be are not the client id', async () => {
    const frame = await clientFrame(13, [['orders', [0]]]);
    const sent = decoded(frame);
    sent.topicData[0].topicId = VIRTUAL.payments;
    const before = Buffer.from(frame);
    expect(reuseProduceFrame(frame, sent, 13, (id) => REAL[id])).toBeNull();
    expect(frame.equals(before)).toBe(true);
  });
});
