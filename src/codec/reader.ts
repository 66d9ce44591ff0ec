import type { TaggedField } from './errors.js';

const EMPTY = Buffer.alloc(0);

// int64 through a scratch typed array: far cheaper than Buffer.readBigInt64BE.
const SCRATCH64 = new BigInt64Array(1);
const SCRATCH8 = new Uint8Array(SCRATCH64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_CODES = Array.from(B64URL, (c) => c.charCodeAt(0));

type Utf8Slicer = { utf8Slice(start: number, end: number): string };

/**
 * Reads Kafka wire primitives from a Buffer with a sticky error: no method throws. The first
 * failure (truncation, bad length, null where not allowed) is recorded with its offset, the
 * reader jumps to the end, and every later read returns a zero value. Generated code checks
 * `failed` once at the end of a message.
 *
 * Every length is checked against the bytes that remain before anything is allocated, so a
 * hostile length prefix cannot make the reader allocate more than the input's size.
 */
export class Reader {
  readonly buf: Buffer;
  offset: number;
  readonly end: number;
  failed = false;
  errorOffset = -1;
  errorReason = '';

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    this.buf = buf;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Records the first failure and makes every following read return a zero value. */
  fail(reason: string): void {
    if (!this.failed) {
      this.failed = true;
      this.errorOffset = this.offset;
      this.errorReason = reason;
    }
    this.offset = this.end;
  }

  private need(n: number, what: string): boolean {
    if (this.end - this.offset >= n) return true;
    this.fail(`need ${n} bytes for ${what}, ${this.end - this.offset} left`);
    return false;
  }

  readBool(): boolean {
    if (!this.need(1, 'bool')) return false;
    return this.buf[this.offset++] !== 0;
  }

  readInt8(): number {
    if (!this.need(1, 'int8')) return 0;
    const v = this.buf[this.offset++];
    return (v << 24) >> 24;
  }

  readInt16(): number {
    if (!this.need(2, 'int16')) return 0;
    const b = this.buf;
    const p = this.offset;
    this.offset = p + 2;
    return (((b[p] << 8) | b[p + 1]) << 16) >> 16;
  }

  readUInt16(): number {
    if (!this.need(2, 'uint16')) return 0;
    const b = this.buf;
    const p = this.offset;
    this.offset = p + 2;
    return (b[p] << 8) | b[p + 1];
  }

  readInt32(): number {
    if (!this.need(4, 'int32')) return 0;
    const b = this.buf;
    const p = this.offset;
    this.offset = p + 4;
    return (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
  }

  readUInt32(): number {
    return this.readInt32() >>> 0;
  }

  readInt64(): bigint {
    if (!this.need(8, 'int64')) return 0n;
    const b = this.buf;
    const p = this.offset;
    this.offset = p + 8;
    if (!LITTLE_ENDIAN) return b.readBigInt64BE(p);
    const s = SCRATCH8;
    s[7] = b[p];
    s[6] = b[p + 1];
    s[5] = b[p + 2];
    s[4] = b[p + 3];
    s[3] = b[p + 4];
    s[2] = b[p + 5];
    s[1] = b[p + 6];
    s[0] = b[p + 7];
    return SCRATCH64[0];
  }

  readFloat64(): number {
    if (!this.need(8, 'float64')) return 0;
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  /** A UUID in Kafka's display form: URL-safe base64 without padding (22 characters). */
  readUuid(): string {
    if (!this.need(16, 'uuid')) return ZERO_UUID;
    const b = this.buf;
    const p = this.offset;
    this.offset = p + 16;
    // 16 bytes -> 22 base64url characters: five 3-byte groups and one trailing byte.
    const c = B64URL_CODES;
    const out = new Array<number>(22);
    let o = 0;
    for (let i = p; i < p + 15; i += 3) {
      const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
      out[o++] = c[(n >>> 18) & 63];
      out[o++] = c[(n >>> 12) & 63];
      out[o++] = c[(n >>> 6) & 63];
      out[o++] = c[n & 63];
    }
    const last = b[p + 15];
    out[20] = c[last >>> 2];
    out[21] = c[(last & 3) << 4];
    return String.fromCharCode.apply(null, out);
  }

  /** Unsigned LEB128 varint of at most 32 bits (Kafka's unsigned varint). */
  readUVarint(): number {
    const b = this.buf;
    let p = this.offset;
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (p >= this.end) {
        this.fail('truncated varint');
        return 0;
      }
      const byte = b[p++];
      if (i === 4 && byte > 0x0f) {
        this.offset = p - 1;
        this.fail('varint longer than 32 bits');
        return 0;
      }
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) {
        this.offset = p;
        return value;
      }
      shift += 7;
    }
    this.fail('varint longer than 5 bytes');
    return 0;
  }

  /** Zigzag-encoded signed varint of at most 32 bits. */
  readVarint(): number {
    const u = this.readUVarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zigzag-encoded signed varlong of at most 64 bits. */
  readVarlong(): bigint {
    const b = this.buf;
    let p = this.offset;
    let value = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (p >= this.end) {
        this.fail('truncated varlong');
        return 0n;
      }
      const byte = b[p++];
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        this.offset = p;
        return (value >> 1n) ^ -(value & 1n);
      }
      shift += 7n;
    }
    this.fail('varlong longer than 10 bytes');
    return 0n;
  }

  private utf8(n: number): string {
    if (n > this.end - this.offset) {
      this.fail(`string length ${n} exceeds the ${this.end - this.offset} bytes left`);
      return '';
    }
    const p = this.offset;
    this.offset = p + n;
    return (this.buf as unknown as Utf8Slicer).utf8Slice(p, p + n);
  }

  private raw(n: number, what: string): Buffer {
    if (n > this.end - this.offset) {
      this.fail(`${what} length ${n} exceeds the ${this.end - this.offset} bytes left`);
      return EMPTY;
    }
    const p = this.offset;
    this.offset = p + n;
    return this.buf.subarray(p, p + n);
  }

  readString(): string {
    const n = this.readInt16();
    if (n < 0) {
      this.fail('null or negative length for a non-nullable string');
      return '';
    }
    return this.utf8(n);
  }

  readNullableString(): string | null {
    const n = this.readInt16();
    if (n === -1) return null;
    if (n < 0) {
      this.fail(`invalid string length ${n}`);
      return null;
    }
    return this.utf8(n);
  }

  readCompactString(): string {
    const n = this.readUVarint() - 1;
    if (n < 0) {
      if (!this.failed) this.fail('null for a non-nullable compact string');
      return '';
    }
    return this.utf8(n);
  }

  readCompactNullableString(): string | null {
    const n = this.readUVarint() - 1;
    if (n < 0) return this.failed ? '' : null;
    return this.utf8(n);
  }

  /** Bytes are returned as a view of the input (no copy). */
  readBytes(): Buffer {
    const n = this.readInt32();
    if (n < 0) {
      this.fail('null or negative length for non-nullable bytes');
      return EMPTY;
    }
    return this.raw(n, 'bytes');
  }

  readNullableBytes(): Buffer | null {
    const n = this.readInt32();
    if (n === -1) return null;
    if (n < 0) {
      this.fail(`invalid bytes length ${n}`);
      return null;
    }
    return this.raw(n, 'bytes');
  }

  readCompactBytes(): Buffer {
    const n = this.readUVarint() - 1;
    if (n < 0) {
      if (!this.failed) this.fail('null for non-nullable compact bytes');
      return EMPTY;
    }
    return this.raw(n, 'bytes');
  }

  readCompactNullableBytes(): Buffer | null {
    const n = this.readUVarint() - 1;
    if (n < 0) return this.failed ? EMPTY : null;
    return this.raw(n, 'bytes');
  }

  /** Record batches, kept opaque: a view of the input, never copied. */
  readRecords(): Buffer | null {
    return this.readNullableBytes();
  }

  readCompactRecords(): Buffer | null {
    return this.readCompactNullableBytes();
  }

  private checkCount(n: number, minElemSizeBytes: number): number {
    if (n * minElemSizeBytes > this.end - this.offset) {
      this.fail(`array of ${n} elements cannot fit in the ${this.end - this.offset} bytes left`);
      return 0;
    }
    return n;
  }

  /** Array length for a non-nullable array; elements take at least minElemSizeBytes each. */
  readArrayLength(minElemSizeBytes: number): number {
    const n = this.readInt32();
    if (n < 0) {
      if (!this.failed) this.fail('null or negative length for a non-nullable array');
      return 0;
    }
    return this.checkCount(n, minElemSizeBytes);
  }

  /** Array length, or -1 for a null array. */
  readNullableArrayLength(minElemSizeBytes: number): number {
    const n = this.readInt32();
    if (n === -1) return -1;
    if (n < 0) {
      this.fail(`invalid array length ${n}`);
      return 0;
    }
    return this.checkCount(n, minElemSizeBytes);
  }

  readCompactArrayLength(minElemSizeBytes: number): number {
    const n = this.readUVarint() - 1;
    if (n < 0) {
      if (!this.failed) this.fail('null for a non-nullable compact array');
      return 0;
    }
    return this.checkCount(n, minElemSizeBytes);
  }

  readCompactNullableArrayLength(minElemSizeBytes: number): number {
    const n = this.readUVarint() - 1;
    if (n < 0) return this.failed ? 0 : -1;
    return this.checkCount(n, minElemSizeBytes);
  }

  /** Nullable struct marker: -1 for null, anything else (1) for present. */
  readStructPresence(): boolean {
    return this.readInt8() >= 0 && !this.failed;
  }

  /** Number of tagged fields that follow; each takes at least two bytes. */
  readTaggedFieldCount(): number {
    return this.checkCount(this.readUVarint(), 2);
  }

  /** Size of one tagged field's data, checked against the bytes that remain. */
  readTaggedFieldSize(): number {
    const n = this.readUVarint();
    if (n > this.end - this.offset) {
      this.fail(`tagged field size ${n} exceeds the ${this.end - this.offset} bytes left`);
      return 0;
    }
    return n;
  }

  /** Checks that a known tagged field used exactly the bytes its size announced. */
  endTaggedField(tag: number, endOffset: number): void {
    if (this.offset !== endOffset && !this.failed) {
      this.fail(`tagged field ${tag} did not match its size`);
    }
  }

  readUnknownTaggedField(tag: number, size: number): TaggedField {
    return { tag, data: this.raw(size, 'tagged field') };
  }

  /** The tagged-field section of a struct with no known tagged fields in this version. */
  readUnknownTaggedFields(): TaggedField[] | undefined {
    const n = this.readTaggedFieldCount();
    if (n === 0) return undefined;
    const out: TaggedField[] = [];
    for (let i = 0; i < n; i++) {
      const tag = this.readUVarint();
      const size = this.readTaggedFieldSize();
      out.push(this.readUnknownTaggedField(tag, size));
    }
    return out;
  }

  /** Raw view of the next n bytes. */
  readRaw(n: number): Buffer {
    return this.raw(n, 'raw');
  }
}

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';
