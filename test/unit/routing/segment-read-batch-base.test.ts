// SegmentRead.batchBaseToVirtual: a batch's baseOffset shifted in place without a BigInt, the
// same bytes and the same end test as offset() and `>= end` in BigInt, for offsets and shifts
// either side of 2^32 and of the 2^52 where it falls back.
import { describe, expect, it } from 'vitest';
import { SegmentRead } from '../../../src/routing/multi/fetch-segments.js';
import type { OffsetSegment } from '../../../src/routing/offset-segments.js';

function readOf(shift: bigint, end: bigint | null): SegmentRead {
  const segment: OffsetSegment = { backend: 'east', firstOffset: 0n, shift, generation: 0 };
  return new SegmentRead(0, segment, end);
}

/** A batch head with `base` as its baseOffset, behind 3 bytes of something else. */
function batchAt(base: bigint): Buffer {
  const buf = Buffer.alloc(3 + 12, 0xaa);
  buf.writeBigInt64BE(base, 3);
  return buf;
}

/** What the BigInt path gives: the bytes after, and whether the batch is below the end. */
function reference(base: bigint, shift: bigint, end: bigint | null): { below: boolean; bytes: Buffer } {
  const buf = batchAt(base);
  const v = BigInt.asIntN(64, base + shift);
  const below = end === null || v < end;
  if (below) buf.writeBigInt64BE(v, 3);
  return { below, bytes: buf };
}

function expectSameAsBigInt(base: bigint, shift: bigint, end: bigint | null): void {
  const buf = batchAt(base);
  const below = readOf(shift, end).batchBaseToVirtual(buf, 3);
  const want = reference(base, shift, end);
  expect({ base, shift, end, below, bytes: buf.toString('hex') }).toEqual({ base, shift, end, below: want.below, bytes: want.bytes.toString('hex') });
}

describe('a batch base offset put in virtual terms in place', () => {
  it('adds the shift across the 32-bit boundary, both ways', () => {
    const buf = batchAt(2n ** 32n - 3n);
    expect(readOf(10n, null).batchBaseToVirtual(buf, 3)).toBe(true);
    expect(buf.readBigInt64BE(3)).toBe(2n ** 32n + 7n);
    expect(readOf(-10n, null).batchBaseToVirtual(buf, 3)).toBe(true);
    expect(buf.readBigInt64BE(3)).toBe(2n ** 32n - 3n);
  });

  it('gives a negative offset in two\'s complement, as writeBigInt64BE does', () => {
    const buf = batchAt(5n);
    expect(readOf(-10n, null).batchBaseToVirtual(buf, 3)).toBe(true);
    expect(buf.readBigInt64BE(3)).toBe(-5n);
    expect(buf.subarray(0, 3).toString('hex')).toBe('aaaaaa');
  });

  it('writes nothing for a batch at an older segment\'s end, and shifts the one just below it', () => {
    const at = batchAt(90n);
    expect(readOf(10n, 100n).batchBaseToVirtual(at, 3)).toBe(false);
    expect(at.readBigInt64BE(3)).toBe(90n);
    const below = batchAt(89n);
    expect(readOf(10n, 100n).batchBaseToVirtual(below, 3)).toBe(true);
    expect(below.readBigInt64BE(3)).toBe(99n);
  });

  it('falls back to BigInt for an offset, a shift or an end beyond 2^52, wrapping at 2^63 as offset() does', () => {
    expectSameAsBigInt(2n ** 60n, 7n, null);
    expectSameAsBigInt(2n ** 63n - 1n, 1n, null);
    expectSameAsBigInt(-(2n ** 62n), -5n, null);
    expectSameAsBigInt(12n, 2n ** 55n, null);
    expectSameAsBigInt(12n, 3n, 2n ** 60n);
    expectSameAsBigInt(2n ** 51n + 17n, 2n ** 52n - 1n, null);
  });

  it('agrees with the BigInt path on offsets, shifts and ends around every boundary', () => {
    const edges = [0n, 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 51n - 1n, 2n ** 51n, 2n ** 52n - 1n, 2n ** 52n, 2n ** 53n, 2n ** 62n];
    const values = [...edges, ...edges.map((e) => -e)];
    for (const base of values) {
      for (const shift of values) {
        expectSameAsBigInt(base, shift, null);
        const v = BigInt.asIntN(64, base + shift);
        for (const end of [v, v + 1n, v - 1n]) expectSameAsBigInt(base, shift, end);
      }
    }
  });
});
