// Whether a Produce response (v10+) may name a broker: a partition's CurrentLeader or the
// NodeEndpoints field, both tagged fields. Nearly every Produce response has neither, and
// finding that out by walking the bytes costs no allocation, where decoding the response
// builds an object per topic and partition for every produce request.
//
// The walk is conservative: any tagged field at the partition or top level, or bytes it
// cannot walk (truncated, a length out of range), answer true, and the caller then decodes
// the response as before (and a malformed one fails there, as it always did).

const SIZE_AND_CORRELATION_BYTES = 8;
const UUID_BYTES = 16;
/** index int32, errorCode int16, baseOffset, logAppendTimeMs, logStartOffset int64. */
const PARTITION_FIXED_BYTES = 4 + 2 + 8 + 8 + 8;
const THROTTLE_BYTES = 4;
/** Produce's first flexible version, and the one whose topics are named by id. */
const FLEXIBLE_VERSION = 9;
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

  skipTaggedFields(): void {
    const n = this.uvarint();
    for (let i = 0; i < n && this.offset >= 0; i++) {
      this.uvarint();
      this.skip(this.uvarint());
    }
  }
}

/**
 * True when the Produce response frame (size prefix included) of `version` may carry a
 * CurrentLeader or NodeEndpoints, or cannot be walked; false when it surely carries neither.
 */
export function produceResponseMayNameBrokers(frame: Buffer, version: number): boolean {
  if (version < FLEXIBLE_VERSION) return false;
  const w = new Walk(frame, SIZE_AND_CORRELATION_BYTES);
  w.skipTaggedFields(); // the response header's
  const topics = w.compactLength();
  if (w.failed || topics < 0) return true;
  for (let t = 0; t < topics; t++) {
    if (version >= TOPIC_ID_VERSION) w.skip(UUID_BYTES);
    else {
      const nameBytes = w.compactLength();
      w.skip(nameBytes);
    }
    const partitions = w.compactLength();
    if (w.failed || partitions < 0) return true;
    for (let p = 0; p < partitions; p++) {
      w.skip(PARTITION_FIXED_BYTES);
      const recordErrors = w.compactLength();
      if (w.failed || recordErrors < 0) return true;
      for (let e = 0; e < recordErrors; e++) {
        w.skip(4); // batchIndex
        const messageBytes = w.compactLength();
        if (messageBytes > 0) w.skip(messageBytes);
        w.skipTaggedFields();
      }
      const messageBytes = w.compactLength();
      if (messageBytes > 0) w.skip(messageBytes);
      if (w.failed || w.uvarint() !== 0 || w.failed) return true; // a partition's tagged fields (CurrentLeader)
    }
    w.skipTaggedFields(); // a topic's (none is defined)
    if (w.failed) return true;
  }
  w.skip(THROTTLE_BYTES);
  if (w.failed || w.uvarint() !== 0) return true; // the top level's (NodeEndpoints)
  // Bytes after the last field: not a response this walk understands.
  return w.failed || w.offset !== frame.length;
}
