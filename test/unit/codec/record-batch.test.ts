import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { randomBytes, randomInt } from 'node:crypto';
import { crc32c, RecordBatchView, scanRecordBatches, RECORD_BATCH_HEADER_SIZE_BYTES } from '../../../src/codec/index.js';
import { crc32cAfterChange } from '../../../src/codec/crc32c.js';

// kafkajs (a project dependency) encodes record batches independently of this codec.
const require = createRequire(import.meta.url);
const kafkajsBatch = (require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: Record<string, unknown>) => Promise<{ buffer: Buffer }> }).RecordBatch;
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: Record<string, unknown>) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number | string): unknown; fromInt(v: number): unknown };

async function batch(opts: { firstOffset?: number; producerId?: number; records?: number; transactional?: boolean } = {}): Promise<Buffer> {
  const n = opts.records ?? 3;
  const records = [];
  for (let i = 0; i < n; i++) records.push(kafkajsRecord({ offsetDelta: i, key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`) }));
  const encoded = await kafkajsBatch({
    firstOffset: Long.fromValue(opts.firstOffset ?? 1000),
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_500,
    partitionLeaderEpoch: 7,
    lastOffsetDelta: n - 1,
    producerId: Long.fromValue(opts.producerId ?? 4242),
    producerEpoch: 3,
    firstSequence: 10,
    transactional: opts.transactional ?? false,
    records,
  });
  return Buffer.from(encoded.buffer);
}

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('updates a CRC from a changed span alone, as computing it again over the message would', () => {
    for (const length of [1, 14, 61, 1000, 16_384, 1_000_003]) {
      for (let trial = 0; trial < 20; trial++) {
        const message = randomBytes(length);
        const before = crc32c(message);
        const at = randomInt(length);
        const spanBytes = 1 + randomInt(Math.min(32, length - at));
        const delta = Buffer.from(message.subarray(at, at + spanBytes));
        randomBytes(spanBytes).copy(message, at);
        for (let i = 0; i < spanBytes; i++) delta[i] ^= message[at + i];
        expect(crc32cAfterChange(before, delta, length - at - spanBytes)).toBe(crc32c(message));
      }
    }
  });
});

describe('record batch view', () => {
  it('reads every header field of a batch another encoder wrote', async () => {
    const b = new RecordBatchView(await batch({ transactional: true }));
    expect(b.baseOffset).toBe(1000);
    expect(b.baseOffsetBigInt).toBe(1000n);
    expect(b.sizeBytes).toBe(b.buf.length);
    expect(b.partitionLeaderEpoch).toBe(7);
    expect(b.magic).toBe(2);
    expect(b.attributes).toBe(0x10);
    expect(b.isTransactional).toBe(true);
    expect(b.isControl).toBe(false);
    expect(b.compression).toBe(0);
    expect(b.lastOffsetDelta).toBe(2);
    expect(b.lastOffset).toBe(1002);
    expect(b.baseTimestamp).toBe(1_700_000_000_000);
    expect(b.maxTimestamp).toBe(1_700_000_000_500);
    expect(b.producerId).toBe(4242);
    expect(b.producerIdBigInt).toBe(4242n);
    expect(b.producerEpoch).toBe(3);
    expect(b.baseSequence).toBe(10);
    expect(b.recordCount).toBe(3);
    expect(b.verifyCrc()).toBe(true);
  });

  it('rewrites producer id, epoch and sequence with a new CRC', async () => {
    const buf = await batch();
    const b = new RecordBatchView(buf);
    b.rewriteProducer({ producerId: 9_007_199_254_740_991, producerEpoch: 12, baseSequence: 99 });
    expect(b.producerId).toBe(9_007_199_254_740_991);
    expect(b.producerEpoch).toBe(12);
    expect(b.baseSequence).toBe(99);
    expect(b.verifyCrc()).toBe(true);
    // The CRC equals the one an encoder produces for the same fields.
    const expected = new RecordBatchView(await batch({ producerId: 0 }));
    expected.rewriteProducer({ producerId: 9_007_199_254_740_991, producerEpoch: 12, baseSequence: 99 });
    expect(b.crc).toBe(expected.crc);
    b.producerId = -1;
    expect(b.producerIdBigInt).toBe(-1n);
    expect(b.verifyCrc()).toBe(true);
    b.producerIdBigInt = 2n ** 62n;
    expect(() => b.producerId).toThrow(RangeError);
    expect(b.verifyCrc()).toBe(true);
  });

  it('rewrites baseOffset and partitionLeaderEpoch without touching the CRC', async () => {
    const b = new RecordBatchView(await batch());
    const crc = b.crc;
    b.baseOffset = 123_456_789_012;
    b.partitionLeaderEpoch = 44;
    expect(b.baseOffset).toBe(123_456_789_012);
    expect(b.partitionLeaderEpoch).toBe(44);
    expect(b.crc).toBe(crc);
    expect(b.verifyCrc()).toBe(true);
    b.baseOffset = -1;
    expect(b.baseOffsetBigInt).toBe(-1n);
  });

  it('rewrites the producer of a large batch and keeps a corrupt batch corrupt', async () => {
    const large = new RecordBatchView(await batch({ records: 2_000 }));
    large.rewriteProducer({ producerId: 77, producerEpoch: 0, baseSequence: 1_234 });
    expect(large.verifyCrc()).toBe(true);
    const buf = await batch({ records: 50 });
    buf[buf.length - 1] ^= 0xff;
    const corrupt = new RecordBatchView(buf);
    corrupt.rewriteProducer({ producerId: 77 });
    expect(corrupt.producerId).toBe(77);
    // The broker still refuses it: a rewrite is no reason to vouch for bytes that arrived damaged.
    expect(corrupt.verifyCrc()).toBe(false);
  });

  it('detects a corrupted batch', async () => {
    const buf = await batch();
    buf[buf.length - 1] ^= 0xff;
    expect(new RecordBatchView(buf).verifyCrc()).toBe(false);
  });

  it('rewrites in place, inside a larger buffer', async () => {
    const one = await batch();
    const blob = Buffer.concat([Buffer.alloc(5), one]);
    const b = new RecordBatchView(blob, 5);
    b.producerEpoch = 1;
    expect(b.verifyCrc()).toBe(true);
    expect(blob.readInt16BE(5 + 51)).toBe(1);
  });
});

describe('scanning a records blob', () => {
  it('yields whole batches and reports a trailing partial batch', async () => {
    const a = await batch({ firstOffset: 0 });
    const b = await batch({ firstOffset: 3, records: 5 });
    const c = await batch({ firstOffset: 8 });
    for (const cut of [0, 1, 16, RECORD_BATCH_HEADER_SIZE_BYTES, c.length - 1]) {
      const blob = Buffer.concat([a, b, c.subarray(0, cut)]);
      const scan = scanRecordBatches(blob);
      expect(scan.batches.map((x) => x.baseOffset)).toEqual([0, 3]);
      expect(scan.wholeBytes).toBe(a.length + b.length);
      expect(scan.trailingPartialBytes).toBe(cut);
      expect(scan.malformed).toBeUndefined();
      expect(scan.batches.every((x) => x.verifyCrc())).toBe(true);
      expect(scan.batches[1].buf).toBe(blob); // views, not copies
    }
    const whole = scanRecordBatches(Buffer.concat([a, b, c]));
    expect(whole.batches).toHaveLength(3);
    expect(whole.trailingPartialBytes).toBe(0);
  });

  it('handles null and empty records, and stops at an impossible length', async () => {
    expect(scanRecordBatches(null).batches).toEqual([]);
    expect(scanRecordBatches(Buffer.alloc(0)).wholeBytes).toBe(0);
    const bad = await batch();
    bad.writeInt32BE(3, 8);
    const scan = scanRecordBatches(bad);
    expect(scan.batches).toEqual([]);
    expect(scan.malformed).toMatch(/length 3/);
  });
});
