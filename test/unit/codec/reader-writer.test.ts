import { describe, expect, it } from 'vitest';
import { Reader, Writer, ZERO_UUID } from '../../../src/codec/index.js';

describe('writer', () => {
  it('hands out messages that never share bytes, across slabs', () => {
    const w = new Writer(64);
    const out: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      for (let j = 0; j <= i; j++) w.writeInt8(i);
      out.push(w.finish());
    }
    out.forEach((b, i) => {
      expect(b.length).toBe(i + 1);
      expect([...b].every((x) => x === i)).toBe(true);
    });
  });

  it('grows by doubling and keeps what was written', () => {
    const w = new Writer(64);
    w.writeInt32(7);
    const big = Buffer.alloc(100_000, 1);
    w.writeRaw(big);
    const b = w.finish();
    expect(b.length).toBe(100_004);
    expect(b.readInt32BE(0)).toBe(7);
    expect(b[100_003]).toBe(1);
  });

  it('gives a large write the room it needs, not the power of two above twice that', () => {
    const w = new Writer(256);
    w.writeInt32(0);
    w.writeInt16(5);
    w.writeRaw(Buffer.alloc(91_000, 2));
    w.writeInt32(9);
    const b = w.finish();
    expect(b.length).toBe(91_010);
    expect(b.readInt32BE(91_006)).toBe(9);
    // 256 KiB before: a second copy of the records and more, per Produce encoded.
    expect(b.buffer.byteLength).toBeLessThan(92_000);
  });

  it('keeps growth amortised over many small writes', () => {
    const w = new Writer(64);
    const buffers = new Set<ArrayBufferLike>();
    for (let i = 0; i < 100_000; i++) {
      w.writeInt32(i);
      buffers.add(w.buf.buffer);
    }
    const b = w.finish();
    expect(b.readInt32BE(4 * 99_999)).toBe(99_999);
    // Doubling: about log2(400,000 / 64) buffers, not one per write.
    expect(buffers.size).toBeLessThan(20);
  });

  it('sizes a part whose length needs a multi-byte varint, even when the buffer moves meanwhile', () => {
    for (const n of [0, 1, 127, 128, 300, 20_000]) {
      const w = new Writer(64);
      w.writeRaw(Buffer.alloc(50, 9));
      const mark = w.beginSized();
      w.writeRaw(Buffer.alloc(n, 2));
      w.endSized(mark);
      w.writeInt8(5);
      const b = w.finish();
      const r = new Reader(b, 50);
      expect(r.readUVarint()).toBe(n);
      expect(r.readRaw(n).every((x) => x === 2)).toBe(true);
      expect(r.readInt8()).toBe(5);
      expect(r.remaining).toBe(0);
    }
  });

  it('writes strings whole when the buffer moves in the middle of one', () => {
    for (const text of ['orders.payments', 'ünïcødé', 'x'.repeat(200)]) {
      const w = new Writer(64);
      w.writeRaw(Buffer.alloc(20));
      w.finish(); // the next message starts at 20 in the slab
      for (let pad = 0; pad < 60; pad++) {
        w.writeRaw(Buffer.alloc(pad, 7));
        w.writeString(text);
        w.writeCompactString(text);
        const r = new Reader(w.finish(), pad);
        expect(r.readString()).toBe(text);
        expect(r.readCompactString()).toBe(text);
        expect(r.remaining).toBe(0);
      }
    }
  });

  it('discards a failed message', () => {
    const w = new Writer(64);
    w.writeInt8(1);
    w.finish();
    w.writeInt32(99);
    w.discard();
    w.writeInt8(2);
    expect([...w.finish()]).toEqual([2]);
  });
});

