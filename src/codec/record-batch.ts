// A view over v2 record batch headers inside a records blob, read and rewritten in place.
// Batches are never decompressed or copied; only header fields are touched.
//
// Layout (magic 2):
//   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8
//   17 crc uint32 | 21 attributes int16 | 23 lastOffsetDelta int32 | 27 baseTimestamp int64
//   35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16 | 53 baseSequence int32
//   57 recordCount int32 | 61 records...
// The CRC32C covers attributes..end of batch; baseOffset, batchLength, partitionLeaderEpoch and
// magic sit outside it, so rewriting them needs no new checksum.
import { crc32c, crc32cAfterChange } from './crc32c.js';

/** Bytes before batchLength's count starts: baseOffset and batchLength themselves. */
export const LOG_OVERHEAD_BYTES = 12;
export const RECORD_BATCH_HEADER_SIZE_BYTES = 61;

const BASE_OFFSET = 0;
/** Where a batch's fields sit, from its start; the ones a batch header rewrite needs are exported. */
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
/** The shortest batchLength of an older (magic 0 or 1) message set entry. */
const MIN_LEGACY_BATCH_LENGTH = 14;
const CRC = 17;
const ATTRIBUTES = 21;
const LAST_OFFSET_DELTA = 23;
const BASE_TIMESTAMP = 27;
const MAX_TIMESTAMP = 35;
const PRODUCER_ID = 43;
const PRODUCER_EPOCH = 51;
const BASE_SEQUENCE = 53;
const RECORD_COUNT = 57;
/** producerId, producerEpoch and baseSequence lie next to each other: one span to update the CRC for. */
const PRODUCER_FIELDS_END = RECORD_COUNT;
const PRODUCER_FIELDS_BYTES = PRODUCER_FIELDS_END - PRODUCER_ID;
const PRODUCER_FIELDS_SCRATCH = Buffer.alloc(PRODUCER_FIELDS_BYTES);

const TWO_32 = 4294967296;
const SAFE_HIGH = 0x200000; // |high word| below 2^21 keeps hi * 2^32 + lo within 2^53

/** int64 as a number, without BigInt, when it is a safe integer. */
function readInt64Number(buf: Buffer, at: number): number {
  const hi = buf.readInt32BE(at);
  if (hi >= SAFE_HIGH || hi < -SAFE_HIGH) {
    throw new RangeError(`int64 at ${at} is not a safe integer; use the BigInt accessor`);
  }
  return hi * TWO_32 + buf.readUInt32BE(at + 4);
}

function writeInt64Number(buf: Buffer, at: number, v: number): void {
  if (!Number.isSafeInteger(v)) throw new RangeError(`${v} is not a safe integer`);
  const hi = Math.floor(v / TWO_32);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(v - hi * TWO_32, at + 4);
}

/**
 * One record batch inside `buf`, starting at `offset`. Setters write into `buf` in place; those
 * for fields under the CRC recompute it. `rewriteProducer` rewrites the producer fields with a
 * single checksum pass.
 */
export class RecordBatchView {
  constructor(
    readonly buf: Buffer,
    readonly offset = 0,
  ) {}

  /** Whole batch size: batchLength plus the 12 bytes of baseOffset and batchLength. */
  get sizeBytes(): number {
    return LOG_OVERHEAD_BYTES + this.batchLength;
  }

