// Whether a Produce response is plain: no tagged field at the partition or top level (so no
// CurrentLeader, no NodeEndpoints, nothing that names a broker; versions before 9 have no
// tagged fields), and whether any partition was answered with an error. Nearly every Produce
// response is plain with no error, and finding that out by walking the bytes costs next to no
// allocation, where decoding the response builds an object per topic and partition for every
// produce request.
//
// The walk is conservative: any tagged field, or bytes it cannot walk (truncated, a length
// out of range), make it give up, and the caller then decodes the response as before (and a
// malformed one fails there, as it always did).

const SIZE_AND_CORRELATION_BYTES = 8;
const UUID_BYTES = 16;
/** index int32, errorCode int16, baseOffset, logAppendTimeMs, logStartOffset int64. */
const PARTITION_FIXED_BYTES = 4 + 2 + 8 + 8 + 8;
/** A partition's error code, after its index. */
const PARTITION_ERROR_CODE_AT = 4;
const THROTTLE_BYTES = 4;
/** Produce's first flexible version, and the one whose topics are named by id. */
const FLEXIBLE_VERSION = 9;
/** The oldest version walked (Kafka 4 serves Produce from v3): logAppendTimeMs from v2, logStartOffset from v5, record errors and an error message from v8. */
const OLDEST_WALKED_VERSION = 3;
const LOG_START_OFFSET_VERSION = 5;
const RECORD_ERRORS_VERSION = 8;
const TOPIC_ID_VERSION = 13;

/** A cursor that gives up (offset -1) instead of throwing: the caller only needs "can't tell". */
class Walk {
  offset: number;
  private readonly buf: Buffer;

  constructor(buf: Buffer, offset: number) {
    this.buf = buf;
    this.offset = offset;
  }

  get failed(): boolean {
    return this.offset < 0;
  }

  skip(n: number): void {
    if (this.offset < 0) return;
    if (n < 0 || this.offset + n > this.buf.length) this.offset = -1;
    else this.offset += n;
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift <= 28 && this.offset >= 0; shift += 7) {
      if (this.offset >= this.buf.length) break;
      const b = this.buf[this.offset++];
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    this.offset = -1;
    return 0;
  }

  /** A compact string or array length: the count is the varint minus one, 0 meaning null. */
  compactLength(): number {
    return this.uvarint() - 1;
  }

  /** A big-endian signed integer of `bytes` (2 or 4); 0 once failed. */
  int(bytes: 2 | 4): number {
    if (this.offset < 0 || this.offset + bytes > this.buf.length) {
      this.offset = -1;
      return 0;
    }
    const v = bytes === 2 ? this.buf.readInt16BE(this.offset) : this.buf.readInt32BE(this.offset);
    this.offset += bytes;
    return v;
  }

  skipTaggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n && this.offset >= 0; i++) {
      this.uvarint();
      this.skip(this.uvarint());
    }
  }
}

/** What a walk of a plain Produce answer found. */
export interface ProduceResponseScan {
  /** Some partition's error code is not NONE. */
  hasErrors: boolean;
  /** Where each topic's id sits in the frame (v13+), in the answer's order. */
  topicIdOffsets: number[];
}

/**
 * Walks a Produce response frame (size prefix included) of v3 or later. Null when it carries a
 * tagged field anywhere (a CurrentLeader, NodeEndpoints, or one this walk does not know), or
 * cannot be walked: the caller decodes it then.
 */
export function scanProduceResponse(frame: Buffer, version: number): ProduceResponseScan | null {
  const scan: ProduceResponseScan = { hasErrors: false, topicIdOffsets: [] };
  const plain = version >= FLEXIBLE_VERSION ? walkPlainAnswer(frame, version, scan) : walkClassicAnswer(frame, version, scan);
  return plain ? scan : null;
}

/** A nullable string of a v3–v8 answer: -1 is null, any other negative length is not a string. */
function skipNullableString(w: Walk): void {
  const bytes = w.int(2);
  w.skip(bytes === -1 ? 0 : bytes);
}

