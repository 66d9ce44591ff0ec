// Node's globals `Buffer` and `performance` are accessors, called on every use: the request
// path takes the modules' bindings instead.
import { Buffer } from 'node:buffer';
import type { TaggedField } from './errors.js';

const DETACHED = Buffer.alloc(0);

const SCRATCH64 = new BigInt64Array(1);
const SCRATCH8 = new Uint8Array(SCRATCH64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** base64url character code -> 6-bit value, or -1. */
const B64URL_VALUES = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('').forEach((ch, i) => {
  B64URL_VALUES[ch.charCodeAt(0)] = i;
});

function b64(v: string, i: number): number {
  const c = v.charCodeAt(i);
  const x = c < 128 ? B64URL_VALUES[c] : -1;
  if (x < 0) throw new TypeError(`invalid uuid ${JSON.stringify(v)}`);
  return x;
}

const SLAB_BYTES = 16 * 1024;

/** Short all-ASCII strings are copied by hand: cheaper than Buffer.byteLength plus write. */
function shortAscii(v: string): boolean {
  if (typeof v !== 'string' || v.length > 64) return false;
  for (let i = 0; i < v.length; i++) if (v.charCodeAt(i) >= 0x80) return false;
  return true;
}

/**
 * Writes Kafka wire primitives into a growable Buffer. Like Node's own Buffer pool, messages
 * are written one after another into a shared slab: `finish()` hands back the bytes of the
 * current message as a view (no copy) and the next message starts right after it. A message
 * that outgrows the slab moves to a buffer twice its size (amortised doubling).
 */
export class Writer {
  /** The buffer being written; the current message is buf[base, offset). */
  buf: Buffer;
  offset = 0;
  private base = 0;
  private readonly slabBytes: number;

  constructor(slabBytes = SLAB_BYTES) {
    this.slabBytes = Math.max(64, slabBytes);
    this.buf = DETACHED;
  }

  /** Bytes written in the current message. */
  get length(): number {
    return this.offset - this.base;
  }

  /** Makes room for n more bytes. */
  ensure(n: number): void {
    if (this.offset + n <= this.buf.length) return;
    const used = this.offset - this.base;
    // Twice what is used keeps growth amortised; a large write (a Produce's records) then gets
    // the room it needs, not the power of two above twice that (256 KiB for 91 KB of records).
    const cap = Math.max(this.slabBytes, 2 * used + n);
    // Small buffers come from Node's shared pool; large ones are allocated on their own.
    const next = cap <= 4096 ? Buffer.allocUnsafe(cap) : Buffer.allocUnsafeSlow(cap);
    this.buf.copy(next, 0, this.base, this.offset);
    this.buf = next;
    this.base = 0;
    this.offset = used;
  }

  /** The current message's bytes (a view, not a copy); the next message starts after them. */
  finish(): Buffer {
    const out = this.buf.subarray(this.base, this.offset);
    this.base = this.offset;
    return out;
  }

  /** Drops the current message (after an encoding error). */
  discard(): void {
    this.offset = this.base;
  }

  /** Cuts the current message back to `length` bytes. */
  truncate(length: number): void {
    this.offset = this.base + Math.min(length, this.offset - this.base);
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
    const b = this.buf;
    const p = this.offset;
    if (!LITTLE_ENDIAN || typeof v !== 'bigint') {
      b.writeBigInt64BE(v, p);
    } else {
      if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) throw new RangeError(`${v} does not fit in int64`);
      SCRATCH64[0] = v;
      const s = SCRATCH8;
      b[p] = s[7];
      b[p + 1] = s[6];
      b[p + 2] = s[5];
      b[p + 3] = s[4];
      b[p + 4] = s[3];
      b[p + 5] = s[2];
      b[p + 6] = s[1];
      b[p + 7] = s[0];
    }
    this.offset = p + 8;
  }

  writeFloat64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.offset);
    this.offset += 8;
  }

  /** A UUID given in Kafka's display form (URL-safe base64 without padding). */
  writeUuid(v: string): void {
    if (typeof v !== 'string' || v.length !== 22) throw new TypeError(`invalid uuid ${JSON.stringify(v)}`);
    this.ensure(16);
    const b = this.buf;
    let o = this.offset;
    for (let i = 0; i < 20; i += 4) {
      const n = (b64(v, i) << 18) | (b64(v, i + 1) << 12) | (b64(v, i + 2) << 6) | b64(v, i + 3);
      b[o++] = n >>> 16;
      b[o++] = (n >>> 8) & 0xff;
      b[o++] = n & 0xff;
    }
    b[o++] = (b64(v, 20) << 2) | (b64(v, 21) >>> 4);
    this.offset = o;
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

  /** Copies a string known to be short and all ASCII (see `shortAscii`). */
  private ascii(v: string): void {
    const n = v.length;
    this.ensure(n);
    const b = this.buf;
    const p = this.offset;
    for (let i = 0; i < n; i++) b[p + i] = v.charCodeAt(i);
    this.offset = p + n;
  }

  writeString(v: string): void {
    if (shortAscii(v)) {
      this.writeInt16(v.length);
      this.ascii(v);
      return;
    }
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
    if (shortAscii(v)) {
      this.writeUVarint(v.length + 1);
      this.ascii(v);
      return;
    }
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

  /**
   * Reserves room for a size prefix; pair with `endSized`. Returns the reserved position,
   * relative to the message start (the buffer may move while the sized part is written).
   */
  beginSized(): number {
    this.ensure(1);
    return this.offset++ - this.base;
  }

  /** Writes the unsigned-varint size of everything written since `beginSized`. */
  endSized(mark: number): void {
    let start = this.base + mark;
    const size = this.offset - start - 1;
    let len = 1;
    for (let x = size; x >= 0x80; x >>>= 7) len++;
    if (len > 1) {
      this.ensure(len - 1);
      start = this.base + mark; // the message may have moved
      this.buf.copyWithin(start + len, start + 1, this.offset);
      this.offset += len - 1;
    }
    // The room is already there: write the varint in place, without ensure().
    const b = this.buf;
    let p = start;
    let x = size;
    while (x >= 0x80) {
      b[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    b[p] = x;
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
