import type { TaggedField } from './errors.js';

const UUID_FORM = /^[A-Za-z0-9_-]{22}$/;
const DETACHED = Buffer.alloc(0);

/**
 * Writes Kafka wire primitives into a growable Buffer (capacity doubles when full).
 * `finish()` hands back the written bytes (no copy) and leaves the writer empty for reuse; the
 * next write starts a new buffer sized like the last one.
 */
export class Writer {
  buf: Buffer;
  offset = 0;
  private capacityHint: number;

  constructor(initialCapacityBytes = 256) {
    this.capacityHint = Math.max(16, initialCapacityBytes);
    this.buf = Buffer.allocUnsafe(this.capacityHint);
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    const need = this.offset + n;
    if (need <= this.buf.length) return;
    let cap = Math.max(this.buf.length * 2, this.capacityHint);
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.offset);
    this.buf = next;
  }

  /** The bytes written so far (a view, not a copy); the writer is then empty. */
  finish(): Buffer {
    const out = this.buf.subarray(0, this.offset);
    this.capacityHint = Math.max(16, Math.min(this.offset, 1024 * 1024));
    this.buf = DETACHED;
    this.offset = 0;
    return out;
  }

  writeBool(v: boolean): void {
    this.ensure(1);
    this.buf[this.offset++] = v ? 1 : 0;
  }

  writeInt8(v: number): void {
    this.ensure(1);
    this.buf[this.offset++] = v & 0xff;
  }

  writeInt16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.offset;
    b[p] = (v >>> 8) & 0xff;
    b[p + 1] = v & 0xff;
    this.offset = p + 2;
  }

  writeUInt16(v: number): void {
    this.writeInt16(v);
  }

  writeInt32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.offset;
    b[p] = (v >>> 24) & 0xff;
    b[p + 1] = (v >>> 16) & 0xff;
    b[p + 2] = (v >>> 8) & 0xff;
    b[p + 3] = v & 0xff;
    this.offset = p + 4;
  }

  writeUInt32(v: number): void {
    this.writeInt32(v);
  }

  writeInt64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.offset);
    this.offset += 8;
  }

  writeFloat64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.offset);
    this.offset += 8;
  }

  /** A UUID given in Kafka's display form (URL-safe base64 without padding). */
  writeUuid(v: string): void {
    if (!UUID_FORM.test(v)) throw new TypeError(`invalid uuid ${JSON.stringify(v)}`);
    this.ensure(16);
    this.buf.write(v, this.offset, 16, 'base64url');
    this.offset += 16;
  }

  writeUVarint(v: number): void {
    this.ensure(5);
    const b = this.buf;
    let p = this.offset;
    let x = v >>> 0;
    while (x >= 0x80) {
      b[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    b[p++] = x;
    this.offset = p;
  }

  writeVarint(v: number): void {
    this.writeUVarint(((v << 1) ^ (v >> 31)) >>> 0);
  }

  writeVarlong(v: bigint): void {
    let x = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    this.ensure(10);
    const b = this.buf;
    let p = this.offset;
    while (x >= 0x80n) {
      b[p++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    b[p++] = Number(x);
    this.offset = p;
  }

  private utf8(v: string, n: number): void {
    this.ensure(n);
    this.offset += this.buf.write(v, this.offset, n, 'utf8');
  }

  writeString(v: string): void {
    const n = Buffer.byteLength(v, 'utf8');
    if (n > 0x7fff) throw new RangeError(`string of ${n} bytes is too long`);
    this.writeInt16(n);
    this.utf8(v, n);
  }

  writeNullableString(v: string | null): void {
    if (v === null) this.writeInt16(-1);
    else this.writeString(v);
  }

  writeCompactString(v: string): void {
    const n = Buffer.byteLength(v, 'utf8');
    this.writeUVarint(n + 1);
    this.utf8(v, n);
  }

  writeCompactNullableString(v: string | null): void {
    if (v === null) this.writeUVarint(0);
    else this.writeCompactString(v);
  }

  writeRaw(v: Buffer): void {
    this.ensure(v.length);
    v.copy(this.buf, this.offset);
    this.offset += v.length;
  }

  writeBytes(v: Buffer): void {
    this.writeInt32(v.length);
    this.writeRaw(v);
  }

  writeNullableBytes(v: Buffer | null): void {
    if (v === null) this.writeInt32(-1);
    else this.writeBytes(v);
  }

  writeCompactBytes(v: Buffer): void {
    this.writeUVarint(v.length + 1);
    this.writeRaw(v);
  }

  writeCompactNullableBytes(v: Buffer | null): void {
    if (v === null) this.writeUVarint(0);
    else this.writeCompactBytes(v);
  }

  writeRecords(v: Buffer | null): void {
    this.writeNullableBytes(v);
  }

  writeCompactRecords(v: Buffer | null): void {
    this.writeCompactNullableBytes(v);
  }

  writeArrayLength(n: number): void {
    this.writeInt32(n);
  }

  writeCompactArrayLength(n: number): void {
    this.writeUVarint(n + 1);
  }

  /** Reserves room for a size prefix; pair with `endSized`. Returns the reserved position. */
  beginSized(): number {
    this.ensure(1);
    return this.offset++;
  }

  /** Writes the unsigned-varint size of everything written since `beginSized`. */
  endSized(start: number): void {
    const size = this.offset - start - 1;
    let len = 1;
    for (let x = size; x >= 0x80; x >>>= 7) len++;
    if (len > 1) {
      this.ensure(len - 1);
      this.buf.copyWithin(start + len, start + 1, this.offset);
      this.offset += len - 1;
    }
    const end = this.offset;
    this.offset = start;
    this.writeUVarint(size);
    this.offset = end;
  }

  /**
   * Writes the unknown tagged fields from index `from` whose tag is below `belowTag`, so that
   * they interleave in tag order with the known ones. Returns the next index to write.
   */
  writeUnknownTaggedFieldsBelow(fields: TaggedField[] | undefined, from: number, belowTag: number): number {
    if (fields === undefined) return 0;
    let i = from;
    while (i < fields.length && fields[i].tag < belowTag) {
      const f = fields[i++];
      this.writeUVarint(f.tag);
      this.writeUVarint(f.data.length);
      this.writeRaw(f.data);
    }
    return i;
  }

  /** The tagged-field section of a struct that has no known tagged fields in this version. */
  writeTaggedFields(fields: TaggedField[] | undefined): void {
    if (fields === undefined) {
      this.writeUVarint(0);
      return;
    }
    this.writeUVarint(fields.length);
    this.writeUnknownTaggedFieldsBelow(fields, 0, Infinity);
  }
}