  /** The batch's bytes (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(this.offset, this.offset + this.sizeBytes);
  }

  get baseOffset(): number {
    return readInt64Number(this.buf, this.offset + BASE_OFFSET);
  }
  set baseOffset(v: number) {
    writeInt64Number(this.buf, this.offset + BASE_OFFSET, v);
  }
  get baseOffsetBigInt(): bigint {
    return this.buf.readBigInt64BE(this.offset + BASE_OFFSET);
  }
  set baseOffsetBigInt(v: bigint) {
    this.buf.writeBigInt64BE(v, this.offset + BASE_OFFSET);
  }

  get batchLength(): number {
    return this.buf.readInt32BE(this.offset + BATCH_LENGTH_OFFSET);
  }
  set batchLength(v: number) {
    this.buf.writeInt32BE(v, this.offset + BATCH_LENGTH_OFFSET);
  }

  get partitionLeaderEpoch(): number {
    return this.buf.readInt32BE(this.offset + PARTITION_LEADER_EPOCH_OFFSET);
  }
  set partitionLeaderEpoch(v: number) {
    this.buf.writeInt32BE(v, this.offset + PARTITION_LEADER_EPOCH_OFFSET);
  }

  get magic(): number {
    return this.buf.readInt8(this.offset + MAGIC_OFFSET);
  }
  set magic(v: number) {
    this.buf.writeInt8(v, this.offset + MAGIC_OFFSET);
  }

  get crc(): number {
    return this.buf.readUInt32BE(this.offset + CRC);
  }
  set crc(v: number) {
    this.buf.writeUInt32BE(v >>> 0, this.offset + CRC);
  }

  get attributes(): number {
    return this.buf.readInt16BE(this.offset + ATTRIBUTES);
  }
  set attributes(v: number) {
    this.buf.writeInt16BE(v, this.offset + ATTRIBUTES);
    this.updateCrc();
  }

  /** Compression codec id (0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd). */
  get compression(): number {
    return this.attributes & 0x07;
  }
  get isTransactional(): boolean {
    return (this.attributes & 0x10) !== 0;
  }
  get isControl(): boolean {
    return (this.attributes & 0x20) !== 0;
  }

  get lastOffsetDelta(): number {
    return this.buf.readInt32BE(this.offset + LAST_OFFSET_DELTA);
  }
  set lastOffsetDelta(v: number) {
    this.buf.writeInt32BE(v, this.offset + LAST_OFFSET_DELTA);
    this.updateCrc();
  }

  /** Offset of the batch's last record. */
  get lastOffset(): number {
    return this.baseOffset + this.lastOffsetDelta;
  }

  get baseTimestamp(): number {
    return readInt64Number(this.buf, this.offset + BASE_TIMESTAMP);
  }
  set baseTimestamp(v: number) {
    writeInt64Number(this.buf, this.offset + BASE_TIMESTAMP, v);
    this.updateCrc();
  }

  get maxTimestamp(): number {
    return readInt64Number(this.buf, this.offset + MAX_TIMESTAMP);
  }
  set maxTimestamp(v: number) {
    writeInt64Number(this.buf, this.offset + MAX_TIMESTAMP, v);
    this.updateCrc();
  }

  get producerId(): number {
    return readInt64Number(this.buf, this.offset + PRODUCER_ID);
  }
  set producerId(v: number) {
    writeInt64Number(this.buf, this.offset + PRODUCER_ID, v);
    this.updateCrc();
  }
  get producerIdBigInt(): bigint {
    return this.buf.readBigInt64BE(this.offset + PRODUCER_ID);
  }
  set producerIdBigInt(v: bigint) {
    this.buf.writeBigInt64BE(v, this.offset + PRODUCER_ID);
    this.updateCrc();
  }

  get producerEpoch(): number {
    return this.buf.readInt16BE(this.offset + PRODUCER_EPOCH);
  }
  set producerEpoch(v: number) {
    this.buf.writeInt16BE(v, this.offset + PRODUCER_EPOCH);
    this.updateCrc();
  }

  get baseSequence(): number {
    return this.buf.readInt32BE(this.offset + BASE_SEQUENCE);
  }
  set baseSequence(v: number) {
    this.buf.writeInt32BE(v, this.offset + BASE_SEQUENCE);
    this.updateCrc();
  }

  get recordCount(): number {
    return this.buf.readInt32BE(this.offset + RECORD_COUNT);
  }
  set recordCount(v: number) {
    this.buf.writeInt32BE(v, this.offset + RECORD_COUNT);
    this.updateCrc();
  }