/** The walk of a v3–v8 answer: lengths as int32 and int16, no tagged fields, topics by name. */
function walkClassicAnswer(frame: Buffer, version: number, scan: ProduceResponseScan): boolean {
  if (version < OLDEST_WALKED_VERSION || version >= FLEXIBLE_VERSION) return false;
  const partitionFixedBytes = 4 + 2 + 8 + 8 + (version >= LOG_START_OFFSET_VERSION ? 8 : 0);
  const w = new Walk(frame, SIZE_AND_CORRELATION_BYTES);
  const topics = w.int(4);
  if (w.failed || topics < 0) return false;
  for (let t = 0; t < topics; t++) {
    w.skip(w.int(2)); // the name
    const partitions = w.int(4);
    if (w.failed || partitions < 0) return false;
    for (let p = 0; p < partitions; p++) {
      if (w.offset + partitionFixedBytes > frame.length) return false;
      if (frame.readInt16BE(w.offset + PARTITION_ERROR_CODE_AT) !== 0) scan.hasErrors = true;
      w.skip(partitionFixedBytes);
      if (version < RECORD_ERRORS_VERSION) continue;
      const recordErrors = w.int(4);
      if (w.failed || recordErrors < 0) return false;
      for (let e = 0; e < recordErrors && !w.failed; e++) {
        w.skip(4); // batchIndex
        skipNullableString(w);
      }
      skipNullableString(w);
      if (w.failed) return false;
    }
  }
  w.skip(THROTTLE_BYTES);
  return !w.failed && w.offset === frame.length;
}

/** True when the frame is plain; what it found goes into `scan` when one is given (none: no allocation). */
function walkPlainAnswer(frame: Buffer, version: number, scan: ProduceResponseScan | null): boolean {
  if (version < FLEXIBLE_VERSION) return false;
  const w = new Walk(frame, SIZE_AND_CORRELATION_BYTES);
  w.skipTaggedFields(); // the response header's
  const topics = w.compactLength();
  if (w.failed || topics < 0) return false;
  for (let t = 0; t < topics; t++) {
    if (version >= TOPIC_ID_VERSION) {
      scan?.topicIdOffsets.push(w.offset);
      w.skip(UUID_BYTES);
    } else {
      const nameBytes = w.compactLength();
      w.skip(nameBytes);
    }
    const partitions = w.compactLength();
    if (w.failed || partitions < 0) return false;
    for (let p = 0; p < partitions; p++) {
      if (w.offset + PARTITION_FIXED_BYTES > frame.length) return false;
      if (scan !== null && frame.readInt16BE(w.offset + PARTITION_ERROR_CODE_AT) !== 0) scan.hasErrors = true;
      w.skip(PARTITION_FIXED_BYTES);
      const recordErrors = w.compactLength();
      if (w.failed || recordErrors < 0) return false;
      for (let e = 0; e < recordErrors && !w.failed; e++) {
        w.skip(4); // batchIndex
        const messageBytes = w.compactLength();
        if (messageBytes > 0) w.skip(messageBytes);
        w.skipTaggedFields();
      }
      const messageBytes = w.compactLength();
      if (messageBytes > 0) w.skip(messageBytes);
      if (w.failed || w.uvarint() !== 0 || w.failed) return false; // a partition's tagged fields (CurrentLeader)
    }
    w.skipTaggedFields(); // a topic's (none is defined)
    if (w.failed) return false;
  }
  w.skip(THROTTLE_BYTES);
  if (w.failed || w.uvarint() !== 0) return false; // the top level's (NodeEndpoints)
  // Bytes after the last field: not a response this walk understands.
  return !w.failed && w.offset === frame.length;
}

/**
 * True when the Produce response frame (size prefix included) of `version` may carry a
 * CurrentLeader or NodeEndpoints, or cannot be walked; false when it surely carries neither.
 */
export function produceResponseMayNameBrokers(frame: Buffer, version: number): boolean {
  return version >= FLEXIBLE_VERSION && !walkPlainAnswer(frame, version, null);
}