describe('primitives round-trip', () => {
  it('ints, varints, int64, float64, uuid and strings', () => {
    const w = new Writer();
    w.writeInt8(-128);
    w.writeInt16(-2);
    w.writeUInt16(65535);
    w.writeInt32(-2147483648);
    w.writeUInt32(4294967295);
    w.writeInt64(-9223372036854775808n);
    w.writeInt64(9223372036854775807n);
    w.writeFloat64(-0.125);
    w.writeUVarint(4294967295);
    w.writeVarint(-2147483648);
    w.writeVarlong(-9223372036854775808n);
    w.writeUuid('zgKTXDnYRUWtmB6RuXHz8Q');
    w.writeUuid(ZERO_UUID);
    w.writeString('ascii');
    w.writeCompactString('ünïcødé ✓');
    w.writeNullableString(null);
    w.writeCompactNullableString(null);
    w.writeString('x'.repeat(100));
    const r = new Reader(w.finish());
    expect(r.readInt8()).toBe(-128);
    expect(r.readInt16()).toBe(-2);
    expect(r.readUInt16()).toBe(65535);
    expect(r.readInt32()).toBe(-2147483648);
    expect(r.readUInt32()).toBe(4294967295);
    expect(r.readInt64()).toBe(-9223372036854775808n);
    expect(r.readInt64()).toBe(9223372036854775807n);
    expect(r.readFloat64()).toBe(-0.125);
    expect(r.readUVarint()).toBe(4294967295);
    expect(r.readVarint()).toBe(-2147483648);
    expect(r.readVarlong()).toBe(-9223372036854775808n);
    expect(r.readUuid()).toBe('zgKTXDnYRUWtmB6RuXHz8Q');
    expect(r.readUuid()).toBe(ZERO_UUID);
    expect(r.readString()).toBe('ascii');
    expect(r.readCompactString()).toBe('ünïcødé ✓');
    expect(r.readNullableString()).toBeNull();
    expect(r.readCompactNullableString()).toBeNull();
    expect(r.readString()).toBe('x'.repeat(100));
    expect(r.failed).toBe(false);
    expect(r.remaining).toBe(0);
  });

  it('uuids match Kafka\'s display form (URL-safe base64, no padding)', () => {
    const bytes = Buffer.from('ce02935c39d84545ad981e91b971f3f1', 'hex');
    expect(new Reader(bytes).readUuid()).toBe(bytes.toString('base64url'));
    const w = new Writer();
    expect(() => w.writeUuid('not a uuid')).toThrow(TypeError);
    expect(() => w.writeUuid('zgKTXDnYRUWtmB6RuXHz8=')).toThrow(TypeError);
    expect(() => w.writeInt64(2n ** 63n)).toThrow(RangeError);
  });
});

describe('reader sticky error', () => {
  it('records the first failure and returns zero values after it', () => {
    const r = new Reader(Buffer.from([0, 5, 0x61]));
    expect(r.readString()).toBe('');
    expect(r.failed).toBe(true);
    expect(r.errorOffset).toBe(2);
    expect(r.errorReason).toMatch(/string length 5/);
    expect(r.readInt32()).toBe(0);
    expect(r.readInt64()).toBe(0n);
    expect(r.readCompactArrayLength(1)).toBe(0);
    expect(r.errorOffset).toBe(2);
  });

  it('refuses lengths larger than what is left, before allocating', () => {
    const r = new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]));
    expect(r.readArrayLength(1)).toBe(0);
    expect(r.failed).toBe(true);
    const v = new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(v.readCompactBytes()).toHaveLength(0);
    expect(v.failed).toBe(true);
    const long = new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f]));
    long.readUVarint();
    expect(long.errorReason).toMatch(/32 bits/);
  });

  it('rejects null where the version does not allow it', () => {
    expect(((r) => (r.readString(), r.failed))(new Reader(Buffer.from([0xff, 0xff])))).toBe(true);
    expect(((r) => (r.readCompactString(), r.failed))(new Reader(Buffer.from([0])))).toBe(true);
    expect(((r) => (r.readArrayLength(4), r.failed))(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff])))).toBe(true);
    expect(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff])).readNullableArrayLength(4)).toBe(-1);
  });
});