  /**
   * Rewrites the producer fields given and updates the CRC from the change alone: the fields
   * sit in the batch's header, and reading the whole batch again for them was most of what a
   * producer id rewrite cost. The stored CRC must be the batch's own (one that was wrong
   * stays wrong, so a corrupt batch is still refused by its broker).
   */
  rewriteProducer(p: { producerId?: number | bigint; producerEpoch?: number; baseSequence?: number }): void {
    const b = this.buf;
    const o = this.offset;
    const before = PRODUCER_FIELDS_SCRATCH;
    b.copy(before, 0, o + PRODUCER_ID, o + PRODUCER_FIELDS_END);
    if (typeof p.producerId === 'bigint') b.writeBigInt64BE(p.producerId, o + PRODUCER_ID);
    else if (p.producerId !== undefined) writeInt64Number(b, o + PRODUCER_ID, p.producerId);
    if (p.producerEpoch !== undefined) b.writeInt16BE(p.producerEpoch, o + PRODUCER_EPOCH);
    if (p.baseSequence !== undefined) b.writeInt32BE(p.baseSequence, o + BASE_SEQUENCE);
    if (this.sizeBytes < RECORD_BATCH_HEADER_SIZE_BYTES) {
      this.updateCrc();
      return;
    }
    for (let i = 0; i < PRODUCER_FIELDS_BYTES; i++) before[i] ^= b[o + PRODUCER_ID + i] as number;
    this.crc = crc32cAfterChange(this.crc, before, this.sizeBytes - PRODUCER_FIELDS_END);
  }

  /** CRC32C over attributes..end of batch, as it should be stored. */
  computeCrc(): number {
    const start = this.offset + ATTRIBUTES;
    return crc32c(this.buf.subarray(start, this.offset + this.sizeBytes));
  }

  updateCrc(): void {
    this.crc = this.computeCrc();
  }

  /** True when this is a v2 batch whose stored CRC matches its contents. */
  verifyCrc(): boolean {
    return this.magic === 2 && this.sizeBytes >= RECORD_BATCH_HEADER_SIZE_BYTES && this.crc === this.computeCrc();
  }
}

export interface RecordBatchScan {
  /** The whole batches, in order. Older message formats (magic 0/1) appear too: check `magic`. */
  batches: RecordBatchView[];
  /** Bytes covered by whole batches. */
  wholeBytes: number;
  /**
   * Bytes of a trailing partial batch. Brokers may cut the last batch of a fetch response at the
   * size limit; clients skip it and fetch again from there.
   */
  trailingPartialBytes: number;
  /** Set when a batch header is invalid (its length cannot be a batch); scanning stopped there. */
  malformed?: string;
}

/** Splits a records blob into its whole batches without copying, and measures a partial tail. */
/** The shortest batchLength a batch of this magic can have: a v2 header less the log overhead, or an older entry's. */
export function minBatchLength(magic: number): number {
  return magic === 2 ? RECORD_BATCH_HEADER_SIZE_BYTES - LOG_OVERHEAD_BYTES : MIN_LEGACY_BATCH_LENGTH;
}

export function scanRecordBatches(records: Buffer | null): RecordBatchScan {
  const scan: RecordBatchScan = { batches: [], wholeBytes: 0, trailingPartialBytes: 0 };
  if (records === null) return scan;
  let at = 0;
  const end = records.length;
  while (at < end) {
    const left = end - at;
    if (left < LOG_OVERHEAD_BYTES + 5) {
      scan.trailingPartialBytes = left;
      break;
    }
    const length = records.readInt32BE(at + BATCH_LENGTH_OFFSET);
    const magic = records.readInt8(at + MAGIC_OFFSET);
    if (length < minBatchLength(magic)) {
      scan.malformed = `batch at ${at} has length ${length}`;
      scan.trailingPartialBytes = left;
      break;
    }
    if (LOG_OVERHEAD_BYTES + length > left) {
      scan.trailingPartialBytes = left;
      break;
    }
    scan.batches.push(new RecordBatchView(records, at));
    at += LOG_OVERHEAD_BYTES + length;
  }
  scan.wholeBytes = at;
  return scan;
}
